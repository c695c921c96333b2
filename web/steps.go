package web

import (
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// Step is one line of a deployment's progress list.
type Step struct {
	Name  release.Step
	Label string
	State string // pending, current, done, failed, cancelled, skipped
}

var stepOrder = []struct {
	name  release.Step
	label string
}{
	{release.StepSource, "Fetch source"},
	{release.StepBuild, "Build image"},
	{release.StepStop, "Stop old version (requests held)"},
	{release.StepStart, "Start new container"},
	{release.StepHealth, "Health check"},
	{release.StepSwitch, "Switch traffic"},
	{release.StepDrain, "Drain old version"},
}

// Steps is the progress list of d: the steps before its current one are
// done, the current one is running (or failed, or cancelled), the rest
// pending. A rollback reuses an image, so it skips fetching and building;
// only a stop-first release (its app's strategy) stops the old version
// first. app.js mirrors this for live updates.
func Steps(d *service.Deployment, strategy release.Strategy) []Step {
	cur := -1
	for i, s := range stepOrder {
		if s.name == d.Step {
			cur = i
		}
	}
	finished := d.Step == release.StepDone || d.Status == release.StatusSucceeded || d.Status == release.StatusRolledBack
	out := make([]Step, 0, len(stepOrder))
	for i, s := range stepOrder {
		if s.name == release.StepStop && strategy.Or() != release.StopFirst {
			continue
		}
		st := "pending"
		switch {
		case d.Kind == release.KindRollback && i < 2:
			st = "skipped"
		case finished:
			st = "done"
		case cur < 0:
		case i < cur:
			st = "done"
		case i == cur:
			switch d.Status {
			case release.StatusFailed:
				st = "failed"
			case release.StatusCancelled:
				st = "cancelled"
			default:
				st = "current"
			}
		}
		out = append(out, Step{Name: s.name, Label: s.label, State: st})
	}
	return out
}
