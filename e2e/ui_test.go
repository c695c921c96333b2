package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// signedInClient signs in to the dashboard with form fields and returns a
// client carrying the session.
func signedInClient(t *testing.T, s *Server, fields url.Values) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(s.HTTP + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	fields.Set("csrf", string(m[1]))
	fields.Set("next", "/")
	req, _ := http.NewRequest("POST", s.HTTP+"/login", strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.HTTP)
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	return c
}

// TestTemporalUIThroughTheDashboard: the embedded UI listens on loopback
// only, and the dashboard proxies it, read-only, to instance admins.
func TestTemporalUIThroughTheDashboard(t *testing.T) {
	needDocker(t)
	s := NewServer(t, true)
	s.Start()
	token, _ := os.ReadFile(filepath.Join(s.DataDir, "admin-token"))
	admin := signedInClient(t, s, url.Values{"token": {strings.TrimSpace(string(token))}})
	get := func(c *http.Client, path string) (int, string, http.Header) {
		t.Helper()
		res, err := c.Get(s.HTTP + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}
	code, body, hdr := get(admin, "/temporal/")
	// The UI's own Content-Security-Policy, not the dashboard's strict one.
	if code != 200 || !strings.Contains(strings.ToLower(body), "<html") || strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("the UI through the dashboard: %d %.200s (CSP %q)", code, body, hdr.Get("Content-Security-Policy"))
	}
	code, body, _ = get(admin, "/temporal/api/v1/settings")
	var settings map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &settings) != nil || settings["DisableWriteActions"] != true {
		t.Fatalf("UI settings through the proxy: %d %.300s", code, body)
	}
	if code, body, _ := get(admin, "/"); code != 200 || !strings.Contains(body, `<a href="/temporal" id="temporal-ui-link">`) {
		t.Fatalf("the overview does not offer the UI to an admin: %d", code)
	}

	// Anonymous: to the sign-in page. A developer: refused.
	if code, _, hdr := get(&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, "/temporal/"); code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/login") {
		t.Fatalf("anonymous: %d %v", code, hdr)
	}
	if r := s.CLIAsAdmin("owner password 1\n", "users", "create-owner", "--email", "owner@example.com", "--password-stdin"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	creds := t.TempDir() + "/owner.json"
	s.CLIAs(creds, "owner password 1\n", "login", "--email", "owner@example.com", "--password-stdin")
	if r := s.CLIAs(creds, "developer pw 1\n", "users", "create", "--email", "dev@example.com", "--password-stdin"); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	s.CLIAs(creds, "", "teams", "add", "default", "dev@example.com", "--role", "developer")
	dev := signedInClient(t, s, url.Values{"email": {"dev@example.com"}, "password": {"developer pw 1"}})
	if code, body, _ := get(dev, "/temporal/"); code != http.StatusForbidden || !strings.Contains(body, "for instance admins") {
		t.Fatalf("a developer: %d", code)
	}
	if _, body, _ := get(dev, "/"); strings.Contains(body, "temporal-ui-link") {
		t.Fatal("the overview offers the UI to a developer")
	}
}
