package release

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 60) + "-b"
	for _, tc := range []struct{ got, want string }{
		{ImageRepo("web"), "rivetr/web"},
		{ImageTag("web", "d1"), "rivetr/web:d1"},
		{ContainerName("web", "d1"), "rivetr-web-d1"},
		{DatabaseContainer("pg"), "rivetr-db-pg"},
		{DatabaseVolume("06h3abc"), "rivetr-db-06h3abc-data"},
		{PreviewName("web", 7), "web-pr-7"},
		{PreviewName(long, 12), strings.Repeat("a", 57) + "-pr-12"},
		{PreviewHost("web", 7, ".pr.example.com."), "pr-7.web.pr.example.com"},
		{PreviewRef("github", 7, "feature", false), "feature"},
		{PreviewRef("github", 7, "feature", true), "refs/pull/7/head"},
		{PreviewRef("gitea", 7, "feature", true), "refs/pull/7/head"},
		{PreviewRef("gitlab", 7, "feature", true), "refs/merge-requests/7/head"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
	if n := PreviewName(long, 12345); len(n) > 63 || strings.Contains(n, "--") {
		t.Errorf("preview name %q", n)
	}
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	for _, s := range []Status{StatusQueued, StatusBuilding, StatusDeploying, StatusScheduled, StatusFrozen, StatusAwaitingApproval} {
		if s.Terminal() || Terminal(s) {
			t.Errorf("%s is terminal", s)
		}
	}
	for _, s := range TerminalStatuses {
		if !s.Terminal() || s.InFlight() {
			t.Errorf("%s: terminal %v, in flight %v", s, s.Terminal(), s.InFlight())
		}
	}
	if StatusScheduled.InFlight() || !StatusFrozen.InFlight() {
		t.Error("scheduled waits outside the queue; frozen is in it")
	}
}
