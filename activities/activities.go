package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rivetr/rivetr/internal/docker"
	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/secrets"
	"github.com/rivetr/rivetr/schema"
)

// Store is the part of the control-plane store activities use.
type Store interface {
	GetApp(ctx context.Context, nameOrID string) (*schema.App, error)
	GetDeployment(ctx context.Context, id string) (*schema.Deployment, error)
	ListDeployments(ctx context.Context, f schema.DeploymentFilter) ([]schema.Deployment, error)
	ListEnv(ctx context.Context, appID string) ([]schema.EnvVar, error)
	AppCredentials(app *schema.App) (token, sshKey string, err error)
	UpdateDeployment(ctx context.Context, id string, u schema.DeploymentUpdate) error
	SetCurrentDeployment(ctx context.Context, appID, deploymentID string) error
	AppendLogs(ctx context.Context, lines []schema.LogLine) error
	DeleteApp(ctx context.Context, appID string) error
	TeamMembers(ctx context.Context, teamID string) ([]schema.Member, error)
	InstanceAdminIDs(ctx context.Context) ([]string, error)
	AddApproval(ctx context.Context, a *schema.Approval) error
	FreezesFor(ctx context.Context, app *schema.App) ([]schema.FreezeWindow, error)
	GetDatabase(ctx context.Context, nameOrID string) (*schema.Database, error)
	DatabasePasswords(d *schema.Database) (password, root string, err error)
	UpdateDatabaseStatus(ctx context.Context, id string, status release.DBStatus, errText, containerID string) error
	DeleteDatabase(ctx context.Context, id string) error
	SaveApp(ctx context.Context, app *schema.App) error
	ProviderToken(app *schema.App) (string, error)
	GetEnvironment(ctx context.Context, teamID, name string) (*schema.Environment, error)
}

// Runtime is the part of the Docker engine activities use.
type Runtime interface {
	EnsureNetwork(ctx context.Context, name string) error
	Build(ctx context.Context, spec docker.BuildSpec, out func(line string)) (string, error)
	Run(ctx context.Context, spec docker.RunSpec) (string, error)
	Inspect(ctx context.Context, id, network string) (docker.State, error)
	Logs(ctx context.Context, id string, tail int, follow bool, w io.Writer) error
	Remove(ctx context.Context, id string, grace time.Duration) error
	Containers(ctx context.Context, labels map[string]string) ([]docker.Container, error)
	Images(ctx context.Context, repo string) ([]docker.Image, error)
	ImageExists(ctx context.Context, ref string) (bool, error)
	RemoveImage(ctx context.Context, ref string) error
	Exec(ctx context.Context, id string, spec docker.ExecSpec) error
	Start(ctx context.Context, id string) error
	Disconnect(ctx context.Context, network, id string) error
	RunOnce(ctx context.Context, spec docker.OnceSpec) error
	Connect(ctx context.Context, network, id string, aliases []string) error
	Stop(ctx context.Context, id string, grace time.Duration) error
	EnsureVolume(ctx context.Context, name string, labels map[string]string) error
	RemoveVolume(ctx context.Context, name string) error
	CopyFileFrom(ctx context.Context, id, file string, w io.Writer) (int64, error)
	CopyFileTo(ctx context.Context, id, file string, r io.Reader, size int64, uid, gid int) error
}

// Router is the part of the proxy activities use.
type Router interface {
	Switch(app string, domains []string, deployment, targetURL string) (string, error)
	Drain(ctx context.Context, deployment string, timeout time.Duration) int
	Remove(app string) (string, error)
}

var _ Runtime = (*docker.Client)(nil)

// Activities are the steps of Rivetr's workflows.
type Activities struct {
	Store   Store
	Docker  Runtime
	Router  Router
	WorkDir string // build workspaces, one directory per deployment
	Network string // Docker network candidates join
	Log     *slog.Logger
	// Enqueuer hands a deployment to its app's queue workflow (given by
	// the process, which holds the Temporal client).
	Enqueuer func(ctx context.Context, deploymentID string) error
	// Deployer deploys an app's branch head now, as a recurring deploy
	// asks (given by the process, which holds the Temporal client).
	Deployer func(ctx context.Context, appID, by string) (string, error)
	// PreviewDeployer deploys a commit of a preview app (given by the
	// process, which holds the Temporal client).
	PreviewDeployer func(ctx context.Context, in PreviewDeployInput) (string, error)
	// PreviewDomain is the domain previews answer under (pr-N.APP.DOMAIN).
	PreviewDomain string
	// UploadDir holds uploaded archives until their build.
	UploadDir string
	// BackupDir keeps database backups on this host (local destination).
	BackupDir string
	// StaticServer is the rivetr-static binary static sites are served
	// by; "" looks next to this executable, then on the PATH.
	StaticServer string
}

// sourceOf is the app whose settings a preview borrows: its parent (the
// app itself when it is no preview).
func (a *Activities) sourceOf(ctx context.Context, app *schema.App) (*schema.App, error) {
	if app.PreviewOf == "" {
		return app, nil
	}
	parent, err := a.Store.GetApp(ctx, app.PreviewOf)
	if err != nil {
		return nil, gone(err)
	}
	return parent, nil
}

// envOf is the env a container of app starts with: PORT, then the app's
// vars; a preview gets its parent's vars with the parent's preview
// overrides on top.
func (a *Activities) envOf(ctx context.Context, app *schema.App) ([]string, error) {
	src, err := a.sourceOf(ctx, app)
	if err != nil {
		return nil, err
	}
	vars, err := a.Store.ListEnv(ctx, src.ID)
	if err != nil {
		return nil, secretErr(err)
	}
	env := []string{"PORT=" + strconv.Itoa(app.Port)}
	for _, v := range vars {
		if _, over := src.PreviewEnv[v.Key]; over && app.PreviewOf != "" {
			continue
		}
		env = append(env, v.Key+"="+v.Value)
	}
	if app.PreviewOf != "" {
		keys := make([]string, 0, len(src.PreviewEnv))
		for k := range src.PreviewEnv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			env = append(env, k+"="+src.PreviewEnv[k])
		}
	}
	return env, nil
}

func nonRetryable(typ string, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), typ, nil)
}

// gone turns a missing app or deployment (deleted mid-run) into a final error.
func gone(err error) error {
	if errors.Is(err, schema.ErrNotFound) {
		return nonRetryable(ErrTypeGone, "%v", err)
	}
	return err
}

// deploymentAndApp loads a deployment and its app; either gone (deleted
// mid-run) is a final error.
func (a *Activities) deploymentAndApp(ctx context.Context, id string) (*schema.Deployment, *schema.App, error) {
	d, err := a.Store.GetDeployment(ctx, id)
	if err != nil {
		return nil, nil, gone(err)
	}
	app, err := a.Store.GetApp(ctx, d.AppID)
	if err != nil {
		return nil, nil, gone(err)
	}
	return d, app, nil
}

func (a *Activities) workspace(id string) string { return filepath.Join(a.WorkDir, id) }

// Prepare snapshots the settings a deployment runs with.
func (a *Activities) Prepare(ctx context.Context, in PrepareInput) (*Plan, error) {
	d, app, err := a.deploymentAndApp(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		DeploymentID:   d.ID,
		AppID:          app.ID,
		App:            app.Name,
		Kind:           d.Kind,
		Status:         d.Status,
		Domains:        app.Domains,
		Port:           app.Port,
		HealthPath:     app.HealthPath,
		HealthInterval: app.HealthInterval.D(),
		HealthTimeout:  app.HealthTimeout.D(),
		HealthDeadline: app.HealthDeadline.D(),
		DrainTimeout:   app.DrainTimeout.D(),
		KeepImages:     app.KeepImages,
		Commit:         d.CommitSHA,
		RollbackOf:     d.RollbackOf,
	}
	if p.Approvers, err = a.approvers(ctx, app); err != nil {
		return nil, err
	}
	if p.Approval, err = a.approvalGate(ctx, app, d, p.Approvers); err != nil {
		return nil, err
	}
	// The run ID lets the dashboard link straight to this run in the Temporal UI.
	if info := activity.GetInfo(ctx); info.WorkflowExecution.RunID != "" && d.WorkflowRunID != info.WorkflowExecution.RunID {
		if err := a.Store.UpdateDeployment(ctx, d.ID, schema.DeploymentUpdate{WorkflowRunID: info.WorkflowExecution.RunID}); err != nil {
			return nil, gone(err)
		}
	}
	if d.Kind == release.KindRollback {
		target, err := a.Store.GetDeployment(ctx, d.RollbackOf)
		if err != nil {
			return nil, gone(err)
		}
		p.Image = target.Image
	}
	return p, nil
}

// Transition records a deployment's progress.
func (a *Activities) Transition(ctx context.Context, in TransitionInput) error {
	err := a.Store.UpdateDeployment(ctx, in.DeploymentID, schema.DeploymentUpdate{
		Status: in.Status, Step: in.Step, Started: in.Started, Finished: in.Finished,
		FailureReason: in.Reason, Image: in.Image, ContainerID: in.ContainerID,
		WaitingUntil: in.WaitingUntil, ClearWaiting: in.ClearWaiting,
	})
	if err != nil {
		return gone(err)
	}
	if in.Message != "" {
		return a.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: in.Message}})
	}
	return nil
}

// approvalGate reads the approval policy of an app and its environment
// (the stricter wins, see release.EffectiveApproval) and who may approve.
func (a *Activities) approvalGate(ctx context.Context, app *schema.App, d *schema.Deployment, approvers []string) (*ApprovalGate, error) {
	var env *schema.Environment
	if app.Environment != "" {
		e, err := a.Store.GetEnvironment(ctx, app.TeamID, app.Environment)
		if err != nil && !errors.Is(err, schema.ErrNotFound) {
			return nil, err
		}
		env = e
	}
	pol := schema.EffectiveApproval(app, env)
	if !pol.Required {
		return nil, nil
	}
	g := &ApprovalGate{Needed: pol.Needed, AllowSelf: pol.AllowSelf, TTL: pol.Wait(),
		RequesterID: d.RequestedByID, Requester: d.RequestedBy, Approvers: approvers}
	if g.RequesterID == "" && d.RequestedBy == "admin token" {
		g.RequesterID = AdminTokenApprover
	}
	return g, nil
}

// approvers are the IDs holding the approver permission for app (see
// release.Approvers).
func (a *Activities) approvers(ctx context.Context, app *schema.App) ([]string, error) {
	admins, err := a.Store.InstanceAdminIDs(ctx)
	if err != nil {
		return nil, err
	}
	var members []release.Member
	if app.TeamID != "" {
		ms, err := a.Store.TeamMembers(ctx, app.TeamID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			members = append(members, release.Member{UserID: m.UserID, Role: m.Role, Approver: m.Approver})
		}
	}
	return release.Approvers(members, admins), nil
}

// FreezeCheck reports whether a freeze window covers the deployment now:
// the app's own windows, its environment's and the instance's, judged by
// release.EvaluateFreeze.
func (a *Activities) FreezeCheck(ctx context.Context, in FreezeInput) (*FreezeStatus, error) {
	d, app, err := a.deploymentAndApp(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	ws, err := a.Store.FreezesFor(ctx, app)
	if err != nil {
		return nil, err
	}
	v := release.EvaluateFreeze(schema.Rules(ws), d.Kind, time.Now().UTC())
	return &v, nil
}

// Decide records a decision at a deployment's approval gate, in the
// approvals table and the deployment's log.
func (a *Activities) Decide(ctx context.Context, in DecideInput) error {
	err := a.Store.AddApproval(ctx, &schema.Approval{DeploymentID: in.DeploymentID, ApproverID: in.ApproverID, Approver: in.Approver,
		Decision: in.Decision, Comment: in.Comment, Time: time.Now().UTC()})
	if err != nil {
		return err
	}
	msg := in.Approver + " approved"
	if in.Decision == "reject" {
		msg = in.Approver + " rejected"
	}
	if in.Comment != "" {
		msg += ": " + in.Comment
	}
	return a.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: msg}})
}

// Enqueue hands a scheduled deployment, now due, to its app's queue; from
// there it runs like any other, gates included.
func (a *Activities) Enqueue(ctx context.Context, in EnqueueInput) error {
	if a.Enqueuer == nil {
		return errors.New("this worker cannot queue deployments (no Temporal client given)")
	}
	return a.Enqueuer(ctx, in.DeploymentID)
}

// DeployRecurring starts one run of a recurring deploy: the app's branch
// head, through its queue and gates like any deploy. It returns the
// deployment's ID.
func (a *Activities) DeployRecurring(ctx context.Context, in RecurringInput) (string, error) {
	if a.Deployer == nil {
		return "", errors.New("this worker cannot start deployments (no Temporal client given)")
	}
	id, err := a.Deployer(ctx, in.AppID, "recurring deploy "+in.Recurring)
	if errors.Is(err, schema.ErrNotFound) {
		return "", nonRetryable(ErrTypeGone, "the app of recurring deploy %s is gone", in.Recurring)
	}
	return id, err
}

// Reschedule records a scheduled deployment's new time.
func (a *Activities) Reschedule(ctx context.Context, in RescheduleInput) error {
	at := in.At.UTC()
	if err := a.Store.UpdateDeployment(ctx, in.DeploymentID, schema.DeploymentUpdate{ScheduledFor: &at}); err != nil {
		return gone(err)
	}
	return a.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: "rescheduled for " + at.Format(time.RFC3339)}})
}

// Mark ends a deployment that never ran (superseded or cancelled while
// queued).
func (a *Activities) Mark(ctx context.Context, in MarkInput) error {
	return a.Transition(ctx, TransitionInput{DeploymentID: in.DeploymentID, Status: in.Status, Finished: true, Reason: in.Reason, Message: in.Reason})
}

// secretErr reports sealed secrets this host cannot open.
func secretErr(err error) error {
	if errors.Is(err, secrets.ErrNoKey) || errors.Is(err, secrets.ErrNoKeyring) {
		return nonRetryable(ErrTypeSecret, "cannot open the app's secrets on this host: %v", err)
	}
	return err
}

// FetchSource clones the app's repository at the deployment's commit into
// the deployment's workspace.
func (a *Activities) FetchSource(ctx context.Context, in SourceInput) (*SourceResult, error) {
	d, app, err := a.deploymentAndApp(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	log := newLogWriter(a.Store, d.ID, "system")
	defer log.Close()
	if d.Source == schema.SourceUpload {
		log.Line(fmt.Sprintf("unpacking the uploaded archive (sha256 %s)", shortSHA(d.UploadSHA256)))
		sum, err := a.unpack(d)
		if err != nil {
			log.Line("source: " + err.Error())
			return nil, err
		}
		log.Line(fmt.Sprintf("unpacked %d files (%d bytes)", sum.Files, sum.Unpacked))
		return &SourceResult{Message: "uploaded archive"}, nil
	}
	log.Line(fmt.Sprintf("fetching %s (branch %s) at %s", app.GitURL, app.Branch, shortSHA(in.Commit)))
	c, err := a.checkout(ctx, app, in.DeploymentID, in.Commit)
	if err != nil {
		log.Line("source: " + err.Error())
		return nil, err
	}
	if err := a.Store.UpdateDeployment(ctx, d.ID, schema.DeploymentUpdate{CommitSHA: c.SHA, CommitMessage: c.Message}); err != nil {
		return nil, gone(err)
	}
	log.Line(fmt.Sprintf("checked out %s: %s", shortSHA(c.SHA), firstLine(c.Message)))
	return &SourceResult{Commit: c.SHA, Message: c.Message}, nil
}

func (a *Activities) checkout(ctx context.Context, app *schema.App, deploymentID, commit string) (gitsrc.Commit, error) {
	ws := a.workspace(deploymentID)
	if err := os.RemoveAll(ws); err != nil {
		return gitsrc.Commit{}, err
	}
	if err := os.MkdirAll(ws, 0o700); err != nil {
		return gitsrc.Commit{}, err
	}
	// A preview clones with its parent's credentials.
	creds, err := a.sourceOf(ctx, app)
	if err != nil {
		return gitsrc.Commit{}, err
	}
	token, sshKey, err := a.Store.AppCredentials(creds)
	if err != nil {
		return gitsrc.Commit{}, secretErr(err)
	}
	c, err := gitsrc.Checkout(ctx, app.GitURL, app.Branch, commit, filepath.Join(ws, "src"), gitsrc.Auth{Token: token, SSHKey: sshKey})
	if err != nil {
		if errors.Is(err, gitsrc.ErrAuth) || errors.Is(err, gitsrc.ErrNotFound) || errors.Is(err, gitsrc.ErrBadURL) {
			return c, nonRetryable(ErrTypeSource, "%v", err)
		}
		return c, err
	}
	// The marker tells Build the checkout is complete.
	return c, os.WriteFile(filepath.Join(ws, "commit"), []byte(c.SHA), 0o600)
}

// Build builds the deployment's image from its workspace (fetching the
// source again when the workspace is missing, as after a move to another
// worker). Builder output streams into the deployment log.
func (a *Activities) Build(ctx context.Context, in BuildInput) (*BuildResult, error) {
	d, app, err := a.deploymentAndApp(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	tag := release.ImageTag(app.Name, d.ID)
	if ok, err := a.Docker.ImageExists(ctx, tag); err != nil {
		return nil, err
	} else if ok {
		// Built by an attempt that died before reporting back.
		_ = os.RemoveAll(a.workspace(d.ID))
		return &BuildResult{Image: tag}, nil
	}
	ws := a.workspace(d.ID)
	if _, err := os.Stat(filepath.Join(ws, "commit")); err != nil {
		if d.Source == schema.SourceUpload {
			if _, err := a.unpack(d); err != nil {
				return nil, err
			}
		} else if _, err := a.checkout(ctx, app, d.ID, in.Commit); err != nil {
			return nil, err
		}
	}
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	log := newLogWriter(a.Store, d.ID, "build")
	id, err := a.build(ctx, app, d, tag, log)
	log.Close()
	if err != nil {
		if errors.Is(err, docker.ErrBuildFailed) || errors.Is(err, docker.ErrNoDockerfile) || errors.Is(err, errBuild) {
			_ = os.RemoveAll(ws)
			a.dropUpload(d)
			// The workflow says "build failed: "; the detail follows.
			msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), docker.ErrBuildFailed.Error()+": "), errBuild.Error()+": ")
			return nil, nonRetryable(ErrTypeBuild, "%s", msg)
		}
		return nil, err
	}
	_ = os.RemoveAll(ws)
	a.dropUpload(d)
	return &BuildResult{Image: tag, ImageID: id}, nil
}

// StartCandidate runs the deployment's container on Rivetr's network, with
// the app's env and limits and no published port.
func (a *Activities) StartCandidate(ctx context.Context, in StartInput) (*Candidate, error) {
	d, app, err := a.deploymentAndApp(ctx, in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if err := a.Docker.EnsureNetwork(ctx, a.Network); err != nil {
		return nil, err
	}
	env, err := a.envOf(ctx, app)
	if err != nil {
		return nil, err
	}
	id, err := a.Docker.Run(ctx, docker.RunSpec{
		Name:  release.ContainerName(app.Name, d.ID),
		Image: in.Image,
		Env:   env,
		Labels: map[string]string{
			docker.LabelManaged: "true", docker.LabelApp: app.Name, docker.LabelDeployment: d.ID,
		},
		Network:  a.Network,
		MemoryMB: app.MemoryLimitMB,
		CPUs:     app.CPULimit,
	})
	if err != nil {
		if errors.Is(err, docker.ErrNotFound) {
			return nil, nonRetryable(ErrTypeImageMissing, "image %s no longer exists (it was pruned; raise the app's keep_images to keep more)", in.Image)
		}
		return nil, err
	}
	if err := a.Store.UpdateDeployment(ctx, d.ID, schema.DeploymentUpdate{ContainerID: id}); err != nil {
		return nil, gone(err)
	}
	// A container gets its address as it starts; wait a moment for it.
	var st docker.State
	for i := 0; i < 50; i++ {
		if st, err = a.Docker.Inspect(ctx, id, a.Network); err != nil {
			return nil, err
		}
		if st.IP != "" || !st.Running {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st.IP == "" {
		lines := a.lastLogs(ctx, id, 20)
		return nil, nonRetryable(ErrTypeUnhealthy, "container exited at start (status %s, exit code %d)%s", st.Status, st.ExitCode, lines)
	}
	return &Candidate{ContainerID: id, URL: "http://" + net.JoinHostPort(st.IP, strconv.Itoa(app.Port))}, nil
}

// lastLogs returns a container's last n lines, formatted for a failure reason.
func (a *Activities) lastLogs(ctx context.Context, id string, n int) string {
	var b strings.Builder
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = a.Docker.Logs(lctx, id, n, false, &b)
	out := strings.TrimSpace(b.String())
	if out == "" {
		return "; the container printed nothing"
	}
	return "; last container output:\n" + out
}

type healthProgress struct {
	Deadline time.Time
}

// HealthCheck polls the candidate over HTTP until it answers 2xx or 3xx,
// and fails when the container exits or the deadline passes. The deadline
// is fixed by the first attempt (kept in heartbeat details), so a retry after
// a crash does not grant a sick candidate more time.
func (a *Activities) HealthCheck(ctx context.Context, in HealthInput) error {
	var prog healthProgress
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &prog)
	}
	if prog.Deadline.IsZero() {
		prog.Deadline = time.Now().Add(in.Deadline)
	}
	log := newLogWriter(a.Store, in.DeploymentID, "system")
	defer log.Close()
	client := &http.Client{
		Timeout:       in.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{DisableKeepAlives: true},
	}
	url := in.Candidate.URL + in.Path
	log.Line(fmt.Sprintf("health check: GET %s, probing from 10ms apart up to every %s (timeout %s, deadline %s)", in.Path, in.Interval, in.Timeout, in.Deadline))
	start := time.Now()
	last := ""
	for attempt := 1; ; attempt++ {
		activity.RecordHeartbeat(ctx, prog)
		st, err := a.Docker.Inspect(ctx, in.Candidate.ContainerID, a.Network)
		if errors.Is(err, docker.ErrNotFound) {
			return nonRetryable(ErrTypeUnhealthy, "the new container disappeared during its health check")
		} else if err != nil {
			return err
		}
		if !st.Running {
			reason := fmt.Sprintf("the new container stopped during its health check (status %s, exit code %d)%s", st.Status, st.ExitCode, a.lastLogs(ctx, st.ID, 20))
			log.Line(reason)
			return nonRetryable(ErrTypeUnhealthy, "%s", reason)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
			if res.StatusCode >= 200 && res.StatusCode < 400 {
				log.Line(fmt.Sprintf("healthy: GET %s answered %d after %s (attempt %d)", in.Path, res.StatusCode, time.Since(start).Round(time.Millisecond), attempt))
				return nil
			}
			last = fmt.Sprintf("answered %d", res.StatusCode)
		} else {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			last = shortNetErr(err)
		}
		if attempt == 1 || attempt%5 == 0 {
			log.Line(fmt.Sprintf("not healthy yet: GET %s %s", in.Path, last))
		}
		if time.Now().Add(probeWait(attempt, in.Interval)).After(prog.Deadline) {
			reason := fmt.Sprintf("health check failed: GET %s %s; no healthy answer within %s%s", in.Path, last, in.Deadline, a.lastLogs(ctx, st.ID, 20))
			log.Line(reason)
			return nonRetryable(ErrTypeUnhealthy, "%s", reason)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(probeWait(attempt, in.Interval)):
		}
	}
}

// probeWait is the pause after a failed probe: 10ms, doubling up to the
// configured interval, so a fast-starting app is found healthy at once
// without probing a slow one more often than asked.
func probeWait(attempt int, interval time.Duration) time.Duration {
	d := 10 * time.Millisecond
	for i := 1; i < attempt && d < interval; i++ {
		d *= 2
	}
	return min(d, interval)
}

func shortNetErr(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return "failed: " + msg
}

// Switch points the app's domains at the deployment's container and records
// it as the app's current deployment.
func (a *Activities) Switch(ctx context.Context, in SwitchInput) (*SwitchResult, error) {
	app, err := a.Store.GetApp(ctx, in.AppID)
	if err != nil {
		return nil, gone(err)
	}
	prev, err := a.Router.Switch(in.App, in.Domains, in.DeploymentID, in.URL)
	if err != nil {
		return nil, err
	}
	if prev == "" && app.CurrentDeploymentID != in.DeploymentID {
		// The proxy may have restarted with a lost table; the store knows.
		prev = app.CurrentDeploymentID
	}
	if err := a.Store.SetCurrentDeployment(ctx, in.AppID, in.DeploymentID); err != nil {
		return nil, gone(err)
	}
	msg := "traffic switched to this deployment"
	if prev != "" {
		msg += " from " + prev
	}
	_ = a.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: msg}})
	return &SwitchResult{Previous: prev}, nil
}

// Drain waits for the previous target's in-flight requests to finish (up
// to the app's drain timeout) and cuts off the rest.
func (a *Activities) Drain(ctx context.Context, in DrainInput) error {
	if in.Previous == "" {
		return nil
	}
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	start := time.Now()
	cut := a.Router.Drain(ctx, in.Previous, in.Timeout)
	msg := fmt.Sprintf("drained %s in %s", in.Previous, time.Since(start).Round(time.Millisecond))
	if cut > 0 {
		msg += fmt.Sprintf("; %d requests still running at the %s deadline were cut off", cut, in.Timeout)
	}
	return a.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: msg}})
}

// RemoveOld stops and removes the containers of the app's deployments older
// than Keep, orphans of crashed deploys included. Newer deployments' containers
// (a deploy that started meanwhile) are left alone: deployment IDs sort by
// creation time. Containers get docker's usual grace (SIGTERM, then SIGKILL
// after 10s) to finish background work.
func (a *Activities) RemoveOld(ctx context.Context, in RemoveOldInput) error {
	stop := heartbeat(ctx, 3*time.Second)
	defer stop()
	containers, err := a.Docker.Containers(ctx, map[string]string{docker.LabelApp: in.App, docker.LabelManaged: "true"})
	if err != nil {
		return err
	}
	for _, c := range containers {
		if c.Labels[docker.LabelDeployment] >= in.Keep {
			continue
		}
		if err := a.Docker.Remove(ctx, c.ID, 10*time.Second); err != nil {
			return err
		}
		_ = a.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.Keep, Time: time.Now().UTC(), Stream: "system", Text: "stopped and removed old container " + c.Name}})
	}
	return nil
}

// Cleanup removes a failed or cancelled deployment's container and
// workspace. It is safe to run for a deployment that left nothing.
func (a *Activities) Cleanup(ctx context.Context, in CleanupInput) error {
	containers, err := a.Docker.Containers(ctx, map[string]string{docker.LabelDeployment: in.DeploymentID})
	if err != nil {
		return err
	}
	for _, c := range containers {
		if err := a.Docker.Remove(ctx, c.ID, time.Second); err != nil { // it never served: no need to wait
			return err
		}
	}
	if err := os.RemoveAll(a.workspace(in.DeploymentID)); err != nil {
		return err
	}
	if len(containers) > 0 {
		_ = a.Store.AppendLogs(ctx, []schema.LogLine{{DeploymentID: in.DeploymentID, Time: time.Now().UTC(), Stream: "system", Text: "removed the new container; the previous version keeps serving"}})
	}
	return nil
}

// PruneImages removes the app's images except those of the newest Keep
// deployments that succeeded (which rollbacks may need) and the one serving.
func (a *Activities) PruneImages(ctx context.Context, in PruneInput) error {
	app, err := a.Store.GetApp(ctx, in.AppID)
	if err != nil {
		return gone(err)
	}
	deps, err := a.Store.ListDeployments(ctx, schema.DeploymentFilter{AppID: in.AppID, Statuses: []release.Status{release.StatusSucceeded, release.StatusRolledBack}})
	if err != nil {
		return err
	}
	releases := make([]release.Release, len(deps))
	for i, d := range deps {
		releases[i] = release.Release{ID: d.ID, Image: d.Image}
	}
	images, err := a.Docker.Images(ctx, release.ImageRepo(in.App))
	if err != nil {
		return err
	}
	imgs := make([]release.Image, len(images))
	for i, img := range images {
		imgs[i] = release.Image{ID: img.ID, Tags: img.Tags}
	}
	plan := release.ImagePrune{Keep: in.Keep, Serving: app.CurrentDeploymentID, Current: in.Current}
	for _, ref := range plan.Plan(releases, imgs) {
		if err := a.Docker.RemoveImage(ctx, ref); err != nil {
			a.Log.Warn("prune image", "app", in.App, "image", ref, "err", err)
		}
	}
	return nil
}

// RemoveApp removes an app's route, containers, images and workspaces from
// this host.
func (a *Activities) RemoveApp(ctx context.Context, in RemoveAppInput) error {
	prev, err := a.Router.Remove(in.App)
	if err != nil {
		return err
	}
	if prev != "" {
		a.Router.Drain(ctx, prev, 5*time.Second)
	}
	containers, err := a.Docker.Containers(ctx, map[string]string{docker.LabelApp: in.App, docker.LabelManaged: "true"})
	if err != nil {
		return err
	}
	for _, c := range containers {
		if err := a.Docker.Remove(ctx, c.ID, 10*time.Second); err != nil {
			return err
		}
		_ = os.RemoveAll(a.workspace(c.Labels[docker.LabelDeployment]))
	}
	images, err := a.Docker.Images(ctx, release.ImageRepo(in.App))
	if err != nil {
		return err
	}
	for _, img := range images {
		for _, t := range img.Tags {
			if err := a.Docker.RemoveImage(ctx, t); err != nil {
				return err
			}
		}
		if len(img.Tags) == 0 {
			if err := a.Docker.RemoveImage(ctx, img.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteAppRecord removes the app and its history from the store.
func (a *Activities) DeleteAppRecord(ctx context.Context, in RemoveAppInput) error {
	err := a.Store.DeleteApp(ctx, in.AppID)
	if errors.Is(err, schema.ErrNotFound) {
		return nil
	}
	return err
}

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
