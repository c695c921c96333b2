package activities

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rivetr/rivetr/internal/backup"
	"github.com/rivetr/rivetr/internal/dbengine"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"go.temporal.io/sdk/activity"
)

// BackupStore is what backups and restores read and write.
type BackupStore interface {
	DatabaseStore
	UpdateDatabaseStatus(ctx context.Context, id string, status release.DBStatus, errText, containerID string) error
	GetPolicy(ctx context.Context, dbID string) (*schema.BackupPolicy, error)
	S3SecretKey(p *schema.BackupPolicy) (string, error)
	GetBackup(ctx context.Context, id string) (*schema.Backup, error)
	ListBackups(ctx context.Context, dbID string) ([]schema.Backup, error)
	SaveBackup(ctx context.Context, b *schema.Backup) error
	GetVolume(ctx context.Context, id string) (*schema.Volume, error)
	GetApp(ctx context.Context, nameOrID string) (*schema.App, error)
	GetDeployment(ctx context.Context, id string) (*schema.Deployment, error)
}

var _ BackupStore = (*schema.Store)(nil)

// BackupRuntime is the part of the Docker engine backups and restores use.
type BackupRuntime interface {
	readyChecker
	Start(ctx context.Context, id string) error
	Stop(ctx context.Context, id string, grace time.Duration) error
	RunOnce(ctx context.Context, spec docker.OnceSpec) error
	Connect(ctx context.Context, network, id string, aliases []string) error
	Disconnect(ctx context.Context, network, id string) error
	CopyFileFrom(ctx context.Context, id, file string, w io.Writer) (int64, error)
	CopyFileTo(ctx context.Context, id, file string, r io.Reader, size int64, uid, gid int) error
	Build(ctx context.Context, spec docker.BuildSpec, out func(line string)) (string, error)
	ImageExists(ctx context.Context, ref string) (bool, error)
	VolumeLabels(ctx context.Context, name string) (map[string]string, bool, error)
}

var _ BackupRuntime = (*docker.Client)(nil)

// Backups dump, store, verify, prune and restore the backups of a database
// or an app's volume (volumebackup.go) on its Docker host (where the local
// copies live). They are registered on
// that host's task queue only.
type Backups struct {
	Store  BackupStore
	Docker BackupRuntime
	// Network is the base of the team networks (release.TeamNetwork); a
	// database leaves its team's while it is restored.
	Network string
	// Dir keeps database backups on this host (the local destination).
	Dir string
	// Egress is where S3 endpoints may be reached (see package egress).
	Egress *egress.Policy
	// Instance is this installation's ID (docker.LabelInstance).
	Instance string
	// Router holds an app's requests while its volume is restored (nil:
	// they fail meanwhile).
	Router Router
	// StaticServer is the rivetr-static binary the volume tools image is
	// built from; "" looks next to this executable, then on the PATH.
	StaticServer string
}

// destinations builds a database's backup destinations from its policy.
func (bk *Backups) destinations(ctx context.Context, dbID string) ([]backup.Destination, *schema.BackupPolicy, error) {
	p, err := bk.Store.GetPolicy(ctx, dbID)
	if err != nil {
		return nil, nil, err
	}
	var out []backup.Destination
	if p.Local {
		out = append(out, &backup.Local{Dir: bk.Dir})
	}
	if p.S3Bucket != "" {
		secret, err := bk.Store.S3SecretKey(p)
		if err != nil {
			return nil, p, secretErr(err)
		}
		s, err := backup.NewS3(backup.S3Config{Endpoint: p.S3Endpoint, Region: p.S3Region, Bucket: p.S3Bucket, Prefix: p.S3Prefix,
			Egress: bk.Egress, AccessKey: p.S3AccessKey, SecretKey: secret, PathStyle: p.S3PathStyle})
		if err != nil {
			return nil, p, nonRetryable(ErrTypeBackup, "%v", err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, p, nonRetryable(ErrTypeBackup, "the backup policy has no destination: keep local copies or give an S3 bucket")
	}
	return out, p, nil
}

// BackupRun dumps a database inside its container, compresses the stream
// and writes it to every destination at once, then reads each copy back to
// check its size and SHA-256. Nothing is held in memory or on disk but the
// copies themselves (a Redis snapshot is streamed out of its container).
func (bk *Backups) BackupRun(ctx context.Context, in BackupRef) (*BackupResult, error) {
	b, err := backupRecord(ctx, bk.Store, in.BackupID)
	if err != nil {
		return nil, err
	}
	dests, _, err := bk.destinations(ctx, b.DatabaseID)
	if err != nil {
		return nil, err
	}
	stop := heartbeat(ctx, 5*time.Second)
	defer stop()
	var produce func(w io.Writer) error
	if b.Kind == release.BackupAppVolume {
		produce, err = bk.appVolumeSource(ctx, b)
	} else {
		var done func()
		produce, done, err = bk.databaseSource(ctx, b)
		if done != nil {
			defer done()
		}
	}
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		zw := gzip.NewWriter(pw)
		err := produce(zw)
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			err = fmt.Errorf("the dump failed: %w", err)
		}
		pw.CloseWithError(err)
	}()
	res, err := backup.Write(ctx, pr, dests, b.Key)
	pr.CloseWithError(errors.New("stopped"))
	if err != nil {
		return nil, err
	}
	for _, dst := range dests {
		activity.RecordHeartbeat(ctx, "verifying "+dst.Name())
		if err := backup.Verify(ctx, dst, b.Key, res.Size, res.SHA256); err != nil {
			for _, d := range dests {
				_ = d.Delete(context.WithoutCancel(ctx), b.Key)
			}
			return nil, err
		}
	}
	return &BackupResult{Size: res.Size, SHA256: res.SHA256, Locations: res.Locations}, nil
}

// databaseSource is what a database's backup reads: the engine's dump, or
// (kind volume) a tar of its volume with the database stopped; done starts
// it again whatever happened.
func (bk *Backups) databaseSource(ctx context.Context, b *schema.Backup) (produce func(io.Writer) error, done func(), err error) {
	d, inst, err := instance(ctx, bk.Store, b.DatabaseID)
	if err != nil {
		return nil, nil, err
	}
	dump := inst.DumpCommand()
	if b.Kind == release.BackupVolume {
		// A consistent copy of the files: the database is stopped for it
		// and started again whatever happens.
		if err := bk.Docker.Stop(ctx, d.ContainerName(), 30*time.Second); err != nil {
			return nil, nil, err
		}
		done = func() {
			rctx := context.WithoutCancel(ctx)
			if err := bk.Docker.Start(rctx, d.ContainerName()); err == nil {
				_ = waitReady(rctx, bk.Docker, bk.net(d), d.ContainerName(), inst, 2*time.Minute)
			}
		}
		return func(w io.Writer) error {
			err := bk.Docker.RunOnce(ctx, docker.OnceSpec{Image: d.Image, Cmd: []string{"tar", "-C", "/volume", "-cf", "-", "."}, Volume: d.VolumeName(),
				Path: "/volume", ReadOnly: true, Stdout: w, Labels: map[string]string{docker.LabelManaged: "true", LabelDatabase: d.Name, docker.LabelInstance: bk.Instance}})
			// Back in service as soon as its files are read.
			if serr := bk.Docker.Start(context.WithoutCancel(ctx), d.ContainerName()); err == nil {
				err = serr
			}
			return err
		}, done, nil
	}
	return func(w io.Writer) error {
		if dump.File != "" {
			if err := bk.Docker.Exec(ctx, d.ContainerName(), docker.ExecSpec{Cmd: dump.Cmd, Env: dump.Env}); err != nil {
				return err
			}
			_, err := bk.Docker.CopyFileFrom(ctx, d.ContainerName(), dump.File, w)
			return err
		}
		return bk.Docker.Exec(ctx, d.ContainerName(), docker.ExecSpec{Cmd: dump.Cmd, Env: dump.Env, Stdout: w})
	}, nil, nil
}

// Retention deletes the backups of a database its policy no longer keeps
// (never its newest good one) from every destination, and returns their
// IDs.
func (bk *Backups) Retention(ctx context.Context, in DatabaseRef) ([]string, error) {
	dbID := in.DatabaseID
	dests, p, err := bk.destinations(ctx, dbID)
	if err != nil {
		return nil, err
	}
	all, err := bk.Store.ListBackups(ctx, dbID)
	if err != nil {
		return nil, err
	}
	items := make([]release.BackupItem, 0, len(all))
	byID := map[string]schema.Backup{}
	for _, b := range all {
		items = append(items, release.BackupItem{ID: b.ID, Time: b.StartedAt, OK: b.Status == release.BackupSucceeded})
		byID[b.ID] = b
	}
	drop := release.Retention{KeepLast: p.KeepLast, KeepDays: p.KeepDays}.Plan(items, time.Now())
	for _, id := range drop {
		b := byID[id]
		for _, d := range dests {
			if err := d.Delete(ctx, b.Key); err != nil {
				return nil, fmt.Errorf("retention: delete %s: %w", d.Where(b.Key), err)
			}
		}
		b.Status = release.BackupDeleted
		if err := bk.Store.SaveBackup(ctx, &b); err != nil {
			return nil, err
		}
	}
	return drop, nil
}

// RestoreInput restores a backup into a database (its own, or another of
// the same engine).
type RestoreInput struct {
	BackupID string
	TargetID string
}

// RestoreRun restores a backup: it fetches the copy (the local one when it
// is there, else from S3) into a temporary file while checking its SHA-256
// — a mismatch refuses the restore before the database is touched — then
// takes the database off its team's network (apps cannot reach it meanwhile),
// restores, and puts it back.
func (bk *Backups) RestoreRun(ctx context.Context, in RestoreInput) error {
	b, err := backupRecord(ctx, bk.Store, in.BackupID)
	if err != nil {
		return err
	}
	if b.Status != release.BackupSucceeded {
		return nonRetryable(ErrTypeBackup, "backup %s is %s; only a verified backup can be restored", b.ID, b.Status)
	}
	if b.Kind == release.BackupAppVolume && in.TargetID != b.DatabaseID {
		return nonRetryable(ErrTypeBackup, "backup %s is of another volume; a volume's backups restore into that volume", b.ID)
	}
	dests, _, err := bk.destinations(ctx, b.DatabaseID)
	if err != nil {
		return err
	}
	stop := heartbeat(ctx, 5*time.Second)
	defer stop()
	tmp, err := os.CreateTemp(bk.Dir, "restore-*.gz")
	if err != nil {
		if err := os.MkdirAll(bk.Dir, 0o700); err != nil {
			return err
		}
		if tmp, err = os.CreateTemp(bk.Dir, "restore-*.gz"); err != nil {
			return err
		}
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var fetchErrs []error
	fetched := false
	for _, dst := range dests {
		if err := tmp.Truncate(0); err != nil {
			return err
		}
		tmp.Seek(0, io.SeekStart)
		err := backup.CopyVerified(ctx, dst, b.Key, b.Size, b.SHA256, tmp)
		if err == nil {
			fetched = true
			break
		}
		if errors.Is(err, backup.ErrChecksum) {
			return nonRetryable(ErrTypeBackup, "refusing to restore: %v", err)
		}
		fetchErrs = append(fetchErrs, err)
	}
	if !fetched {
		return fmt.Errorf("no copy of backup %s could be read: %w", b.ID, errors.Join(fetchErrs...))
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	zr, err := gzip.NewReader(tmp)
	if err != nil {
		return nonRetryable(ErrTypeBackup, "backup %s is not a gzip stream: %v", b.ID, err)
	}
	if b.Kind == release.BackupAppVolume {
		return bk.restoreAppVolume(ctx, b, zr)
	}
	d, inst, err := instance(ctx, bk.Store, in.TargetID)
	if err != nil {
		return err
	}
	if err := bk.Store.UpdateDatabaseStatus(ctx, d.ID, release.DBRestore, "", ""); err != nil {
		return gone(err)
	}
	if err := bk.Docker.Disconnect(ctx, bk.net(d), d.ContainerName()); err != nil {
		return err
	}
	restoreErr := bk.restore(ctx, d, inst, zr, b.Kind)
	if err := bk.Docker.Connect(context.WithoutCancel(ctx), bk.net(d), d.ContainerName(), nil); err != nil && restoreErr == nil {
		restoreErr = err
	}
	if restoreErr != nil {
		_ = bk.Store.UpdateDatabaseStatus(context.WithoutCancel(ctx), d.ID, release.DBRunning, "restore of "+b.ID+" failed: "+restoreErr.Error(), "")
		return restoreErr
	}
	return bk.Store.UpdateDatabaseStatus(ctx, d.ID, release.DBRunning, "", "")
}

func (bk *Backups) restore(ctx context.Context, d *schema.Database, inst dbengine.Instance, r io.Reader, kind release.BackupKind) error {
	if kind == release.BackupVolume {
		// Replace the volume's files with the database stopped.
		if err := bk.Docker.Stop(ctx, d.ContainerName(), 30*time.Second); err != nil {
			return err
		}
		err := bk.Docker.RunOnce(ctx, docker.OnceSpec{Image: d.Image, Cmd: []string{"sh", "-c", "find /volume -mindepth 1 -delete && tar -C /volume -xf -"},
			Volume: d.VolumeName(), Path: "/volume", Stdin: r, Labels: map[string]string{docker.LabelManaged: "true", LabelDatabase: d.Name, docker.LabelInstance: bk.Instance}})
		if serr := bk.Docker.Start(context.WithoutCancel(ctx), d.ContainerName()); err == nil {
			err = serr
		}
		if err != nil {
			var ee *docker.ExecError
			if errors.As(err, &ee) {
				return nonRetryable(ErrTypeBackup, "unpacking the volume backup failed: %v", err)
			}
			return err
		}
		return waitReady(ctx, bk.Docker, bk.net(d), d.ContainerName(), inst, 2*time.Minute)
	}
	rc := inst.RestoreCommand()
	if rc.File == "" {
		err := bk.Docker.Exec(ctx, d.ContainerName(), docker.ExecSpec{Cmd: rc.Cmd, Env: rc.Env, Stdin: r})
		var ee *docker.ExecError
		if errors.As(err, &ee) {
			return nonRetryable(ErrTypeBackup, "the restore command failed: %v", err)
		}
		return err
	}
	// Redis: replace the snapshot while the server is stopped (it would
	// write its own over it on the way down otherwise), then start it.
	snap, err := os.CreateTemp(bk.Dir, "restore-*.rdb")
	if err != nil {
		return err
	}
	defer os.Remove(snap.Name())
	defer snap.Close()
	size, err := io.Copy(snap, r)
	if err != nil {
		return nonRetryable(ErrTypeBackup, "the backup does not unpack: %v", err)
	}
	if _, err := snap.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := bk.Docker.Stop(ctx, d.ContainerName(), 30*time.Second); err != nil {
		return err
	}
	if err := bk.Docker.CopyFileTo(ctx, d.ContainerName(), rc.File, snap, size, 0, 0); err != nil {
		return err
	}
	if err := bk.Docker.Start(ctx, d.ContainerName()); err != nil {
		return err
	}
	return waitReady(ctx, bk.Docker, bk.net(d), d.ContainerName(), inst, 2*time.Minute)
}

// net is the network d's container is on: its team's.
func (bk *Backups) net(d *schema.Database) string { return release.TeamNetwork(bk.Network, d.TeamID) }

// backupRecord loads a backup's record (a record that is gone is final).
func backupRecord(ctx context.Context, s interface {
	GetBackup(ctx context.Context, id string) (*schema.Backup, error)
}, id string) (*schema.Backup, error) {
	b, err := s.GetBackup(ctx, id)
	if err != nil {
		return nil, gone(err)
	}
	return b, nil
}
