package humanize

import (
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	now := time.Now()
	for d, want := range map[time.Duration]string{5 * time.Second: "5s ago", 3 * time.Minute: "3m ago", 5 * time.Hour: "5h ago"} {
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
