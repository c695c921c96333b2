package api

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rivetr/rivetr/internal/service"
)

// Domains are one app's each, whatever the race; names under the preview
// domain are kept for previews; a gated app's domain is not given up by a
// developer (a new app without the gate could take it); and a refusal
// names the holder only to those who may see it.
func TestDomainsAreOneAppsEach(t *testing.T) {
	w := newRBACWorldWith(t, func(o *service.Options) { o.PreviewDomain = "pr.example.com" })
	create := func(token, name, domain string) (int, string) {
		code, b := w.call(t, token, "POST", "/api/apps", fmt.Sprintf(`{"name":%q,"git_url":"https://git.example.com/x.git","domains":[%q],"team":"acme"}`, name, domain))
		return code, string(b)
	}

	// The race: eight creates of one host at once; one wins.
	if codes := race(t, 8, func(i int) int {
		code, _ := create(w.tokens[developer], fmt.Sprintf("race-%d", i), "race.example.com")
		return code
	}); winners(t, codes, 201, 400) != 1 {
		t.Fatalf("%d apps took race.example.com (codes %v)", winners(t, codes, 201, 400), codes)
	}

	// Squatting a future preview's name.
	if code, b := create(w.tokens[developer], "squat", "pr-7.shop.pr.example.com"); code != 400 || !strings.Contains(b, "kept for pull request previews") {
		t.Fatalf("a name under the preview domain: %d %s", code, b)
	}

	if code, b := create(w.tokens[developer], "squat-all", "*.shop.pr.example.com"); code != 400 || !strings.Contains(b, "kept for pull request previews") {
		t.Fatalf("a wildcard under the preview domain: %d %s", code, b)
	}
	// Wildcards: a top-level one is refused; a name under another app's
	// wildcard is that app's (it would take its traffic).
	if code, b := create(w.tokens[developer], "tld", "*.com"); code != 400 || !strings.Contains(b, "wildcard domain is *.") {
		t.Fatalf("a wildcard over a top-level domain: %d %s", code, b)
	}
	if code, b := create(w.tokens[developer], "wild", "*.wild.example.com"); code != 201 {
		t.Fatalf("a wildcard domain: %d %s", code, b)
	}
	if code, b := w.call(t, w.tokens[outsider], "POST", "/api/apps", `{"name":"under","git_url":"https://git.example.com/x.git","domains":["eu.wild.example.com"],"team":"other"}`); code != 400 || !strings.Contains(b2s(b), "already served by another app") {
		t.Fatalf("a name under another app's wildcard: %d %s", code, b)
	}

	// Another team's member learns nothing of who holds a host.
	name, _ := w.app(t)
	code, b := w.call(t, w.tokens[outsider], "POST", "/api/apps", fmt.Sprintf(`{"name":"grab","git_url":"https://git.example.com/x.git","domains":["%s.example.com"],"team":"other"}`, name))
	if code != 400 || !strings.Contains(b2s(b), "already served by another app") || strings.Contains(b2s(b), name+" ") {
		t.Fatalf("an outsider taking a held domain: %d %s", code, b)
	}

	// A gated app's domain: a developer may add one, not give one up; an
	// admin may.
	if code, b := w.call(t, w.tokens[admin], "PATCH", "/api/apps/"+name, `{"require_approval":true}`); code != 200 {
		t.Fatalf("gate the app: %d %s", code, b)
	}
	host := name + ".example.com"
	if code, b := w.call(t, w.tokens[developer], "PATCH", "/api/apps/"+name, fmt.Sprintf(`{"domains":[%q,"more-%s"]}`, host, host)); code != 200 {
		t.Fatalf("a developer adding a domain: %d %s", code, b)
	}
	if code, b := w.call(t, w.tokens[developer], "PATCH", "/api/apps/"+name, `{"domains":["elsewhere.example.com"]}`); code != 403 || !strings.Contains(b2s(b), "policy") {
		t.Fatalf("a developer dropping a gated app's domain: %d %s", code, b)
	}
	if code, b := w.call(t, w.tokens[admin], "PATCH", "/api/apps/"+name, fmt.Sprintf(`{"domains":[%q]}`, host)); code != 200 {
		t.Fatalf("an admin dropping one: %d %s", code, b)
	}
	if code, b := create(w.tokens[developer], "taker", "more-"+host); code != 201 {
		t.Fatalf("the dropped domain is free again: %d %s", code, b)
	}
}

func b2s(b []byte) string { return string(b) }

// A refused action is on record for the instance admins: who, which
// route, why; a caller probing the same route again within a minute adds
// nothing (the append-only log is not theirs to fill).
func TestRefusalsAreAudited(t *testing.T) {
	w := newRBACWorldWith(t, nil)
	name, _ := w.app(t)
	for i := 0; i < 5; i++ {
		if code, _ := w.call(t, w.tokens[viewer], "DELETE", "/api/apps/"+name, ""); code != 403 {
			t.Fatalf("a viewer deleting an app: %d", code)
		}
	}
	code, b := w.call(t, w.tokens[root], "GET", "/api/audit?action=access.refused", "")
	if code != 200 || strings.Count(b2s(b), `"action":"access.refused"`) != 1 || !strings.Contains(b2s(b), "DELETE /api/apps/:name") ||
		!strings.Contains(b2s(b), "viewer@example.com") || !strings.Contains(b2s(b), "delete app needs admin") {
		t.Fatalf("the audit log: %d %s", code, b)
	}
}

// race runs n calls at once and returns their status codes.
func race(t *testing.T, n int, call func(i int) int) []int {
	t.Helper()
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = call(i)
		}()
	}
	wg.Wait()
	return codes
}

// winners counts the codes that are won; any code neither won nor lost
// is an error.
func winners(t *testing.T, codes []int, won, lost int) int {
	t.Helper()
	n := 0
	for _, c := range codes {
		switch c {
		case won:
			n++
		case lost:
		default:
			t.Errorf("a racing call answered %d", c)
		}
	}
	return n
}
