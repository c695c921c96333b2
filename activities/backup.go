package activities

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/rivetr/rivetr/internal/backup"
	"github.com/rivetr/rivetr/internal/dbengine"
	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// ErrTypeBackup is a backup or restore that cannot work as configured
// (no destination, a corrupt copy): retrying will not help.
const ErrTypeBackup = "BackupFailed"

// BackupStore is what backups need from the store, beyond Store.
type BackupStore interface {
	GetPolicy(ctx context.Context, dbID string) (*schema.BackupPolicy, error)
	S3SecretKey(p *schema.BackupPolicy) (string, error)
	CreateBackup(ctx context.Context, b *schema.Backup) error
	GetBackup(ctx context.Context, id string) (*schema.Backup, error)
	ListBackups(ctx context.Context, dbID string) ([]schema.Backup, error)
	SaveBackup(ctx context.Context, b *schema.Backup) error
}

func (a *Activities) backups() (BackupStore, error) {
	bs, ok := a.Store.(BackupStore)
	if !ok {
		return nil, errors.New("this worker's store keeps no backups")
	}
	return bs, nil
}

// backupRecord loads a backup's record (a record that is gone is final).
func (a *Activities) backupRecord(ctx context.Context, id string) (BackupStore, *schema.Backup, error) {
	bs, err := a.backups()
	if err != nil {
		return nil, nil, err
	}
	b, err := bs.GetBackup(ctx, id)
	if err != nil {
		return nil, nil, gone(err)
	}
	return bs, b, nil
}

// destinations builds a database's backup destinations from its policy.
func (a *Activities) destinations(ctx context.Context, bs BackupStore, dbID string) ([]backup.Destination, *schema.BackupPolicy, error) {
	p, err := bs.GetPolicy(ctx, dbID)
	if err != nil {
		return nil, nil, err
	}
	var out []backup.Destination
	if p.Local {
		out = append(out, &backup.Local{Dir: a.BackupDir})
	}
	if p.S3Bucket != "" {
		secret, err := bs.S3SecretKey(p)
		if err != nil {
			return nil, p, secretErr(err)
		}
		s, err := backup.NewS3(backup.S3Config{Endpoint: p.S3Endpoint, Region: p.S3Region, Bucket: p.S3Bucket, Prefix: p.S3Prefix,
			AccessKey: p.S3AccessKey, SecretKey: secret, PathStyle: p.S3PathStyle})
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

// BackupStartInput opens a backup's record.
type BackupStartInput struct {
	BackupID   string
	DatabaseID string
	Trigger    string
	// Kind is release.BackupDump (default) or release.BackupVolume.
	Kind release.BackupKind
}

// BackupStart records a backup as running (again, for a retried step).
func (a *Activities) BackupStart(ctx context.Context, in BackupStartInput) error {
	bs, err := a.backups()
	if err != nil {
		return err
	}
	d, err := a.Store.GetDatabase(ctx, in.DatabaseID)
	if err != nil {
		return gone(err)
	}
	e, _ := dbengine.Lookup(d.Engine)
	kind, ext := release.BackupDump, e.DumpExt
	if in.Kind == release.BackupVolume {
		kind, ext = release.BackupVolume, "volume.tar"
	}
	b := &schema.Backup{ID: in.BackupID, DatabaseID: d.ID, Status: release.BackupRunning, Trigger: in.Trigger, Kind: kind, StartedAt: time.Now().UTC(),
		Key: d.Name + "/" + time.Now().UTC().Format("20060102T150405Z") + "-" + in.BackupID + "." + ext + ".gz"}
	if err := bs.CreateBackup(ctx, b); err != nil && !errors.Is(err, schema.ErrConflict) {
		return err
	}
	return nil
}

// BackupRun dumps a database inside its container, compresses the stream
// and writes it to every destination at once, then reads each copy back to
// check its size and SHA-256. Nothing is held in memory or on disk but the
// copies themselves (a Redis snapshot is streamed out of its container).
func (a *Activities) BackupRun(ctx context.Context, backupID string) (*BackupResult, error) {
	bs, b, err := a.backupRecord(ctx, backupID)
	if err != nil {
		return nil, err
	}
	d, inst, err := a.instance(ctx, b.DatabaseID)
	if err != nil {
		return nil, err
	}
	dests, _, err := a.destinations(ctx, bs, d.ID)
	if err != nil {
		return nil, err
	}
	stop := heartbeat(ctx, 5*time.Second)
	defer stop()
	dump := inst.DumpCommand()
	pr, pw := io.Pipe()
	if b.Kind == release.BackupVolume {
		// A consistent copy of the files: the database is stopped for it
		// and started again whatever happens.
		if err := a.Docker.Stop(ctx, d.ContainerName(), 30*time.Second); err != nil {
			return nil, err
		}
		defer func() {
			rctx := context.WithoutCancel(ctx)
			if err := a.Docker.Start(rctx, d.ContainerName()); err == nil {
				_ = a.waitReady(rctx, d.ContainerName(), inst, 2*time.Minute)
			}
		}()
	}
	go func() {
		zw := gzip.NewWriter(pw)
		var err error
		if b.Kind == release.BackupVolume {
			err = a.Docker.RunOnce(ctx, docker.OnceSpec{Image: d.Image, Cmd: []string{"tar", "-C", "/volume", "-cf", "-", "."}, Volume: d.VolumeName(),
				Path: "/volume", ReadOnly: true, Stdout: zw, Labels: map[string]string{docker.LabelManaged: "true", LabelDatabase: d.Name}})
			// Back in service as soon as its files are read.
			if serr := a.Docker.Start(context.WithoutCancel(ctx), d.ContainerName()); err == nil {
				err = serr
			}
		} else if dump.File != "" {
			if err = a.Docker.Exec(ctx, d.ContainerName(), docker.ExecSpec{Cmd: dump.Cmd, Env: dump.Env}); err == nil {
				_, err = a.Docker.CopyFileFrom(ctx, d.ContainerName(), dump.File, zw)
			}
		} else {
			err = a.Docker.Exec(ctx, d.ContainerName(), docker.ExecSpec{Cmd: dump.Cmd, Env: dump.Env, Stdout: zw})
		}
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

// BackupResult is a backup that was stored and verified: its size and
// SHA-256, and where each copy is.
type BackupResult struct {
	Size   int64
	SHA256 string
	// Locations name every copy, in the order of the destinations.
	Locations []string
}

// BackupFinishInput closes a backup's record.
type BackupFinishInput struct {
	BackupID string
	Result   *BackupResult
	Error    string
}

// BackupFinish records how a backup ended.
func (a *Activities) BackupFinish(ctx context.Context, in BackupFinishInput) error {
	bs, b, err := a.backupRecord(ctx, in.BackupID)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	b.FinishedAt = &now
	if in.Result != nil && in.Error == "" {
		b.Status, b.Size, b.SHA256, b.Locations, b.Error = release.BackupSucceeded, in.Result.Size, in.Result.SHA256, in.Result.Locations, ""
	} else {
		b.Status, b.Error = release.BackupFailed, in.Error
	}
	return bs.SaveBackup(ctx, b)
}

// Retention deletes the backups of a database its policy no longer keeps
// (never its newest good one) from every destination, and returns their
// IDs.
func (a *Activities) Retention(ctx context.Context, dbID string) ([]string, error) {
	bs, err := a.backups()
	if err != nil {
		return nil, err
	}
	dests, p, err := a.destinations(ctx, bs, dbID)
	if err != nil {
		return nil, err
	}
	all, err := bs.ListBackups(ctx, dbID)
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
		if err := bs.SaveBackup(ctx, &b); err != nil {
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
// takes the database off Rivetr's network (apps cannot reach it meanwhile),
// restores, and puts it back.
func (a *Activities) RestoreRun(ctx context.Context, in RestoreInput) error {
	bs, b, err := a.backupRecord(ctx, in.BackupID)
	if err != nil {
		return err
	}
	if b.Status != release.BackupSucceeded {
		return nonRetryable(ErrTypeBackup, "backup %s is %s; only a verified backup can be restored", b.ID, b.Status)
	}
	d, inst, err := a.instance(ctx, in.TargetID)
	if err != nil {
		return err
	}
	dests, _, err := a.destinations(ctx, bs, b.DatabaseID)
	if err != nil {
		return err
	}
	stop := heartbeat(ctx, 5*time.Second)
	defer stop()
	tmp, err := os.CreateTemp(a.BackupDir, "restore-*.gz")
	if err != nil {
		if err := os.MkdirAll(a.BackupDir, 0o700); err != nil {
			return err
		}
		if tmp, err = os.CreateTemp(a.BackupDir, "restore-*.gz"); err != nil {
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
	if err := a.Store.UpdateDatabaseStatus(ctx, d.ID, release.DBRestore, "", ""); err != nil {
		return gone(err)
	}
	if err := a.Docker.Disconnect(ctx, a.Network, d.ContainerName()); err != nil {
		return err
	}
	restoreErr := a.restore(ctx, d, inst, zr, b.Kind)
	if err := a.Docker.Connect(context.WithoutCancel(ctx), a.Network, d.ContainerName(), nil); err != nil && restoreErr == nil {
		restoreErr = err
	}
	if restoreErr != nil {
		_ = a.Store.UpdateDatabaseStatus(context.WithoutCancel(ctx), d.ID, release.DBRunning, "restore of "+b.ID+" failed: "+restoreErr.Error(), "")
		return restoreErr
	}
	return a.Store.UpdateDatabaseStatus(ctx, d.ID, release.DBRunning, "", "")
}

func (a *Activities) restore(ctx context.Context, d *schema.Database, inst dbengine.Instance, r io.Reader, kind release.BackupKind) error {
	if kind == release.BackupVolume {
		// Replace the volume's files with the database stopped.
		if err := a.Docker.Stop(ctx, d.ContainerName(), 30*time.Second); err != nil {
			return err
		}
		err := a.Docker.RunOnce(ctx, docker.OnceSpec{Image: d.Image, Cmd: []string{"sh", "-c", "find /volume -mindepth 1 -delete && tar -C /volume -xf -"},
			Volume: d.VolumeName(), Path: "/volume", Stdin: r, Labels: map[string]string{docker.LabelManaged: "true", LabelDatabase: d.Name}})
		if serr := a.Docker.Start(context.WithoutCancel(ctx), d.ContainerName()); err == nil {
			err = serr
		}
		if err != nil {
			var ee *docker.ExecError
			if errors.As(err, &ee) {
				return nonRetryable(ErrTypeBackup, "unpacking the volume backup failed: %v", err)
			}
			return err
		}
		return a.waitReady(ctx, d.ContainerName(), inst, 2*time.Minute)
	}
	rc := inst.RestoreCommand()
	if rc.File == "" {
		err := a.Docker.Exec(ctx, d.ContainerName(), docker.ExecSpec{Cmd: rc.Cmd, Env: rc.Env, Stdin: r})
		var ee *docker.ExecError
		if errors.As(err, &ee) {
			return nonRetryable(ErrTypeBackup, "the restore command failed: %v", err)
		}
		return err
	}
	// Redis: replace the snapshot while the server is stopped (it would
	// write its own over it on the way down otherwise), then start it.
	snap, err := os.CreateTemp(a.BackupDir, "restore-*.rdb")
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
	if err := a.Docker.Stop(ctx, d.ContainerName(), 30*time.Second); err != nil {
		return err
	}
	if err := a.Docker.CopyFileTo(ctx, d.ContainerName(), rc.File, snap, size, 0, 0); err != nil {
		return err
	}
	if err := a.Docker.Start(ctx, d.ContainerName()); err != nil {
		return err
	}
	return a.waitReady(ctx, d.ContainerName(), inst, 2*time.Minute)
}

// NotifyInput is a message about a database.
type NotifyInput struct {
	DatabaseID string
	Text       string
}

// Notify posts a failure to the database's notification URL as JSON that
// Slack ("text") and Discord ("content") both read; without a URL it does
// nothing.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) error {
	bs, err := a.backups()
	if err != nil {
		return err
	}
	p, err := bs.GetPolicy(ctx, in.DatabaseID)
	if err != nil {
		return err
	}
	if p.NotifyURL == "" {
		return nil
	}
	body, _ := json.Marshal(map[string]string{"text": in.Text, "content": in.Text})
	req, err := http.NewRequestWithContext(ctx, "POST", p.NotifyURL, bytes.NewReader(body))
	if err != nil {
		return nonRetryable(ErrTypeBackup, "notification URL: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("the notification URL answered %s", res.Status)
	}
	return nil
}
