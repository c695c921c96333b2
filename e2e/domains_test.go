package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDomainsTakeEffectAtOnce: domains added and removed with `rivetr
// domains` change what the running app answers to without a deploy; bad
// names are refused with what to give instead; the last domain stays.
func TestDomainsTakeEffectAtOnce(t *testing.T) {
	a := newSharedApp(t, "dom", "dom-v1")
	s := a.S
	s.MustCLI("deploy", a.App, "--wait")
	before := len(s.Deployments(a.App))
	extra := "also-" + a.App + ".test"
	if out := s.MustCLI("domains", "add", a.App, "https://"+strings.ToUpper(extra)+"/"); !strings.Contains(out, a.App+" answers to "+extra+" now") {
		t.Fatalf("add: %s", out)
	}
	if body := s.MustGet(extra, "/"); body != "dom-v1" {
		t.Fatalf("the new domain serves %q", body)
	}
	if list := strings.Split(s.MustCLI("domains", "list", a.App), "\n"); len(list) < 3 || !strings.HasPrefix(list[1], a.Host+" ") || !strings.Contains(list[1], "primary") || !strings.HasPrefix(list[2], extra+" ") {
		t.Fatalf("list:\n%s", strings.Join(list, "\n"))
	}

	// www → apex: a redirect to another of the app's domains, path and
	// query kept; never to a name that is not the app's.
	www := "www-" + a.App + ".test"
	if out := s.MustCLI("domains", "add", a.App, www, "--redirect-to", a.Host); !strings.Contains(out, www+" redirects to "+a.Host+" now") {
		t.Fatalf("add --redirect-to: %s", out)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	redirected := func() string {
		req, _ := http.NewRequest("POST", "http://"+s.Proxy+"/cart?item=1", nil)
		req.Host = www
		res, err := noFollow.Do(req)
		if err != nil {
			return err.Error()
		}
		res.Body.Close()
		return fmt.Sprintf("%d %s", res.StatusCode, res.Header.Get("Location"))
	}
	want := fmt.Sprintf("308 http://%s/cart?item=1", a.Host) // the Host header had no port
	if got := redirected(); got != want {
		t.Fatalf("the redirecting domain answers %q, want %q", got, want)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"domains", "redirect", a.App, www, "evil.test"}, "not a domain of this app"},
		{[]string{"domains", "redirect", a.App, a.Host, www}, "a loop"},
		{[]string{"domains", "redirect", a.App, www, www}, "itself"},
		{[]string{"domains", "add", a.App, "x-" + www, "--redirect-to", "https://attacker.test/"}, "not a domain of this app"},
	} {
		if r := s.CLI(c.args...); r.Code == 0 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%v: %d %s", c.args, r.Code, r.Stderr)
		}
	}
	if r := s.CLI("domains", "list", a.App); strings.Contains(r.Stdout, "x-"+www) {
		t.Errorf("a refused redirect added its domain:\n%s", r.Stdout)
	}
	s.MustCLI("domains", "redirect", a.App, www, "--off")
	eventually(t, 15*time.Second, "the domain to serve the app again", func() bool {
		code, body, _ := s.Get(www, "/")
		return code == 200 && strings.TrimSpace(body) == "dom-v1"
	})
	s.MustCLI("domains", "redirect", a.App, www, a.Host)
	eventually(t, 15*time.Second, "the redirect again", func() bool { return redirected() == want })

	for host, want := range map[string]string{
		"localhost": "single label", "10.1.2.3": "IP address", a.Host: "already a domain of",
	} {
		if r := s.CLI("domains", "add", a.App, host); r.Code == 0 || !strings.Contains(r.Stderr, want) {
			t.Errorf("add %s: %d %s", host, r.Code, r.Stderr)
		}
	}
	s.MustCLI("domains", "remove", a.App, a.Host)
	if code, _, _ := s.Get(a.Host, "/"); code != 404 {
		t.Fatalf("the removed domain answers %d", code)
	}
	// Its redirect target removed, a domain serves the app, not a dead end.
	eventually(t, 15*time.Second, "the redirecting domain to serve the app", func() bool {
		code, body, _ := s.Get(www, "/")
		return code == 200 && strings.TrimSpace(body) == "dom-v1"
	})
	s.MustCLI("domains", "remove", a.App, www)
	if r := s.CLI("domains", "remove", a.App, extra); r.Code == 0 || !strings.Contains(r.Stderr, "only domain") {
		t.Fatalf("removing the last domain: %d %s", r.Code, r.Stderr)
	}
	if body := s.MustGet(extra, "/"); body != "dom-v1" {
		t.Fatalf("the remaining domain serves %q", body)
	}
	if after := len(s.Deployments(a.App)); after != before {
		t.Fatalf("domain changes made deployments: %d → %d", before, after)
	}
}
