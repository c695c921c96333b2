package activities

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/rivetr/rivetr/internal/release"
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
	// BuildType is the release's build type (compose: a stack).
	BuildType string `json:",omitempty"`
	// Strategy is how the release replaces the serving version (the
	// app's now; "" in histories from before strategies: start-first).
	Strategy   release.Strategy `json:",omitempty"`
	Commit     string           // requested commit (deploys)
	RollbackOf string           // deployment whose image a rollback reuses
	Image      string           // image to run (rollbacks)
	// Dependencies are what the app needs ready before its new container
	// starts (none in histories from before dependencies).
	Dependencies []PlanDependency `json:",omitempty"`
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

// ApprovalGate is what a deployment's approval gate needs, read when the
// deployment runs (not when it was requested).
type ApprovalGate struct {
	Needed      int
	AllowSelf   bool
	TTL         time.Duration
	RequesterID string
	Requester   string
	// RequesterEmail is the email of a requester with no account here (a
	// push's pusher); "" with RequesterID "" means nobody knows who asked.
	RequesterEmail string
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
	// Host is the probe's Host header (a stack route's); "" the app's
	// first domain.
	Host string `json:",omitempty"`
}

// SwitchInput moves an app's traffic to a deployment's container.
type SwitchInput struct {
	AppID        string
	App          string
	DeploymentID string
	Domains      []string
	URL          string
	// Service switches a stack route's service (its hosts) instead of the
	// app's own route.
	Service string `json:",omitempty"`
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

// StopServingInput begins a stop-first release: hold the app's requests
// for up to Hold, let those on the serving version finish for up to
// Drain, and stop it.
type StopServingInput struct {
	DeploymentID string // the new deployment (for its log)
	AppID        string
	App          string
	Hold         time.Duration
	Drain        time.Duration
}

// Stopped is the version a stop-first release stopped ("" when nothing
// served), kept to be started again should the release fail.
type Stopped struct {
	Deployment  string
	ContainerID string
}

// RestartInput starts a stopped version again after a failed stop-first
// release.
type RestartInput struct {
	DeploymentID string // the failed deployment (for its log)
	AppID        string
	Stopped      Stopped
	// Service names a stack's service that is only started again (the
	// proxy does not route to it).
	Service string `json:",omitempty"`
}

// RerouteInput points the app's route back at its stopped-and-restarted
// version (URL "" only lets the held requests go on).
type RerouteInput struct {
	DeploymentID string // the failed deployment (for its log)
	AppID        string
	App          string
	Serving      string // the deployment started again
	URL          string
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

// DeploymentRef names a deployment.
type DeploymentRef struct {
	DeploymentID string
}

// CertInput names a domain whose certificate is renewed.
type CertInput struct {
	Host string
}

// DomainsInput names the app whose route takes its domains.
type DomainsInput struct {
	AppID string
	App   string
}

// AppRef names an app.
type AppRef struct {
	App string
}

// BackupRef names a backup.
type BackupRef struct {
	BackupID string
}

// DatabaseRef names a database.
type DatabaseRef struct {
	DatabaseID string
}

// These activities took a bare string before they took a struct: an
// activity task or history written by an earlier release still carries
// one, so their inputs read either.

// UnmarshalJSON reads {"DeploymentID": …} or a bare deployment ID.
func (in *DeploymentRef) UnmarshalJSON(b []byte) error {
	type plain DeploymentRef
	return legacyString(b, &in.DeploymentID, (*plain)(in))
}

// UnmarshalJSON reads {"App": …} or a bare app name.
func (in *AppRef) UnmarshalJSON(b []byte) error {
	type plain AppRef
	return legacyString(b, &in.App, (*plain)(in))
}

// UnmarshalJSON reads {"BackupID": …} or a bare backup ID.
func (in *BackupRef) UnmarshalJSON(b []byte) error {
	type plain BackupRef
	return legacyString(b, &in.BackupID, (*plain)(in))
}

// UnmarshalJSON reads {"DatabaseID": …} or a bare database ID.
func (in *DatabaseRef) UnmarshalJSON(b []byte) error {
	type plain DatabaseRef
	return legacyString(b, &in.DatabaseID, (*plain)(in))
}

// legacyString decodes b into id when it is a JSON string, else into v.
func legacyString(b []byte, id *string, v any) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '"' {
		return json.Unmarshal(t, id)
	}
	return json.Unmarshal(b, v)
}
