package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// VolumeView is one of an app's volumes.
type VolumeView struct {
	Name string `json:"name"`
	Path string `json:"path"`
	// Docker is the volume's name on its Docker host.
	Docker    string    `json:"docker_volume"`
	CreatedAt time.Time `json:"created_at"`
	// Size is the bytes it holds, when the server could measure it (the
	// app on this server's Docker host, deployed since it was added).
	Size *int64 `json:"size,omitempty"`
}

// VolumeRequest is the body of POST /api/apps/:name/volumes.
type VolumeRequest struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// VolumeSizer measures volumes (docker.Client does; the service's Runtime
// may not).
type VolumeSizer interface {
	VolumeSizes(ctx context.Context, names []string) (map[string]int64, error)
}

// ListVolumes returns an app's volumes with their sizes when they can be
// measured here.
func (s *Apps) ListVolumes(ctx context.Context, name string) ([]VolumeView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermRead)
	if err != nil {
		return nil, err
	}
	vs, err := s.store.ListVolumes(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	out := make([]VolumeView, 0, len(vs))
	names := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, VolumeView{Name: v.Name, Path: v.Path, Docker: release.AppVolume(app.ID, v.Name), CreatedAt: v.CreatedAt})
		names = append(names, release.AppVolume(app.ID, v.Name))
	}
	if sizer, ok := s.docker.(VolumeSizer); ok && len(names) > 0 && (app.Host == "" || app.Host == s.hostName) {
		// The engine walks every volume to count: bounded, a list without
		// sizes beats a page that hangs.
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if sizes, err := sizer.VolumeSizes(sctx, names); err == nil {
			for i := range out {
				if n, ok := sizes[out[i].Docker]; ok {
					out[i].Size = &n
				}
			}
		}
	}
	return out, nil
}

// AddVolume gives an app a volume, mounted from its next deployment.
func (s *Apps) AddVolume(ctx context.Context, name string, in VolumeRequest) (*VolumeView, error) {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return nil, err
	}
	if app.PreviewOf != "" {
		return nil, stateErr("%s is a pull request preview; give volumes to the app it previews", app.Name)
	}
	vs, err := s.store.ListVolumes(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	others := map[string]string{}
	for _, v := range vs {
		others[v.Name] = v.Path
	}
	if err := release.CheckVolume(in.Name, in.Path, others); err != nil {
		return nil, &ValidationError{Fields: map[string]string{"volume": err.Error()}}
	}
	v := &schema.Volume{AppID: app.ID, Name: in.Name, Path: in.Path, CreatedAt: time.Now().UTC()}
	if err := s.store.CreateVolume(ctx, v); err != nil {
		if errors.Is(err, schema.ErrConflict) { // a racing add took the name or path
			return nil, &ValidationError{Fields: map[string]string{"volume": fmt.Sprintf("%s already has a volume named %s or at %s", app.Name, in.Name, in.Path)}}
		}
		return nil, err
	}
	s.audit(ctx, AuditVolumeAdd, app.TeamID, app.Name+"/"+in.Name, nil, map[string]any{"app": app.Name, "volume": in.Name, "path": in.Path})
	return &VolumeView{Name: v.Name, Path: v.Path, Docker: release.AppVolume(app.ID, v.Name), CreatedAt: v.CreatedAt}, nil
}

// RemoveVolume takes a volume from an app: the next deployment no longer
// mounts it, and deletes its data once the old container is gone.
func (s *Apps) RemoveVolume(ctx context.Context, name, volume string) error {
	app, _, err := s.authorizeApp(ctx, name, release.PermEditApp)
	if err != nil {
		return err
	}
	if err := s.dropVolumeSchedules(ctx, app, volume); err != nil {
		return err
	}
	if err := s.store.DeleteVolume(ctx, app.ID, volume); err != nil {
		if errors.Is(err, schema.ErrNotFound) {
			return fmt.Errorf("%s has no volume named %s: %w", app.Name, volume, schema.ErrNotFound)
		}
		return err
	}
	s.audit(ctx, AuditVolumeRemove, app.TeamID, app.Name+"/"+volume, map[string]any{"app": app.Name, "volume": volume}, nil)
	return nil
}
