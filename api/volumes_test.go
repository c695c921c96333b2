package api

import (
	"strings"
	"testing"
)

// Volumes: bad names and paths are refused with the reason; an app's
// names and paths are its own however two adds race; other teams neither
// see nor touch them.
func TestVolumes(t *testing.T) {
	w := newRBACWorld(t)
	name, _ := w.app(t)
	path := "/api/apps/" + name + "/volumes"
	for body, want := range map[string]string{
		`{"name":"Data","path":"/data"}`:   "lower-case letters",
		`{"name":"data","path":"data"}`:    "absolute, clean path",
		`{"name":"data","path":"/etc"}`:    "would hide what the container needs",
		`{"name":"data","path":"/a/../b"}`: "absolute, clean path",
		`{"name":"data"}`:                  "absolute, clean path",
	} {
		if code, b := w.call(t, w.tokens[developer], "POST", path, body); code != 400 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %s", body, code, b)
		}
	}
	// Eight adds of one name at once: one wins, the others are told why.
	codes := race(t, 8, func(int) int {
		code, _ := w.call(t, w.tokens[developer], "POST", path, `{"name":"data","path":"/data"}`)
		return code
	})
	if won := winners(t, codes, 201, 400); won != 1 {
		t.Fatalf("%d adds of one volume won (codes %v)", won, codes)
	}
	if code, b := w.call(t, w.tokens[developer], "POST", path, `{"name":"more","path":"/data/sub"}`); code != 400 || !strings.Contains(string(b), "overlaps volume data") {
		t.Fatalf("an overlapping path: %d %s", code, b)
	}
	code, b := w.call(t, w.tokens[viewer], "GET", path, "")
	if code != 200 || !strings.Contains(string(b), `"name":"data","path":"/data"`) {
		t.Fatalf("list: %d %s", code, b)
	}
	// Another team's owner: the app does not exist for them.
	if code, _ := w.call(t, w.tokens[outsider], "DELETE", path+"/data", ""); code != 404 {
		t.Fatalf("another team's delete: %d", code)
	}
	if code, _ := w.call(t, w.tokens[developer], "DELETE", path+"/data", ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, b := w.call(t, w.tokens[developer], "DELETE", path+"/data", ""); code != 404 || !strings.Contains(string(b), "has no volume named data") {
		t.Fatalf("delete again: %d %s", code, b)
	}
}
