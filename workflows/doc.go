// Package workflows holds Rivetr's Temporal workflows, written as runbooks:
// the release (deploy.go: a table of steps and one helper that records,
// runs and wraps each), its gates (approval.go, freeze.go: a verdict each),
// the app queue that runs one deployment at a time and tells watchers how
// each ended (queue.go), scheduled and recurring deploys, previews and
// commit statuses (which wait for the queue's word, watch.go), databases,
// backups and restores.
//
// They are deterministic: no I/O, no time.Now, no goroutines, no map order
// that shapes commands. Every effect is an activity, named through nil
// pointers of the activity structs (act); every rule is internal/release's.
// A change that would break a running workflow is guarded with
// workflow.GetVersion and proved by package worker's replay tests.
package workflows
