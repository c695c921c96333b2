package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rivetr/rivetr/internal/backup"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// Backup triggers.
const (
	BackupManual   = "manual"
	BackupSchedule = "schedule"
)

// PolicyInput changes a database's backup policy; nil fields keep their
// value. An empty Cron removes the schedule; an empty S3Bucket the S3
// destination.
type PolicyInput struct {
	Cron        *string `json:"cron,omitempty"`
	TZ          *string `json:"tz,omitempty"`
	KeepLast    *int    `json:"keep_last,omitempty"`
	KeepDays    *int    `json:"keep_days,omitempty"`
	Local       *bool   `json:"local,omitempty"`
	S3Endpoint  *string `json:"s3_endpoint,omitempty"`
	S3Region    *string `json:"s3_region,omitempty"`
	S3Bucket    *string `json:"s3_bucket,omitempty"`
	S3Prefix    *string `json:"s3_prefix,omitempty"`
	S3AccessKey *string `json:"s3_access_key,omitempty"`
	S3SecretKey *string `json:"s3_secret_key,omitempty"`
	S3PathStyle *bool   `json:"s3_path_style,omitempty"`
	NotifyURL   *string `json:"notify_url,omitempty"`
}

// PolicyView is a policy as users see it (the S3 secret key only as set or
// not).
type PolicyView struct {
	BackupPolicy
	HasS3SecretKey bool `json:"has_s3_secret_key"`
	// NextRun is the schedule's next backup, when it has one.
	NextRun *time.Time `json:"next_run,omitempty"`
}

// backupSubject is what backups are of: a database, or an app's volume.
// Its ID keys its backups and policy.
type backupSubject struct {
	ID     string
	Name   string // as people say it: the database's name, or APP/VOLUME
	TeamID string
	Host   string             // the Docker host it lives on
	Kind   release.BackupKind // what a scheduled run takes: dump, or app-volume
}

func dbSubject(d *schema.Database) backupSubject {
	return backupSubject{ID: d.ID, Name: d.Name, TeamID: d.TeamID, Host: d.DockerHost, Kind: release.BackupDump}
}

// GetBackupPolicy returns a database's backup policy.
func (s *Databases) GetBackupPolicy(ctx context.Context, dbName string) (*PolicyView, error) {
	d, _, err := s.authorizeDatabase(ctx, dbName, release.PermRead)
	if err != nil {
		return nil, err
	}
	return s.policyView(ctx, dbSubject(d))
}

// policyView is sub's policy as users see it, with its next run.
func (s *core) policyView(ctx context.Context, sub backupSubject) (*PolicyView, error) {
	p, err := s.store.GetPolicy(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	v := &PolicyView{BackupPolicy: backupPolicyOf(p), HasS3SecretKey: p.S3SecretKey != ""}
	if p.Cron != "" {
		if desc, err := s.temporal.ScheduleClient().GetHandle(ctx, workflows.BackupScheduleID(sub.Name)).Describe(ctx); err == nil && len(desc.Info.NextActionTimes) > 0 {
			t := desc.Info.NextActionTimes[0].UTC()
			v.NextRun = &t
		}
	}
	return v, nil
}

// SetBackupPolicy changes a database's backup policy (admins: it holds S3
// credentials) and its Temporal Schedule: a cron spec in a time zone,
// overlapping runs skipped, runs missed while the server was down caught
// up within an hour.
func (s *Databases) SetBackupPolicy(ctx context.Context, dbName string, in PolicyInput) (*PolicyView, error) {
	d, _, err := s.authorizeDatabase(ctx, dbName, release.PermDatabaseAdmin)
	if err != nil {
		return nil, err
	}
	return s.setPolicy(ctx, dbSubject(d), in)
}

// setPolicy changes sub's backup policy and its schedule.
func (s *core) setPolicy(ctx context.Context, sub backupSubject, in PolicyInput) (*PolicyView, error) {
	p, err := s.store.GetPolicy(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	str(&p.Cron, in.Cron)
	str(&p.TZ, in.TZ)
	str(&p.S3Endpoint, in.S3Endpoint)
	str(&p.S3Region, in.S3Region)
	str(&p.S3Bucket, in.S3Bucket)
	str(&p.S3Prefix, in.S3Prefix)
	str(&p.S3AccessKey, in.S3AccessKey)
	str(&p.NotifyURL, in.NotifyURL)
	if in.S3SecretKey != nil {
		p.S3SecretKey = *in.S3SecretKey
	}
	if in.KeepLast != nil {
		p.KeepLast = *in.KeepLast
	}
	if in.KeepDays != nil {
		p.KeepDays = *in.KeepDays
	}
	if in.Local != nil {
		p.Local = *in.Local
	}
	if in.S3PathStyle != nil {
		p.S3PathStyle = *in.S3PathStyle
	}
	f := fieldErrors{}
	if p.Cron != "" {
		if p.TZ == "" {
			p.TZ = "UTC"
		}
		if _, _, err := release.ParseCron(p.Cron, p.TZ); err != nil {
			f.add("cron", "%v", err)
		}
	}
	if p.KeepLast < 0 || p.KeepDays < 0 {
		f.add("keep_last", "retention counts cannot be negative")
	}
	if p.S3Bucket != "" {
		if u, err := url.Parse(p.S3Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.add("s3_endpoint", "an S3 destination needs an http(s) endpoint")
		} else if err := s.egress.CheckURL(p.S3Endpoint); err != nil {
			f.add("s3_endpoint", "%v", err)
		}
		if p.S3AccessKey == "" || p.S3SecretKey == "" {
			f.add("s3_access_key", "an S3 destination needs an access key and a secret key")
		}
	}
	if !p.Local && p.S3Bucket == "" {
		f.add("local", "keep local copies, or give an S3 bucket: backups need somewhere to go")
	}
	if p.NotifyURL != "" {
		if u, err := url.Parse(p.NotifyURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.add("notify_url", "must be an http(s) URL")
		} else if err := s.egress.CheckURL(p.NotifyURL); err != nil {
			f.add("notify_url", "%v", err)
		}
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := s.store.SavePolicy(ctx, p); err != nil {
		return nil, err
	}
	if err := s.syncBackupSchedule(ctx, sub, p.Cron, p.TZ); err != nil {
		return nil, err
	}
	s.audit(ctx, AuditBackupPolicy, sub.TeamID, sub.Name, nil, map[string]any{"cron": p.Cron, "tz": p.TZ, "keep_last": p.KeepLast, "keep_days": p.KeepDays,
		"local": p.Local, "s3": p.S3Bucket, "notify": p.NotifyURL != ""})
	return s.policyView(ctx, sub)
}

// syncBackupSchedule makes sub's Temporal Schedule run at cron in tz
// (none when cron is empty).
func (s *core) syncBackupSchedule(ctx context.Context, sub backupSubject, cron, tz string) error {
	sc := s.temporal.ScheduleClient()
	id := workflows.BackupScheduleID(sub.Name)
	err := sc.GetHandle(ctx, id).Delete(ctx)
	var nf *serviceerror.NotFound
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("replace the backup schedule: %w: %v", ErrUnavailable, err)
	}
	if cron == "" {
		return nil
	}
	in := workflows.BackupInput{DatabaseID: sub.ID, Database: sub.Name, HostQueue: s.hostQueueOf(sub.Host), Trigger: BackupSchedule}
	if sub.Kind == release.BackupAppVolume {
		in.Kind = sub.Kind // dumps of databases keep the inputs they always had
	}
	_, err = sc.Create(ctx, client.ScheduleOptions{
		ID:            id,
		Spec:          client.ScheduleSpec{CronExpressions: []string{cron}, TimeZoneName: tz},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: time.Hour,
		Action: &client.ScheduleWorkflowAction{
			ID: "backup-run/" + sub.Name, Workflow: workflows.BackupName, TaskQueue: workflows.TaskQueue,
			Args: []any{in},
		},
		Memo: map[string]any{"database": sub.Name},
	})
	if err != nil {
		return fmt.Errorf("create the backup schedule: %w: %v", ErrUnavailable, err)
	}
	return nil
}

// BackupNow starts a backup of a database and returns its ID; with wait it
// returns when the backup has ended (an error when it failed).
//
// volume backs up the data volume as a tar instead of the engine's dump
// (the database is stopped meanwhile).
func (s *Databases) backupNow(ctx context.Context, dbName string, wait, volume bool) (*schema.Backup, error) {
	d, _, err := s.authorizeDatabase(ctx, dbName, release.PermDatabases)
	if err != nil {
		return nil, err
	}
	if d.Status != release.DBRunning {
		return nil, stateErr("database %s is %s; it must be running to be backed up", d.Name, d.Status)
	}
	sub := dbSubject(d)
	if volume {
		sub.Kind = release.BackupVolume
	}
	return s.startBackup(ctx, sub, wait)
}

// startBackup starts a backup of sub (of its kind) and returns its record;
// with wait it returns when the backup has ended (an error when it failed).
func (s *core) startBackup(ctx context.Context, sub backupSubject, wait bool) (*schema.Backup, error) {
	id := ids.New()
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.BackupID(sub.Name, id), TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: appAttrs(sub.Name, "backup", ""), StaticSummary: "backup of " + sub.Name,
	}, workflows.BackupWorkflow, workflows.BackupInput{DatabaseID: sub.ID, Database: sub.Name, HostQueue: s.hostQueueOf(sub.Host), Trigger: BackupManual, BackupID: id,
		Kind: sub.Kind})
	if err != nil {
		return nil, fmt.Errorf("start the backup: %w: %v", ErrUnavailable, err)
	}
	s.audit(ctx, AuditBackup, sub.TeamID, sub.Name, nil, map[string]any{"backup": id})
	if !wait {
		return &schema.Backup{ID: id, DatabaseID: sub.ID, Status: release.BackupRunning, Trigger: BackupManual, StartedAt: time.Now().UTC(), Kind: sub.Kind}, nil
	}
	runErr := run.Get(ctx, nil)
	b, err := s.store.GetBackup(ctx, id)
	if err != nil {
		return &schema.Backup{ID: id, DatabaseID: sub.ID, Status: release.BackupRunning}, nil
	}
	if runErr != nil {
		return b, errorf(KindState, "backup %s of %s failed: %s", id, sub.Name, b.Error)
	}
	return b, nil
}

// ListBackups returns a database's backups, newest first.
func (s *Databases) listBackups(ctx context.Context, dbName string) ([]schema.Backup, error) {
	d, _, err := s.authorizeDatabase(ctx, dbName, release.PermRead)
	if err != nil {
		return nil, err
	}
	bs, err := s.store.ListBackups(ctx, d.ID)
	if bs == nil {
		bs = []schema.Backup{}
	}
	return bs, err
}

// Restore restores a verified backup into its database, or, with to, into
// a new database of the same engine (created first). It returns when the
// restore has ended; a failure says why.
func (s *Databases) Restore(ctx context.Context, dbName, backupID, to string) (*DatabaseView, error) {
	d, _, err := s.authorizeDatabase(ctx, dbName, release.PermDatabaseAdmin)
	if err != nil {
		return nil, err
	}
	b, err := s.store.GetBackup(ctx, backupID)
	if err != nil || b.DatabaseID != d.ID {
		return nil, fmt.Errorf("backup %s of %s: %w", backupID, d.Name, schema.ErrNotFound)
	}
	if b.Status != release.BackupSucceeded {
		return nil, stateErr("backup %s is %s; only a verified backup can be restored", b.ID, b.Status)
	}
	target, create := d, false
	if to = strings.TrimSpace(to); to != "" && to != d.Name {
		nd, err := s.CreateDatabaseRecord(ctx, DatabaseInput{Name: to, Engine: d.Engine, Version: d.Version, Image: d.Image}, d.TeamID)
		if err != nil {
			return nil, err
		}
		target, create = nd, true
	} else if d.Status != release.DBRunning {
		return nil, stateErr("database %s is %s; start it before restoring into it", d.Name, d.Status)
	}
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.RestoreID(target.Name, b.ID), TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: appAttrs(target.Name, "restore", ""), StaticSummary: "restore " + b.ID + " into " + target.Name,
	}, workflows.RestoreWorkflow, workflows.RestoreInput{BackupID: b.ID, DatabaseID: d.ID, Database: d.Name, TargetID: target.ID, Create: create, HostQueue: s.hostQueueOf(d.DockerHost)})
	if err != nil {
		return nil, fmt.Errorf("start the restore: %w: %v", ErrUnavailable, err)
	}
	s.audit(ctx, AuditRestore, d.TeamID, d.Name, nil, map[string]any{"backup": b.ID, "into": target.Name})
	runErr := run.Get(ctx, nil)
	if nd, err := s.store.GetDatabase(ctx, target.ID); err == nil {
		target = nd
	}
	v, err := s.databaseView(ctx, target, false)
	if err != nil {
		return nil, err
	}
	if runErr != nil {
		return v, errorf(KindState, "restore of %s into %s failed: %s", b.ID, target.Name, workflows.Cause(runErr))
	}
	return v, nil
}

// CreateDatabaseRecord records a new database (status creating) without
// starting it, for a restore into a new database.
func (s *Databases) CreateDatabaseRecord(ctx context.Context, in DatabaseInput, teamID string) (*schema.Database, error) {
	d, err := s.newDatabase(in, teamID)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateDatabase(ctx, d); errors.Is(err, schema.ErrConflict) {
		return nil, &ValidationError{Fields: map[string]string{"to": "a database named " + d.Name + " already exists"}}
	} else if err != nil {
		return nil, err
	}
	return d, nil
}

// OpenBackup reads a backup's stored copy (this server's local one when it
// has it, else S3) for download, with its file name and size.
func (s *Databases) OpenBackup(ctx context.Context, dbName, backupID string) (io.ReadCloser, string, int64, error) {
	d, _, err := s.authorizeDatabase(ctx, dbName, release.PermDatabaseAdmin)
	if err != nil {
		return nil, "", 0, err
	}
	b, err := s.store.GetBackup(ctx, backupID)
	if err != nil || b.DatabaseID != d.ID {
		return nil, "", 0, fmt.Errorf("backup %s of %s: %w", backupID, d.Name, schema.ErrNotFound)
	}
	if b.Status != release.BackupSucceeded {
		return nil, "", 0, stateErr("backup %s is %s", b.ID, b.Status)
	}
	name := filepath.Base(b.Key)
	if s.backupDir != "" {
		if f, err := os.Open(filepath.Join(s.backupDir, filepath.FromSlash(b.Key))); err == nil {
			return f, name, b.Size, nil
		}
	}
	p, err := s.store.GetPolicy(ctx, d.ID)
	if err != nil {
		return nil, "", 0, err
	}
	if p.S3Bucket == "" {
		return nil, "", 0, stateErr("backup %s is not on this server's disk (it is on host %s)", b.ID, d.DockerHost)
	}
	secret, err := s.store.S3SecretKey(p)
	if err != nil {
		return nil, "", 0, fmt.Errorf("cannot open the S3 secret key: %v: %w", err, ErrUnavailable)
	}
	dst, err := backup.NewS3(backup.S3Config{Endpoint: p.S3Endpoint, Region: p.S3Region, Bucket: p.S3Bucket, Prefix: p.S3Prefix, Egress: s.egress,
		AccessKey: p.S3AccessKey, SecretKey: secret, PathStyle: p.S3PathStyle})
	if err != nil {
		return nil, "", 0, err
	}
	r, err := dst.Open(ctx, b.Key)
	if err != nil {
		return nil, "", 0, fmt.Errorf("read %s: %w: %v", dst.Where(b.Key), ErrUnavailable, err)
	}
	return r, name, b.Size, nil
}

// BackupNow is backupNow with the records as the API answers them.
func (s *Databases) BackupNow(ctx context.Context, dbName string, wait, volume bool) (*Backup, error) {
	v, err := s.backupNow(ctx, dbName, wait, volume)
	return optional(v, backupOf), err
}

// ListBackups is listBackups with the records as the API answers them.
func (s *Databases) ListBackups(ctx context.Context, dbName string) ([]Backup, error) {
	v, err := s.listBackups(ctx, dbName)
	return each(v, backupOf), err
}
