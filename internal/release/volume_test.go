package release

import (
	"strings"
	"testing"
)

func TestCheckVolume(t *testing.T) {
	others := map[string]string{"data": "/data", "uploads": "/srv/uploads"}
	for _, tc := range []struct{ name, path, want string }{
		{"cache", "/var/cache/app", ""},
		{"Data", "/x", "lower-case letters"},
		{"-x", "/x", "lower-case letters"},
		{"x", "data", "absolute, clean path"},
		{"x", "/data/../etc", "absolute, clean path"},
		{"x", "/data/", "absolute, clean path"},
		{"x", "/a:/b", "absolute, clean path"},
		{"x", "/", "would hide what the container needs"},
		{"x", "/etc", "would hide what the container needs"},
		{"x", "/proc/self", "would hide what the container needs"},
		{"data", "/other", "already has a volume named data"},
		{"x", "/data", "overlaps volume data"},
		{"x", "/data/sub", "overlaps volume data"},
		{"x", "/srv", "overlaps volume uploads"},
	} {
		err := CheckVolume(tc.name, tc.path, others)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s at %s: %v, want %q", tc.name, tc.path, err, tc.want)
		}
	}
	many := map[string]string{}
	for i := range MaxVolumes {
		many[string(rune('a'+i))] = "/v" + string(rune('a'+i))
	}
	if err := CheckVolume("more", "/more", many); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("past the limit: %v", err)
	}
	if got := AppVolume("06h3", "data"); got != "rivetr-app-06h3-data" {
		t.Errorf("AppVolume: %s", got)
	}
}
