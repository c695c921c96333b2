// Package activities holds the retryable steps Rivetr's workflows are made
// of, one struct per concern, each holding only its own dependencies
// behind a small interface defined here (with a compile-time check that
// the real store or Docker client satisfies it):
//
//   - Records: the store steps of a release (plan, progress, gate checks,
//     decisions), run as local activities by the workflows;
//   - Host: the steps that touch a Docker host and its proxy (source,
//     build, start, health, switch, drain, retire, clean up);
//   - Databases and Backups: a managed database's container, and its
//     backups and restores, on its Docker host;
//   - DatabaseRecords: the store steps of databases and backups;
//   - Previews, Reports and Starts: pull request previews' records,
//     reports to git hosts and notification URLs, starting deployments.
//
// Package worker says which struct is registered on which task queue:
// host steps on their host's queue only, the rest on the shared queue.
//
// Each activity takes one input struct and returns one output struct, so
// fields can be added without breaking recorded histories. Nothing secret
// crosses an activity boundary: inputs carry IDs, and the activity that
// needs an env value or a git token reads it from the store.
package activities
