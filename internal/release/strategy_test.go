package release

import (
	"strings"
	"testing"
	"time"
)

func TestStrategy(t *testing.T) {
	for _, s := range []string{"start-first", "stop-first", " stop-first "} {
		if _, err := ParseStrategy(s); err != nil {
			t.Errorf("ParseStrategy(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "recreate", "Stop-First", "blue-green"} {
		if _, err := ParseStrategy(s); err == nil || !strings.Contains(err.Error(), "start-first, stop-first") {
			t.Errorf("ParseStrategy(%q) = %v, want an error naming the strategies", s, err)
		}
	}
	if Strategy("").Or() != StartFirst || StopFirst.Or() != StopFirst {
		t.Error("an unset strategy is start-first")
	}
	if !strings.Contains(StopFirst.Downtime(), "pause") || !strings.Contains(StartFirst.Downtime(), "none") {
		t.Error("Downtime says what users see")
	}
	for _, c := range []struct{ drain, health, want time.Duration }{
		{30 * time.Second, 30 * time.Second, 90 * time.Second},
		{0, 10 * time.Second, 40 * time.Second},
		{time.Minute, 5 * time.Minute, MaxHold},
	} {
		if got := HoldBound(c.drain, c.health); got != c.want {
			t.Errorf("HoldBound(%s, %s) = %s, want %s", c.drain, c.health, got, c.want)
		}
	}
}
