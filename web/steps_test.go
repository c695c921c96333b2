package web

import (
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func TestSteps(t *testing.T) {
	tests := []struct {
		kind, status, step, want string
		strategy                 release.Strategy
	}{
		{"deploy", "queued", "queued", "pending pending pending pending pending pending", ""},
		{"deploy", "building", "build", "done current pending pending pending pending", ""},
		{"deploy", "deploying", "health", "done done done current pending pending", ""},
		{"deploy", "failed", "health", "done done done failed pending pending", ""},
		{"deploy", "cancelled", "build", "done cancelled pending pending pending pending", ""},
		{"deploy", "succeeded", "done", "done done done done done done", ""},
		{"deploy", "superseded", "queued", "pending pending pending pending pending pending", ""},
		{"rollback", "deploying", "switch", "skipped skipped done done current pending", ""},
		{"rollback", "rolled_back", "done", "skipped skipped done done done done", ""},
		// Stop-first: the old version stops between the build and the start.
		{"deploy", "deploying", "stop", "done done current pending pending pending pending", release.StopFirst},
		{"deploy", "failed", "health", "done done done done failed pending pending", release.StopFirst},
		{"rollback", "deploying", "stop", "skipped skipped current pending pending pending pending", release.StopFirst},
	}
	for _, tc := range tests {
		var got []string
		for _, s := range Steps(&service.Deployment{Kind: release.Kind(tc.kind), Status: release.Status(tc.status), Step: release.Step(tc.step)}, tc.strategy) {
			got = append(got, s.State)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s %s/%s: %s, want %s", tc.kind, tc.status, tc.step, strings.Join(got, " "), tc.want)
		}
	}
}
