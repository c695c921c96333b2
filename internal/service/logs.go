package service

import (
	"context"
	"fmt"
	"io"

	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
)

// AppLogs writes the runtime output of an app's serving container to w: the
// last tail lines, then (with follow) new lines until ctx ends.
func (s *Deploys) AppLogs(ctx context.Context, appName string, tail int, follow bool, w io.Writer) error {
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
	cs, err := s.docker.Containers(ctx, map[string]string{docker.LabelDeployment: app.CurrentDeploymentID})
	if err != nil {
		return fmt.Errorf("runtime logs: %w: %v", ErrUnavailable, err)
	}
	if len(cs) == 0 {
		return stateErr("the container of deployment %s is not on this server's Docker host", app.CurrentDeploymentID)
	}
	return s.docker.Logs(ctx, cs[0].ID, tail, follow, w)
}
