package web

import "github.com/rivetr/rivetr/schema"

// Step is one line of a deployment's progress list.
type Step struct {
	Name  string // schema.Step*
	Label string
	State string // pending, current, done, failed, cancelled, skipped
}

var stepOrder = []struct{ name, label string }{
	{schema.StepSource, "Fetch source"},
	{schema.StepBuild, "Build image"},
	{schema.StepStart, "Start new container"},
	{schema.StepHealth, "Health check"},
	{schema.StepSwitch, "Switch traffic"},
	{schema.StepDrain, "Drain old version"},
}

// Steps is the progress list of d: the steps before its current one are
// done, the current one is running (or failed, or cancelled), the rest
// pending. A rollback reuses an image, so it skips fetching and building.
// app.js mirrors this for live updates.
func Steps(d *schema.Deployment) []Step {
	cur := -1
	for i, s := range stepOrder {
		if s.name == d.Step {
			cur = i
		}
	}
	finished := d.Step == schema.StepDone || d.Status == schema.StatusSucceeded || d.Status == schema.StatusRolledBack
	out := make([]Step, len(stepOrder))
	for i, s := range stepOrder {
		st := "pending"
		switch {
		case d.Kind == schema.KindRollback && i < 2:
			st = "skipped"
		case finished:
			st = "done"
		case cur < 0:
		case i < cur:
			st = "done"
		case i == cur:
			switch d.Status {
			case schema.StatusFailed:
				st = "failed"
			case schema.StatusCancelled:
				st = "cancelled"
			default:
				st = "current"
			}
		}
		out[i] = Step{Name: s.name, Label: s.label, State: st}
	}
	return out
}
