package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Behind a TLS-terminating proxy Rivetr trusts, the session cookie is
// Secure and __Host- (only this host, path /, never over http); a
// forwarded "https" from anyone else changes nothing. Attack: an app on a
// sibling subdomain (or a network attacker over plain http) plants a
// rivetr_session cookie to fix the victim's session; over https only the
// __Host- name is read, which no other host can set.
func TestSessionCookieBehindATLSProxy(t *testing.T) {
	send := func(d *dash, method, path string, form url.Values, cookies ...*http.Cookie) *http.Response {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, d.srv.URL+path, body)
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("Origin", d.srv.URL)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	cookie := func(res *http.Response, name string) *http.Cookie {
		for _, c := range res.Cookies() {
			if c.Name == name {
				return c
			}
		}
		return nil
	}
	signIn := func(d *dash, prefix string) *http.Cookie {
		t.Helper()
		res := send(d, "GET", "/login", nil)
		csrf := cookie(res, prefix+loginCSRFName)
		if csrf == nil || csrf.Secure != (prefix != "") {
			t.Fatalf("login CSRF cookie %v (want prefix %q)", res.Cookies(), prefix)
		}
		res = send(d, "POST", "/login", url.Values{"csrf": {csrf.Value}, "token": {d.token}}, csrf)
		s := cookie(res, prefix+CookieName)
		if res.StatusCode != http.StatusSeeOther || s == nil || s.Secure != (prefix != "") || s.Path != "/" || s.Domain != "" || !s.HttpOnly {
			t.Fatalf("sign in: %d %v", res.StatusCode, res.Cookies())
		}
		return s
	}

	proxied := newDashWith(t, nil, nil, func(o *Options) { o.TrustedProxies = []string{"127.0.0.1"} })
	s := signIn(proxied, "__Host-")
	if res := send(proxied, "GET", "/apps", nil, s); res.StatusCode != http.StatusOK {
		t.Fatalf("with the __Host- session: %d", res.StatusCode)
	}
	planted := &http.Cookie{Name: CookieName, Value: s.Value}
	if res := send(proxied, "GET", "/apps", nil, planted); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a session under the unprefixed name was accepted over https: %d", res.StatusCode)
	}

	// The same header from an address that is not a trusted proxy.
	direct := newDash(t)
	signIn(direct, "")
}
