package service

import (
	"testing"
	"time"

	"github.com/rivetr/rivetr/schema"
)

func TestEnvChanges(t *testing.T) {
	t0, t1 := time.Unix(100, 0), time.Unix(200, 0)
	before := map[string]schema.EnvSnap{
		"MODE": {Value: "a", Updated: t0}, "GONE": {Value: "x", Updated: t0},
		"TOKEN": {Secret: true, Updated: t0}, "SAME": {Secret: true, Updated: t0},
	}
	after := map[string]schema.EnvSnap{
		"MODE": {Value: "b", Updated: t1}, "NEW": {Value: "n", Updated: t1},
		"TOKEN": {Secret: true, Updated: t1}, "SAME": {Secret: true, Updated: t0},
	}
	got := envChanges(before, after)
	want := []EnvChange{
		{Key: "GONE", Change: "removed", Before: "x"},
		{Key: "MODE", Change: "changed", Before: "a", After: "b"},
		{Key: "NEW", Change: "added", After: "n"},
		{Key: "TOKEN", Change: "changed", Secret: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
