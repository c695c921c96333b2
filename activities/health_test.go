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
		{1, time.Second, 10 * ms},
		{2, time.Second, 20 * ms},
		{4, time.Second, 80 * ms},
		{7, time.Second, 640 * ms},
		{8, time.Second, time.Second},
		{60, time.Second, time.Second},
		{1, 5 * ms, 5 * ms},
		{3, 5 * time.Second, 40 * ms},
	}
	for _, tc := range tests {
		if got := probeWait(tc.attempt, tc.interval); got != tc.want {
			t.Errorf("probeWait(%d, %s) = %s, want %s", tc.attempt, tc.interval, got, tc.want)
		}
	}
}
