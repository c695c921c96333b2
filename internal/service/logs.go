package service

import (
	"cmp"
	"context"
	"fmt"
	"io"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// Logs: a running app's container output and deployments' logs.

// AppLogs writes the runtime output of an app's serving container to w: the
// last tail lines, then (with follow) new lines until ctx ends.
//
// A stack's output is one service's: service (default: the routed one).
func (s *Deploys) AppLogs(ctx context.Context, appName, service string, tail int, follow bool, w io.Writer) error {
	app, _, err := s.authorizeApp(ctx, appName, release.PermRead)
	if err != nil {
		return err
	}
	if app.CurrentDeploymentID == "" {
		return stateErr("%s has no deployment serving yet; see its deployment logs with rivetr logs %s --deployment ID", app.Name, app.Name)
	}
	if s.docker == nil {
		return fmt.Errorf("runtime logs: %w: Docker is not available on this server", ErrUnavailable)
	}
	labels := map[string]string{docker.LabelDeployment: app.CurrentDeploymentID}
	switch {
	case app.BuildType == detect.Compose:
		labels[activities.LabelService] = cmp.Or(service, app.StackService)
	case service != "":
		return &ValidationError{Fields: map[string]string{"service": app.Name + " is not a stack: it has no services to choose from"}}
	}
	cs, err := s.docker.Containers(ctx, labels)
	if err != nil {
		return fmt.Errorf("runtime logs: %w: %v", ErrUnavailable, err)
	}
	if len(cs) == 0 {
		if service != "" {
			return errorf(KindNotFound, "deployment %s of %s has no service %q on this server's Docker host (rivetr apps services %s lists them)", app.CurrentDeploymentID, app.Name, service, app.Name)
		}
		return stateErr("the container of deployment %s is not on this server's Docker host", app.CurrentDeploymentID)
	}
	return s.docker.Logs(ctx, cs[0].ID, tail, follow, w)
}

// deploymentLogs returns up to limit lines of a deployment's log after the
// line with ID after.
func (s *Deploys) deploymentLogs(ctx context.Context, id string, after uint64, limit int) ([]schema.LogLine, error) {
	if _, err := s.authorizeDeployment(ctx, id, release.PermRead); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 5000 {
		limit = 1000
	}
	return s.store.LogsAfter(ctx, id, after, limit)
}

// DeploymentLogTail returns the last n lines of a deployment's log and how
// many lines it has in all.
func (s *Deploys) DeploymentLogTail(ctx context.Context, id string, n int) ([]LogLine, int, error) {
	if _, err := s.authorizeDeployment(ctx, id, release.PermRead); err != nil {
		return nil, 0, err
	}
	lines, total, err := s.store.LogTail(ctx, id, n)
	return each(lines, logLineOf), int(total), err
}

// DeploymentLogs is deploymentLogs with the records as the API answers them.
func (s *Deploys) DeploymentLogs(ctx context.Context, id string, after uint64, limit int) ([]LogLine, error) {
	v, err := s.deploymentLogs(ctx, id, after, limit)
	return each(v, logLineOf), err
}
