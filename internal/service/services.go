package service

import (
	"context"
	"fmt"
	"sort"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
)

// ServiceView is one container of a stack's service, as Docker reports
// it: the serving deployment's, or an older one's still being retired.
type ServiceView struct {
	Service    string `json:"service"`
	Container  string `json:"container"`
	Image      string `json:"image"`
	State      string `json:"state"`  // running, exited, …
	Status     string `json:"status"` // Docker's summary: "Up 3 minutes (healthy)"
	Deployment string `json:"deployment"`
	// Serving: the container is of the deployment that serves; Routed:
	// its service is where the app's domains (or some) go.
	Serving bool `json:"serving"`
	Routed  bool `json:"routed,omitempty"`
}

// Services lists a stack's containers, the serving deployment's first,
// by service.
func (s *Apps) Services(ctx context.Context, name string) ([]ServiceView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermRead)
	if err != nil {
		return nil, err
	}
	if app.BuildType != detect.Compose {
		return nil, &ValidationError{Fields: map[string]string{"app": app.Name + " is not a stack (build type compose): it runs one container"}}
	}
	if s.docker == nil {
		return nil, fmt.Errorf("services: %w: Docker is not available on this server", ErrUnavailable)
	}
	cs, err := s.docker.Containers(ctx, map[string]string{docker.LabelApp: app.Name})
	if err != nil {
		return nil, fmt.Errorf("services: %w: %v", ErrUnavailable, err)
	}
	out := []ServiceView{}
	for _, c := range cs {
		svc := c.Labels[activities.LabelService]
		if svc == "" {
			continue
		}
		dep := c.Labels[docker.LabelDeployment]
		out = append(out, ServiceView{Service: svc, Container: c.Name, Image: c.Image, State: c.State, Status: c.Status, Deployment: dep,
			Serving: dep != "" && dep == app.CurrentDeploymentID, Routed: svc == app.StackService || len(release.RouteHosts(app.StackRoutes, svc)) > 0})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Serving != out[j].Serving {
			return out[i].Serving
		}
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Deployment > out[j].Deployment
	})
	return out, nil
}
