package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/dbengine"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"go.temporal.io/sdk/activity"
)

// DatabaseStore is what the database steps read.
type DatabaseStore interface {
	GetDatabase(ctx context.Context, nameOrID string) (*schema.Database, error)
	DatabasePasswords(d *schema.Database) (password, root string, err error)
}

var _ DatabaseStore = (*schema.Store)(nil)

// DatabaseRuntime is the part of the Docker engine the database steps use.
type DatabaseRuntime interface {
	EnsureNetwork(ctx context.Context, name string) error
	EnsureVolume(ctx context.Context, name string, labels map[string]string) error
	VolumeLabels(ctx context.Context, name string) (map[string]string, bool, error)
	RemoveVolume(ctx context.Context, name string) error
	Run(ctx context.Context, spec docker.RunSpec) (string, error)
	Inspect(ctx context.Context, id, network string) (docker.State, error)
	Logs(ctx context.Context, id string, tail int, follow bool, w io.Writer) error
	Exec(ctx context.Context, id string, spec docker.ExecSpec) error
	Stop(ctx context.Context, id string, grace time.Duration) error
	Remove(ctx context.Context, id string, grace time.Duration) error
}

var _ DatabaseRuntime = (*docker.Client)(nil)

// Databases run a managed database's container on its Docker host:
// create or start it with its volume, stop it, remove it. They are
// registered on that host's task queue only.
type Databases struct {
	Store   DatabaseStore
	Docker  DatabaseRuntime
	Network string
	// Instance is this installation's ID (docker.LabelInstance).
	Instance string
}

// Labels of a database's container and volume: its name, its ID and its
// team.
const (
	LabelDatabase   = "rivetr.database"
	LabelDatabaseID = "rivetr.database.id"
	LabelTeam       = docker.LabelTeam
)

// DatabaseInput names a database.
type DatabaseInput struct {
	ID    string
	Purge bool
}

// instance opens a database's record and passwords.
func instance(ctx context.Context, store DatabaseStore, id string) (*schema.Database, dbengine.Instance, error) {
	d, err := store.GetDatabase(ctx, id)
	if err != nil {
		return nil, dbengine.Instance{}, gone(err)
	}
	e, err := dbengine.Lookup(d.Engine)
	if err != nil {
		return nil, dbengine.Instance{}, nonRetryable(ErrTypeDatabase, "%v", err)
	}
	pw, root, err := store.DatabasePasswords(d)
	if err != nil {
		return nil, dbengine.Instance{}, secretErr(err)
	}
	return d, dbengine.Instance{Engine: e, Host: d.ContainerName(), User: d.User, Password: pw, RootPassword: root, Database: d.DBName}, nil
}

// containerLabels are a volume's labels and the network a container joins.
func containerLabels(labels map[string]string, network string) map[string]string {
	out := map[string]string{docker.LabelNetwork: network}
	for k, v := range labels {
		out[k] = v
	}
	return out
}

// DBUp creates (or starts) a database's container with its volume on
// its team's network and waits until it takes connections.
func (dbs *Databases) DBUp(ctx context.Context, in DatabaseInput) (string, error) {
	d, inst, err := instance(ctx, dbs.Store, in.ID)
	if err != nil {
		return "", err
	}
	net := release.TeamNetwork(dbs.Network, d.TeamID)
	labels := map[string]string{docker.LabelManaged: "true", LabelDatabase: d.Name, LabelDatabaseID: d.ID, LabelTeam: d.TeamID}
	if dbs.Instance != "" {
		labels[docker.LabelInstance] = dbs.Instance
	}
	// A container of that name that another installation (or another
	// database) made is never taken over.
	if st, err := dbs.Docker.Inspect(ctx, d.ContainerName(), ""); err == nil {
		if !docker.Ours(st.Labels, dbs.Instance) || (st.Labels[LabelDatabaseID] != "" && st.Labels[LabelDatabaseID] != d.ID) {
			return "", nonRetryable(ErrTypeDatabase, "the container name %s is taken on this Docker engine by another Rivetr installation or database; rename the database, or remove that container if it is left over", d.ContainerName())
		}
	} else if !errors.Is(err, docker.ErrNotFound) {
		return "", err
	}
	if err := dbs.Docker.EnsureNetwork(ctx, net); err != nil {
		return "", err
	}
	// A volume another database made is never handed to this one.
	if have, ok, err := dbs.Docker.VolumeLabels(ctx, d.VolumeName()); err != nil {
		return "", err
	} else if ok && (have[LabelDatabaseID] != "" && have[LabelDatabaseID] != d.ID || !docker.Ours(have, dbs.Instance)) {
		return "", nonRetryable(ErrTypeDatabase, "the volume %s belongs to another database (%s); it is not given to %s", d.VolumeName(), have[LabelDatabaseID], d.Name)
	}
	if err := dbs.Docker.EnsureVolume(ctx, d.VolumeName(), labels); err != nil {
		return "", err
	}
	id, err := dbs.Docker.Run(ctx, docker.RunSpec{
		Name: d.ContainerName(), Image: d.Image, Env: inst.Env(), Cmd: inst.Cmd(), Labels: containerLabels(labels, net), Network: net,
		Volume: d.VolumeName(), VolumePath: inst.Engine.DataPath, PublishPort: d.PublicPort, ContainerPort: inst.Engine.Port,
	})
	if err != nil {
		if errors.Is(err, docker.ErrNotFound) {
			return "", nonRetryable(ErrTypeDatabase, "image %s is not on this Docker host (pull it, or give --image)", d.Image)
		}
		return id, err
	}
	if err := waitReady(ctx, dbs.Docker, net, id, inst, 3*time.Minute); err != nil {
		return id, err
	}
	return id, nil
}

// readyChecker is what waitReady asks the Docker engine.
type readyChecker interface {
	Inspect(ctx context.Context, id, network string) (docker.State, error)
	Logs(ctx context.Context, id string, tail int, follow bool, w io.Writer) error
	Exec(ctx context.Context, id string, spec docker.ExecSpec) error
}

// waitReady runs the engine's readiness check until it passes; a container
// that stops running meanwhile fails at once with the end of its log.
func waitReady(ctx context.Context, rt readyChecker, network, id string, inst dbengine.Instance, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		activity.RecordHeartbeat(ctx, "waiting for the database")
		st, err := rt.Inspect(ctx, id, network)
		if err != nil {
			return err
		}
		if !st.Running {
			var logs bytes.Buffer
			_ = rt.Logs(ctx, id, 20, false, &logs)
			return nonRetryable(ErrTypeDatabase, "the database container exited (%s): %s", st.Exit(), strings.TrimSpace(logs.String()))
		}
		if last = rt.Exec(ctx, id, docker.ExecSpec{Cmd: inst.Ready(), Env: inst.ReadyEnv()}); last == nil {
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
func (dbs *Databases) DBStop(ctx context.Context, in DatabaseInput) error {
	d, err := dbs.Store.GetDatabase(ctx, in.ID)
	if err != nil {
		return gone(err)
	}
	err = dbs.Docker.Stop(ctx, d.ContainerName(), 30*time.Second)
	if errors.Is(err, docker.ErrNotFound) {
		return nil
	}
	return err
}

// DBRemove removes a database's container, and its volume when purging.
func (dbs *Databases) DBRemove(ctx context.Context, in DatabaseInput) error {
	d, err := dbs.Store.GetDatabase(ctx, in.ID)
	if err != nil {
		return gone(err)
	}
	if err := dbs.Docker.Remove(ctx, d.ContainerName(), 30*time.Second); err != nil && !errors.Is(err, docker.ErrNotFound) {
		return err
	}
	if in.Purge {
		return dbs.Docker.RemoveVolume(ctx, d.VolumeName())
	}
	return nil
}
