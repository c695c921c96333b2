package api

import (
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/service"
)

// An app shared with another team is read-only for that team's members,
// whatever their role there, and disappears again when unshared.
func TestAppSharedReadOnly(t *testing.T) {
	w := newRBACWorld(t)
	name, dep := w.app(t)
	out := w.tokens[outsider] // owner of "other"
	if code, _ := w.call(t, out, "GET", "/api/apps/"+name, ""); code != 404 {
		t.Fatalf("before sharing: %d", code)
	}
	if code, b := w.call(t, w.tokens[developer], "PUT", "/api/apps/"+name+"/shares/other", ""); code != 403 {
		t.Fatalf("a developer shares: %d %s", code, b)
	}
	if code, b := w.call(t, w.tokens[admin], "PUT", "/api/apps/"+name+"/shares/nope", ""); code != 400 || !strings.Contains(string(b), "no team nope") {
		t.Fatalf("share with a missing team: %d %s", code, b)
	}
	if code, b := w.call(t, w.tokens[admin], "PUT", "/api/apps/"+name+"/shares/other", ""); code != 204 {
		t.Fatalf("share: %d %s", code, b)
	}
	code, b := w.call(t, out, "GET", "/api/apps?team=other", "")
	var apps []service.AppView
	mustUnmarshal(t, b, &apps)
	if code != 200 || len(apps) != 1 || apps[0].Name != name || apps[0].Role != "viewer" || !apps[0].Shared || apps[0].Team != "acme" {
		t.Fatalf("the other team's list: %d %s", code, b)
	}
	for _, path := range []string{"/api/apps/" + name, "/api/apps/" + name + "/deployments", "/api/deployments/" + dep, "/api/deployments/" + dep + "/logs"} {
		if code, b := w.call(t, out, "GET", path, ""); code != 200 {
			t.Fatalf("GET %s on a shared app: %d %s", path, code, b)
		}
	}
	for _, r := range [][3]string{{"POST", "/api/apps/" + name + "/deploy", "{}"}, {"PUT", "/api/apps/" + name + "/env", `{"vars":[{"key":"X","value":"y"}]}`},
		{"POST", "/api/deployments/" + dep + "/cancel", ""}, {"DELETE", "/api/apps/" + name, ""}} {
		code, b := w.call(t, out, r[0], r[1], r[2])
		if code != 403 || !strings.Contains(string(b), "shared with your team read-only") {
			t.Fatalf("%s %s on a shared app: %d %s", r[0], r[1], code, b)
		}
	}
	code, b = w.call(t, w.tokens[owner], "GET", "/api/apps/"+name, "")
	if !strings.Contains(string(b), `"shared_with":["other"]`) {
		t.Fatalf("the owning team sees whom it is shared with: %d %s", code, b)
	}
	// Team-scoped counts: acme has the app and its two deployments; the
	// other team owns nothing (a shared app is not theirs to count).
	var st service.Status
	_, b = w.call(t, w.tokens[viewer], "GET", "/api/status?team=acme", "")
	mustUnmarshal(t, b, &st)
	if st.Team != "acme" || st.Apps != 1 || st.Deployments["queued"] != 1 || st.Deployments["failed"] != 1 {
		t.Fatalf("acme's status: %s", b)
	}
	_, b = w.call(t, out, "GET", "/api/status?team=other", "")
	mustUnmarshal(t, b, &st)
	if st.Team != "other" || st.Apps != 0 {
		t.Fatalf("other's status: %s", b)
	}
	if code, _ := w.call(t, w.tokens[admin], "DELETE", "/api/apps/"+name+"/shares/other", ""); code != 204 {
		t.Fatalf("unshare: %d", code)
	}
	if code, _ := w.call(t, out, "GET", "/api/apps/"+name, ""); code != 404 {
		t.Fatalf("after unsharing: %d", code)
	}
}
