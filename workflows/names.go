package workflows

import (
	"strconv"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is where workflows and store-only activities run. Activities that
// touch a Docker host or its proxy run on that host's queue (see
// config.HostQueue).
const TaskQueue = "rivetr"

// Workflow type names, as shown in the Temporal UI.
const (
	AppQueueName  = "AppQueueWorkflow"
	DeployName    = "DeployWorkflow"
	RollbackName  = "RollbackWorkflow"
	DeleteAppName = "DeleteAppWorkflow"
	RetireName    = "RetireWorkflow"
	ScheduleName  = "ScheduledDeployWorkflow"
	RecurringName = "RecurringDeployWorkflow"
	DomainsName   = "DomainsWorkflow"
	RenewCertName = "RenewCertWorkflow"
)

// Signals of AppQueueWorkflow.
const (
	SignalRequest = "request"
	SignalCancel  = "cancel"
)

// Search attributes that make the Temporal UI's list filterable, e.g.
// RivetrApp = "web" AND RivetrKind = "deploy".
var (
	AppKey        = temporal.NewSearchAttributeKeyKeyword("RivetrApp")
	KindKey       = temporal.NewSearchAttributeKeyKeyword("RivetrKind")
	DeploymentKey = temporal.NewSearchAttributeKeyKeyword("RivetrDeployment")
)

// SearchAttributeNames lists the custom search attributes Rivetr registers.
func SearchAttributeNames() []string {
	return []string{AppKey.GetName(), KindKey.GetName(), DeploymentKey.GetName()}
}

// ScheduleID is the ID of the workflow holding a scheduled deployment until
// its time.
func ScheduleID(app, deploymentID string) string { return "schedule/" + app + "/" + deploymentID }

// RecurringID is the ID of the Temporal Schedule of a recurring deploy.
func RecurringID(app, id string) string { return "recurring/" + app + "/" + id }

// QueueID is the ID of an app's deploy queue workflow.
func QueueID(app string) string { return "app/" + app }

// DeployID is the ID of a deployment's workflow.
func DeployID(app, deploymentID string) string { return "deploy/" + app + "/" + deploymentID }

// WebhookDeployID is the ID of the deploy workflow a webhook delivery
// starts: the provider's delivery ID is part of it.
func WebhookDeployID(app, provider, deliveryID string) string {
	return "deploy/" + app + "/" + provider + "-" + deliveryID
}

// RollbackID is the ID of a rollback's workflow.
func RollbackID(app, deploymentID string) string { return "rollback/" + app + "/" + deploymentID }

// RetireID is the ID of the workflow that cleans up after a release.
func RetireID(app, deploymentID string) string { return "retire/" + app + "/" + deploymentID }

// StackID is the ID of a stack deployment's StackWorkflow.
func StackID(app, deploymentID string) string { return "stack/" + app + "/" + deploymentID }

// DomainsID is the ID of the workflow applying a change of app's domains
// (one per change: at names it).
func DomainsID(app string, at time.Time) string {
	return "domains/" + app + "/" + strconv.FormatInt(at.UnixNano(), 36)
}

// RenewCertID is the ID of the workflow renewing host's certificate.
func RenewCertID(host string, at time.Time) string {
	return "renew-cert/" + host + "/" + strconv.FormatInt(at.UnixNano(), 36)
}

// DeleteID is the ID of an app's deletion workflow.
func DeleteID(app, appID string) string { return "delete/" + app + "/" + appID }

// WorkflowID returns the workflow ID of a deployment of the given kind.
func WorkflowID(kind release.Kind, app, deploymentID string) string {
	if kind == release.KindRollback {
		return RollbackID(app, deploymentID)
	}
	return DeployID(app, deploymentID)
}
