package activities

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/archive"
	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/schema"
)

// FetchSource clones the app's repository at the deployment's commit into
// the deployment's workspace.
func (h *Host) FetchSource(ctx context.Context, in SourceInput) (*SourceResult, error) {
	d, app, err := deploymentAndApp(ctx, h.Store, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	log := newLogWriter(h.Store, d.ID, "system")
	defer log.Close()
	if d.Source == schema.SourceUpload {
		log.Line(fmt.Sprintf("unpacking the uploaded archive (sha256 %s)", shortSHA(d.UploadSHA256)))
		sum, err := h.unpack(d)
		if err != nil {
			log.Line("source: " + err.Error())
			return nil, err
		}
		log.Line(fmt.Sprintf("unpacked %d files (%d bytes)", sum.Files, sum.Unpacked))
		return &SourceResult{Message: "uploaded archive"}, nil
	}
	if app.ComposeInline != "" {
		sum, err := h.writeInline(d.ID, app)
		if err != nil {
			return nil, err
		}
		what := "the pasted compose file"
		if app.Template != "" {
			what = "the compose file of template " + app.Template
		}
		log.Line(fmt.Sprintf("using %s (sha256 %s)", what, shortSHA(sum)))
		return &SourceResult{Message: what}, nil
	}
	log.Line(fmt.Sprintf("fetching %s (branch %s) at %s", app.GitURL, app.Branch, shortSHA(in.Commit)))
	c, err := h.checkout(ctx, app, in.DeploymentID, in.Commit)
	if err != nil {
		log.Line("source: " + err.Error())
		return nil, err
	}
	if err := h.Store.UpdateDeployment(ctx, d.ID, schema.DeploymentUpdate{CommitSHA: c.SHA, CommitMessage: c.Message}); err != nil {
		return nil, gone(err)
	}
	log.Line(fmt.Sprintf("checked out %s: %s", shortSHA(c.SHA), firstLine(c.Message)))
	return &SourceResult{Commit: c.SHA, Message: c.Message}, nil
}

// writeInline writes an app's pasted compose file as the deployment's
// source (compose.yaml, alone: nothing to build from), returning its
// SHA-256.
func (h *Host) writeInline(deploymentID string, app *schema.App) (string, error) {
	ws := h.workspace(deploymentID)
	if err := os.RemoveAll(ws); err != nil {
		return "", err
	}
	src := filepath.Join(ws, "src")
	if err := os.MkdirAll(src, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, inlineCompose), []byte(app.ComposeInline), 0o600); err != nil {
		return "", err
	}
	sum := fmt.Sprintf("%x", sha256.Sum256([]byte(app.ComposeInline)))
	return sum, os.WriteFile(filepath.Join(ws, "commit"), []byte("inline "+sum), 0o600)
}

// inlineCompose is the name a pasted compose file is written under.
const inlineCompose = "compose.yaml"

// fetch puts a deployment's source in its workspace: its pasted compose
// file, or its repository at commit.
func (h *Host) fetch(ctx context.Context, app *schema.App, deploymentID, commit string) error {
	if app.ComposeInline != "" {
		_, err := h.writeInline(deploymentID, app)
		return err
	}
	_, err := h.checkout(ctx, app, deploymentID, commit)
	return err
}

func (h *Host) checkout(ctx context.Context, app *schema.App, deploymentID, commit string) (gitsrc.Commit, error) {
	ws := h.workspace(deploymentID)
	if err := os.RemoveAll(ws); err != nil {
		return gitsrc.Commit{}, err
	}
	if err := os.MkdirAll(ws, 0o700); err != nil {
		return gitsrc.Commit{}, err
	}
	// A preview clones with its parent's credentials.
	creds, err := h.sourceOf(ctx, app)
	if err != nil {
		return gitsrc.Commit{}, err
	}
	token, sshKey, err := h.Store.AppCredentials(creds)
	if err != nil {
		return gitsrc.Commit{}, secretErr(err)
	}
	if gitsrc.Local(app.GitURL) && !h.AllowLocalGit {
		return gitsrc.Commit{}, nonRetryable(ErrTypeSource, "repositories on the server (%s) are off on this host: use the repository's https:// or ssh address (or start the worker with --allow-local-git)", app.GitURL)
	}
	c, err := gitsrc.Checkout(ctx, app.GitURL, app.Branch, commit, filepath.Join(ws, "src"), gitsrc.Auth{Token: token, SSHKey: sshKey, Egress: h.Egress})
	if err != nil {
		if errors.Is(err, gitsrc.ErrAuth) || errors.Is(err, gitsrc.ErrNotFound) || errors.Is(err, gitsrc.ErrBadURL) || errors.Is(err, egress.ErrRefused) {
			return c, nonRetryable(ErrTypeSource, "%v", err)
		}
		return c, err
	}
	// The marker tells Build the checkout is complete.
	return c, os.WriteFile(filepath.Join(ws, "commit"), []byte(c.SHA), 0o600)
}

// unpack extracts a deployment's uploaded archive into its workspace.
func (h *Host) unpack(d *schema.Deployment) (archive.Summary, error) {
	ws := h.workspace(d.ID)
	if err := os.RemoveAll(ws); err != nil {
		return archive.Summary{}, err
	}
	src := filepath.Join(ws, "src")
	if err := os.MkdirAll(src, 0o700); err != nil {
		return archive.Summary{}, err
	}
	p := UploadPath(h.UploadDir, d.ID)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return archive.Summary{}, nonRetryable(ErrTypeSource, "the uploaded archive of deployment %s is gone from %s (uploads are kept only until their build; upload it again)", d.ID, h.UploadDir)
	}
	sum, err := archive.ExtractFile(p, src, archive.DefaultLimits)
	if err != nil {
		return sum, nonRetryable(ErrTypeSource, "the uploaded archive: %v", err)
	}
	return sum, os.WriteFile(filepath.Join(ws, "commit"), []byte("upload "+d.UploadSHA256), 0o600)
}

// dropUpload removes an uploaded archive once its build is over.
func (h *Host) dropUpload(d *schema.Deployment) {
	if d.Source == schema.SourceUpload && h.UploadDir != "" {
		_ = os.Remove(UploadPath(h.UploadDir, d.ID))
	}
}

// UploadPath is where an uploaded archive waits for its deployment's
// build, under the data dir's uploads directory.
func UploadPath(dir, deploymentID string) string { return filepath.Join(dir, deploymentID+".zip") }

func shortSHA(s string) string {
	if s == "" {
		return "the branch head"
	}
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
