package humanize

import (
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	now := time.Now()
	for d, want := range map[time.Duration]string{time.Second: "just now", 5 * time.Second: "5s ago", 3 * time.Minute: "3m ago", 5 * time.Hour: "5h ago"} {
		if got := Ago(now.Add(-d)); got != want {
			t.Errorf("Ago(-%s) = %q, want %q", d, got, want)
		}
	}
	if Ago(time.Time{}) != "" {
		t.Error("zero time")
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[uint64]string{512: "512 B", 1536: "1.5 KiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDurationStatusCount(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * time.Millisecond: "90 ms", 45 * time.Second: "45 s", 1500 * time.Millisecond: "1.5 s", 5 * time.Minute: "5 min",
		90 * time.Second: "1 min 30 s", 90 * time.Minute: "1 h 30 min", 24 * time.Hour: "24 h", 72 * time.Hour: "3 days", 50 * time.Hour: "50 h",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
	if Status("rolled_back") != "rolled back" || Status("awaiting_approval") != "awaiting approval" {
		t.Fatal("Status")
	}
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{{1, "app", "1 app"}, {3, "app", "3 apps"}, {2, "approval", "2 approvals"}, {0, "variable", "0 variables"}, {2, "deploy key", "2 deploy keys"}, {2, "policy", "2 policies"}} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q", c.n, c.noun, got)
		}
	}
}
