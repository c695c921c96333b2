// Package activities holds the retryable steps Rivetr's workflows are made
// of. Activities are methods on Activities, which holds their dependencies;
// each takes one input struct and returns one output struct, so fields can be
// added without breaking recorded histories.
//
// Nothing secret crosses an activity boundary: inputs carry IDs, and the
// activity that needs an env value or a git token reads it from the store.
package activities

import (
	"time"

	"github.com/rivetr/rivetr/internal/release"
)

// Non-retryable error types: the user's mistake, not the infrastructure's.
// Workflows read them to tell "failed" from "try again".
const (
	ErrTypeSource       = "SourceError"
	ErrTypeBuild        = "BuildFailed"
	ErrTypeUnhealthy    = "Unhealthy"
	ErrTypeImageMissing = "ImageMissing"
	ErrTypeGone         = "Gone"
	// ErrTypeSecret: this host cannot open the app's sealed secrets (it
	// lacks the key); retrying cannot help until the operator fixes it.
	ErrTypeSecret = "SecretUnavailable"
)

// PrepareInput names the deployment a workflow is about to run.
type PrepareInput struct {
	DeploymentID string
}

// Plan is the snapshot of an app's settings a deployment runs with, taken
// when it starts, so editing the app mid-deploy changes nothing. It holds no
// secrets: it is recorded in workflow history.
type Plan struct {
	DeploymentID   string
	AppID          string
	App            string
	Kind           release.Kind
	Status         release.Status // the deployment's status when the plan was made
	Domains        []string
	Port           int
	HealthPath     string
	HealthInterval time.Duration
	HealthTimeout  time.Duration
	HealthDeadline time.Duration
	DrainTimeout   time.Duration
	KeepImages     int
	Commit         string // requested commit (deploys)
	RollbackOf     string // deployment whose image a rollback reuses
	Image          string // image to run (rollbacks)
	// Approval is the app's approval gate, when it has one.
	Approval *ApprovalGate `json:",omitempty"`
	// Approvers hold the approver permission for the app (who may approve,
	// or override a freeze).
	Approvers []string `json:",omitempty"`
}

// FreezeInput asks whether a deployment meets a freeze window now.
type FreezeInput struct {
	DeploymentID string
}

// FreezeStatus says whether a freeze window covers now, until when, why,
// and whether deploys wait for it or are refused.
type FreezeStatus = release.FreezeVerdict

// AdminTokenApprover is the approver ID of the admin token.
const AdminTokenApprover = release.AdminTokenApprover

// ApprovalGate is what a deployment's approval gate needs, read when the
// deployment runs (not when it was requested).
type ApprovalGate struct {
	Needed      int
	AllowSelf   bool
	TTL         time.Duration
	RequesterID string
	Requester   string
	// Approvers are the user IDs that hold the approver permission in the
	// app's team (owners, admins, developers granted it, instance admins)
	// and AdminTokenApprover.
	Approvers []string
}

// EnqueueInput hands a scheduled deployment to its app's queue.
type EnqueueInput struct {
	DeploymentID string
}

// RecurringInput is one run of a recurring deploy.
type RecurringInput struct {
	AppID     string
	Recurring string // the recurring deploy's ID
}

// RescheduleInput moves a scheduled deployment.
type RescheduleInput struct {
	DeploymentID string
	At           time.Time
}

// DecideInput records a decision at the approval gate.
type DecideInput struct {
	DeploymentID string
	ApproverID   string
	Approver     string
	Decision     string // approve or reject
	Comment      string
}

// TransitionInput moves a deployment to a status and step and records why.
type TransitionInput struct {
	DeploymentID string
	Status       release.Status
	Step         release.Step
	Started      bool
	Finished     bool
	Reason       string
	Image        string
	ContainerID  string
	// Message is written to the deployment log as a system line.
	Message string
	// WaitingUntil is when the gate waited at gives up; ClearWaiting
	// clears it.
	WaitingUntil *time.Time `json:",omitempty"`
	ClearWaiting bool       `json:",omitempty"`
}

// SourceInput asks for a deployment's source.
type SourceInput struct {
	DeploymentID string
	Commit       string
}

// SourceResult is the commit that was checked out.
type SourceResult struct {
	Commit  string
	Message string
}

// BuildInput asks for a deployment's image to be built.
type BuildInput struct {
	DeploymentID string
	Commit       string
}

// BuildResult names the built image.
type BuildResult struct {
	Image   string
	ImageID string
}

// StartInput asks for a deployment's candidate container.
type StartInput struct {
	DeploymentID string
	Image        string
}

// Candidate is a started container that has not received traffic yet.
type Candidate struct {
	ContainerID string
	URL         string
}

// HealthInput describes how to decide that a candidate is healthy.
type HealthInput struct {
	DeploymentID string
	Candidate    Candidate
	Path         string
	Interval     time.Duration
	Timeout      time.Duration
	Deadline     time.Duration
}

// SwitchInput moves an app's traffic to a deployment's container.
type SwitchInput struct {
	AppID        string
	App          string
	DeploymentID string
	Domains      []string
	URL          string
}

// SwitchResult names the deployment that served before.
type SwitchResult struct {
	Previous string
}

// DrainInput drains a retired deployment's in-flight requests.
type DrainInput struct {
	DeploymentID string // the deployment that now serves (for its log)
	Previous     string // the deployment being drained
	Timeout      time.Duration
}

// RemoveOldInput removes the containers of an app's deployments older than
// Keep.
type RemoveOldInput struct {
	App  string
	Keep string
}

// CleanupInput removes what a failed or cancelled deployment left: its
// container and build workspace.
type CleanupInput struct {
	DeploymentID string
	App          string
}

// PruneInput removes an app's images beyond the newest Keep successful
// deployments, never the one serving, and never those of deployments newer
// than Current (a build in progress).
type PruneInput struct {
	AppID   string
	App     string
	Keep    int
	Current string
}

// MarkInput sets a deployment's final status without running it (a queued
// deploy superseded or cancelled).
type MarkInput struct {
	DeploymentID string
	Status       release.Status
	Reason       string
}

// RemoveAppInput removes everything an app has on a host.
type RemoveAppInput struct {
	AppID string
	App   string
}
