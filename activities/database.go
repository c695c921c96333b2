package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/rivetr/rivetr/internal/dbengine"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// LabelDatabase marks a database's container and volume with its name.
const LabelDatabase = "rivetr.database"

// ErrTypeDatabase is a database that cannot start for a reason retrying
// will not change (its image is missing, it exits at once).
const ErrTypeDatabase = "DatabaseFailed"

// DatabaseInput names a database.
type DatabaseInput struct {
	ID    string
	Purge bool
}

// instance opens a database's record and passwords.
func (a *Activities) instance(ctx context.Context, id string) (*schema.Database, dbengine.Instance, error) {
	d, err := a.Store.GetDatabase(ctx, id)
	if err != nil {
		return nil, dbengine.Instance{}, gone(err)
	}
	e, err := dbengine.Lookup(d.Engine)
	if err != nil {
		return nil, dbengine.Instance{}, nonRetryable(ErrTypeDatabase, "%v", err)
	}
	pw, root, err := a.Store.DatabasePasswords(d)
	if err != nil {
		return nil, dbengine.Instance{}, secretErr(err)
	}
	return d, dbengine.Instance{Engine: e, Host: d.ContainerName(), User: d.User, Password: pw, RootPassword: root, Database: d.DBName}, nil
}

// DBUp creates (or starts) a database's container with its volume on
// Rivetr's network and waits until it takes connections.
func (a *Activities) DBUp(ctx context.Context, in DatabaseInput) (string, error) {
	d, inst, err := a.instance(ctx, in.ID)
	if err != nil {
		return "", err
	}
	labels := map[string]string{docker.LabelManaged: "true", LabelDatabase: d.Name}
	if err := a.Docker.EnsureNetwork(ctx, a.Network); err != nil {
		return "", err
	}
	if err := a.Docker.EnsureVolume(ctx, d.VolumeName(), labels); err != nil {
		return "", err
	}
	id, err := a.Docker.Run(ctx, docker.RunSpec{
		Name: d.ContainerName(), Image: d.Image, Env: inst.Env(), Cmd: inst.Cmd(), Labels: labels, Network: a.Network,
		Volume: d.VolumeName(), VolumePath: inst.Engine.DataPath, PublishPort: d.PublicPort, ContainerPort: inst.Engine.Port,
	})
	if err != nil {
		if errors.Is(err, docker.ErrNotFound) {
			return "", nonRetryable(ErrTypeDatabase, "image %s is not on this Docker host (pull it, or give --image)", d.Image)
		}
		return id, err
	}
	if err := a.waitReady(ctx, id, inst, 3*time.Minute); err != nil {
		return id, err
	}
	return id, nil
}

// waitReady runs the engine's readiness check until it passes; a container
// that stops running meanwhile fails at once with the end of its log.
func (a *Activities) waitReady(ctx context.Context, id string, inst dbengine.Instance, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		activity.RecordHeartbeat(ctx, "waiting for the database")
		st, err := a.Docker.Inspect(ctx, id, a.Network)
		if err != nil {
			return err
		}
		if !st.Running {
			var logs bytes.Buffer
			_ = a.Docker.Logs(ctx, id, 20, false, &logs)
			return nonRetryable(ErrTypeDatabase, "the database container exited (code %d): %s", st.ExitCode, strings.TrimSpace(logs.String()))
		}
		if last = a.Docker.Exec(ctx, id, docker.ExecSpec{Cmd: inst.Ready(), Env: inst.ReadyEnv()}); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return fmt.Errorf("the database did not take connections within %s: %v", limit, last)
}

// DBStop stops a database's container (its data stays in the volume).
func (a *Activities) DBStop(ctx context.Context, in DatabaseInput) error {
	d, err := a.Store.GetDatabase(ctx, in.ID)
	if err != nil {
		return gone(err)
	}
	err = a.Docker.Stop(ctx, d.ContainerName(), 30*time.Second)
	if errors.Is(err, docker.ErrNotFound) {
		return nil
	}
	return err
}

// DBRemove removes a database's container, and its volume when purging.
func (a *Activities) DBRemove(ctx context.Context, in DatabaseInput) error {
	d, err := a.Store.GetDatabase(ctx, in.ID)
	if err != nil {
		return gone(err)
	}
	if err := a.Docker.Remove(ctx, d.ContainerName(), 30*time.Second); err != nil && !errors.Is(err, docker.ErrNotFound) {
		return err
	}
	if in.Purge {
		return a.Docker.RemoveVolume(ctx, d.VolumeName())
	}
	return nil
}

// DBMarkInput records a database's state.
type DBMarkInput struct {
	ID          string
	Status      release.DBStatus
	Error       string
	ContainerID string
	Delete      bool
}

// DBMark records a database's state, or deletes its record.
func (a *Activities) DBMark(ctx context.Context, in DBMarkInput) error {
	if in.Delete {
		err := a.Store.DeleteDatabase(ctx, in.ID)
		if errors.Is(err, schema.ErrNotFound) {
			return nil
		}
		return err
	}
	return gone(a.Store.UpdateDatabaseStatus(ctx, in.ID, in.Status, in.Error, in.ContainerID))
}
