package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"

	"github.com/rivetr/rivetr/internal/service"
)

func (f *fixture) auditPage(t *testing.T, query string) service.AuditPage {
	t.Helper()
	code, b := f.do(t, "GET", "/api/audit"+query, "")
	if code != 200 {
		t.Fatalf("audit%s: %d %s", query, code, b)
	}
	var p service.AuditPage
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every mutation leaves an entry with who, what, on what, before and
// after, and from where; secrets appear only as "(secret)".
func TestAuditEntries(t *testing.T) {
	w := newRBACWorld(t)
	name, _ := w.app(t)
	dev := w.tokens[developer]
	for _, r := range []struct{ method, path, body string }{
		{"PATCH", "/api/apps/" + name, `{"port":9090,"health_path":"/up"}`},
		{"PUT", "/api/apps/" + name + "/env", `{"vars":[{"key":"K","value":"v2"},{"key":"PASS","value":"hunter2","secret":true}]}`},
		{"POST", "/api/apps/" + name + "/deploy", `{}`},
	} {
		req, _ := http.NewRequest(r.method, w.srv.URL+r.path, strings.NewReader(r.body))
		req.Header.Set("Authorization", "Bearer "+dev)
		req.Header.Set("User-Agent", "audit-test/1.0")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d", r.method, r.path, res.StatusCode)
		}
	}
	w.token = w.tokens[owner]
	p := w.auditPage(t, "?team=acme&target="+name)
	if len(p.Entries) != 3 {
		t.Fatalf("entries for %s: %+v", name, p.Entries)
	}
	deploy, env, update := p.Entries[0], p.Entries[1], p.Entries[2]
	if deploy.Action != "deploy" || deploy.Actor != "developer@example.com" || deploy.Team != "acme" || deploy.After["deployment"] == "" {
		t.Errorf("deploy entry: %+v", deploy)
	}
	if update.Action != "app.update" || update.Before["port"] != float64(8080) || update.After["port"] != float64(9090) ||
		update.After["health_path"] != "/up" || len(update.After) != 2 {
		t.Errorf("update entry: before %v after %v", update.Before, update.After)
	}
	if update.SourceIP != "127.0.0.1" || update.UserAgent != "audit-test/1.0" {
		t.Errorf("source: %q %q", update.SourceIP, update.UserAgent)
	}
	if env.Before["K"] != "v" || env.After["K"] != "v2" || env.After["PASS"] != "(secret)" {
		t.Errorf("env entry: before %v after %v", env.Before, env.After)
	}
	raw, _ := json.Marshal(p)
	if strings.Contains(string(raw), "hunter2") {
		t.Fatal("a secret value is in the audit log")
	}
	// Filters and pages.
	if p := w.auditPage(t, "?actor=developer@example.com&action=deploy"); len(p.Entries) != 1 {
		t.Errorf("actor+action filter: %d", len(p.Entries))
	}
	if p := w.auditPage(t, "?team=acme&action=member.&limit=2"); len(p.Entries) != 2 || p.Next == 0 {
		t.Errorf("first page: %d next %d", len(p.Entries), p.Next)
	} else if p2 := w.auditPage(t, "?team=acme&action=member.&limit=2&before="+itoa(p.Next)); len(p2.Entries) != 1 || p2.Entries[0].ID >= p.Entries[1].ID {
		t.Errorf("second page: %+v", p2.Entries)
	}
	// Sign-ins, failed ones included, are instance-level entries.
	w.call(t, "", "POST", "/api/auth/login", `{"email":"viewer@example.com","password":"not it at all"}`)
	w.token = w.tokens[adminTok]
	if p := w.auditPage(t, "?action=user.login_failed"); len(p.Entries) != 1 || p.Entries[0].Actor != "viewer@example.com" {
		t.Errorf("failed login: %+v", p.Entries)
	}
	// A team owner does not see instance-level entries.
	w.token = w.tokens[owner]
	for _, e := range w.auditPage(t, "").Entries {
		if e.TeamID == "" {
			t.Fatalf("a team owner sees an instance entry: %+v", e)
		}
	}
}

func itoa(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// X-Forwarded-For is believed only from configured proxies.
func TestForwardedForTrustedOnlyFromProxies(t *testing.T) {
	for _, tc := range []struct {
		trusted []string
		want    string
	}{{nil, "127.0.0.1"}, {[]string{"10.0.0.0/8"}, "127.0.0.1"}, {[]string{"127.0.0.1"}, "203.0.113.9"}} {
		f := newFixture(t)
		f.temporal.On("CheckHealth", mock.Anything, mock.Anything).Return(nil, nil).Maybe()
		engine, err := New(f.svc, slog.New(slog.DiscardHandler), Options{TrustedProxies: tc.trusted})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(engine)
		req, _ := http.NewRequest("POST", srv.URL+"/api/auth/login", strings.NewReader(`{"email":"x@example.com","password":"whatever it is"}`))
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		srv.Close()
		p := f.auditPage(t, "?action=user.login_failed")
		if len(p.Entries) != 1 || p.Entries[0].SourceIP != tc.want {
			t.Errorf("trusted %v: source %+v, want %s", tc.trusted, p.Entries, tc.want)
		}
	}
	if _, err := New(nil, nil, Options{TrustedProxies: []string{"not an ip"}}); err == nil {
		t.Error("a bad trusted proxy was accepted")
	}
}
