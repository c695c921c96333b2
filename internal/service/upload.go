package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rivetr/rivetr/activities"
	"github.com/rivetr/rivetr/internal/archive"
	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"github.com/rivetr/rivetr/workflows"
)

// ErrTooLarge answers an upload over the size limit.
var ErrTooLarge = errors.New("upload too large")

// DeployUpload deploys a ZIP archive of an app's source, read from r: it
// is checked (size, file count, unpacked size, paths, no symlinks) before
// anything is recorded, kept on this server's disk until its build, and
// then deployed like any other (queue, gates, health check), its build
// type detected when the app's is auto. The archive is unpacked by the
// worker of this server's host, so the app must run here.
func (s *Deploys) DeployUpload(ctx context.Context, appName string, r io.Reader, trigger string) (*DeploymentView, error) {
	app, _, err := s.authorizeApp(ctx, appName, release.PermDeploy)
	if err != nil {
		return nil, err
	}
	if s.uploadDir == "" {
		return nil, fmt.Errorf("this server takes no uploads (no upload directory): %w", ErrUnavailable)
	}
	if app.Host != s.hostName {
		return nil, &ValidationError{Fields: map[string]string{"archive": fmt.Sprintf("%s runs on host %s; upload deploys are unpacked by this server's host (%s): deploy it from git, or upload to the server on %s", app.Name, app.Host, s.hostName, app.Host)}}
	}
	if err := os.MkdirAll(s.uploadDir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(s.uploadDir, "incoming-*.zip")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	defer tmp.Close()
	lim := archive.DefaultLimits
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the upload: %w", err)
	}
	if n > lim.MaxBytes {
		return nil, fmt.Errorf("%w: the archive is larger than %d MiB", ErrTooLarge, lim.MaxBytes>>20)
	}
	sum, err := archive.Check(tmp, n, lim)
	if err != nil {
		return nil, &ValidationError{Fields: map[string]string{"archive": err.Error()}}
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	d := &schema.Deployment{
		ID: ids.New(), AppID: app.ID, AppName: app.Name, Kind: release.KindDeploy,
		Trigger: validTrigger(trigger), Status: release.StatusQueued, Step: release.StepQueued,
		Branch: app.Branch, Source: schema.SourceUpload, UploadSHA256: hex.EncodeToString(h.Sum(nil)),
		CommitMessage: fmt.Sprintf("uploaded archive: %d files, %d bytes unpacked", sum.Files, sum.Unpacked),
	}
	d.RequestedBy, d.RequestedByID = requester(ctx)
	d.WorkflowID = workflows.DeployID(app.Name, d.ID)
	if err = recordRelease(ctx, s.store, app, d); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), activities.UploadPath(s.uploadDir, d.ID)); err != nil {
		return nil, err
	}
	v, err := s.enqueue(ctx, app, d)
	if err != nil {
		os.Remove(filepath.Join(activities.UploadPath(s.uploadDir, d.ID)))
		return nil, err
	}
	s.audit(ctx, AuditDeploy, app.TeamID, app.Name, nil, map[string]any{"deployment": d.ID, "upload_sha256": d.UploadSHA256, "trigger": d.Trigger})
	return v, nil
}
