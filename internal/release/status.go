package release

import "slices"

// Status is where a deployment is in its life. A deployment moves
// queued → building → deploying and ends in one of the terminal statuses;
// it may wait on the way (scheduled, awaiting approval, frozen).
type Status string

// Deployment statuses.
const (
	StatusQueued     Status = "queued"
	StatusBuilding   Status = "building"
	StatusDeploying  Status = "deploying"
	StatusSucceeded  Status = "succeeded"
	StatusFailed     Status = "failed"
	StatusCancelled  Status = "cancelled"
	StatusSuperseded Status = "superseded"
	// StatusRolledBack marks a deployment that served and was then
	// replaced by a rollback to an earlier one.
	StatusRolledBack Status = "rolled_back"
	// StatusScheduled: the deployment waits for the time it was scheduled
	// for; then it is queued like any other.
	StatusScheduled Status = "scheduled"
	// StatusFrozen: the deployment waits for a freeze window to end.
	StatusFrozen Status = "frozen"
	// StatusAwaitingApproval: the deployment waits at its approval gate.
	StatusAwaitingApproval Status = "awaiting_approval"
	// StatusRejected and StatusExpired end a deployment at its approval
	// gate: an approver rejected it, or nobody approved it in time.
	StatusRejected Status = "rejected"
	StatusExpired  Status = "expired"
)

// TerminalStatuses are the final statuses: nothing changes them again
// except a later rollback marking a succeeded deployment rolled_back.
var TerminalStatuses = []Status{StatusSucceeded, StatusFailed, StatusCancelled, StatusSuperseded, StatusRolledBack, StatusRejected, StatusExpired}

// InFlightStatuses are those of deployments in an app's queue or running:
// everything but the terminal ones and scheduled (which waits outside the
// queue).
var InFlightStatuses = []Status{StatusQueued, StatusBuilding, StatusDeploying, StatusAwaitingApproval, StatusFrozen}

// Terminal reports whether s is one of TerminalStatuses.
func (s Status) Terminal() bool { return slices.Contains(TerminalStatuses, s) }

// Terminal reports whether status is one of TerminalStatuses.
func Terminal(status Status) bool { return status.Terminal() }

// Served reports whether a deployment in status s once served traffic
// successfully (it succeeded, and may have been rolled back since).
func (s Status) Served() bool { return s == StatusSucceeded || s == StatusRolledBack }

// Revision is a deployment as the rollback rule sees it.
type Revision struct {
	ID, AppID, Image string
	Status           Status
	// Stack: the app is a stack, whose release is its compose file, env
	// and images, not its routed service's image alone.
	Stack bool
}

// CanRollBackTo reports whether an app serving current can roll back to
// d: d is the same app's, served successfully, and has an image other than
// the one serving now (a stack: any other release).
func CanRollBackTo(current *Revision, d Revision) bool {
	return current != nil && d.AppID == current.AppID && d.Status.Served() && d.Image != "" &&
		d.ID != current.ID && (d.Image != current.Image || d.Stack)
}

// InFlight reports whether s is one of InFlightStatuses.
func (s Status) InFlight() bool { return slices.Contains(InFlightStatuses, s) }

// Kind says what a deployment does: build from source, or bring back an
// earlier image.
type Kind string

// Deployment kinds.
const (
	KindDeploy   Kind = "deploy"
	KindRollback Kind = "rollback"
)

// Step is the part of a release a deployment is at. The dashboard shows
// the steps as a progress list.
type Step string

// Deployment steps, in the order a deploy runs them.
const (
	StepQueued   Step = "queued"
	StepApproval Step = "approval"
	StepFreeze   Step = "freeze"
	StepSource   Step = "source"
	StepBuild    Step = "build"
	StepStop     Step = "stop" // stop-first releases: the old version stops
	StepStart    Step = "start"
	StepHealth   Step = "health"
	StepSwitch   Step = "switch"
	StepDrain    Step = "drain"
	StepDone     Step = "done"
)

// DBStatus is the state of a managed database.
type DBStatus string

// Database states.
const (
	DBCreating DBStatus = "creating"
	DBRunning  DBStatus = "running"
	DBStopped  DBStatus = "stopped"
	DBRestore  DBStatus = "restoring"
	DBFailed   DBStatus = "failed"
)

// BackupStatus is the state of one backup.
type BackupStatus string

// Backup states.
const (
	BackupRunning   BackupStatus = "running"
	BackupSucceeded BackupStatus = "succeeded"
	BackupFailed    BackupStatus = "failed"
	BackupDeleted   BackupStatus = "deleted" // removed by retention
)

// BackupKind says what a backup holds: the engine's own dump, or a tar of
// the data volume.
type BackupKind string

// Backup kinds.
const (
	BackupDump   BackupKind = "dump"
	BackupVolume BackupKind = "volume"
	// BackupAppVolume is a tar of an app's volume (see docs/volumes.md).
	BackupAppVolume BackupKind = "app-volume"
)
