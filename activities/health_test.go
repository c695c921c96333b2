package activities

import (
	"testing"
	"time"
)

func TestProbeWait(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		attempt  int
		interval time.Duration
		want     time.Duration
	}{
		{1, time.Second, 50 * ms},
		{2, time.Second, 100 * ms},
		{4, time.Second, 400 * ms},
		{5, time.Second, 800 * ms},
		{6, time.Second, time.Second},
		{60, time.Second, time.Second},
		{1, 20 * ms, 20 * ms},
		{3, 5 * time.Second, 200 * ms},
	}
	for _, tc := range tests {
		if got := probeWait(tc.attempt, tc.interval); got != tc.want {
			t.Errorf("probeWait(%d, %s) = %s, want %s", tc.attempt, tc.interval, got, tc.want)
		}
	}
}
