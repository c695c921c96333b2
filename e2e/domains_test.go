package e2e

import (
	"strings"
	"testing"
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
	if list := strings.Split(s.MustCLI("domains", "list", a.App), "\n"); len(list) < 2 || !strings.Contains(list[0], a.Host) || !strings.HasSuffix(list[0], "(primary)") || !strings.Contains(list[1], extra) {
		t.Fatalf("list:\n%s", list)
	}
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
