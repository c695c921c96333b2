// Package release is Rivetr's domain: the words and rules every other
// package shares, with no store, no Docker and no Temporal behind them.
//
//   - the lifecycle of a deployment: its Status, Step and Kind, and which
//     statuses are Terminal or in flight;
//   - the release gates: the effective approval Policy of an app and its
//     environment, who may approve (driven by the one permission Matrix),
//     and the freeze Verdict of a set of windows for a kind of deployment
//     at a moment;
//   - the names of what a deployment makes on a Docker host (image tags,
//     container names, a database's container and volume, a pull request's
//     preview app, host and ref);
//   - the retention planners: which backups to delete, which images to
//     prune.
//
// Everything here is a pure function of its arguments (the standard
// library and cron only), with table tests beside it. The store, the
// activities, the workflows and the service call these functions; none
// of them holds a copy of a rule.
package release
