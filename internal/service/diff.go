package service

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/rivetr/rivetr/internal/gitsrc"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// recordRelease records on d (whose ID is set) what it will run with: the
// sealed release the build and start read (schema.ReleaseSpec) and the
// snapshot its diff is shown from, both taken now, from the same app.
// A preview's release has its parent's env.
func recordRelease(ctx context.Context, store *schema.Store, app *schema.App, d *schema.Deployment) error {
	var err error
	if d.Snapshot, err = snapshotOf(ctx, store, app); err != nil {
		return err
	}
	source := app
	if app.PreviewOf != "" {
		if source, err = store.GetApp(ctx, app.PreviewOf); err != nil {
			return err
		}
	}
	return store.CaptureSpec(ctx, d, app, source)
}

// snapshotOf records an app's settings and env vars as a deployment is
// asked for; secret values are never kept, only when they changed.
func snapshotOf(ctx context.Context, store *schema.Store, app *schema.App) (*schema.DeploySnapshot, error) {
	vars, err := store.ListEnvMasked(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	snap := &schema.DeploySnapshot{Settings: settingsOf(app), Env: map[string]schema.EnvSnap{}}
	for _, v := range vars {
		snap.Env[v.Key] = schema.EnvSnap{Value: v.Value, Secret: v.Secret, Updated: v.UpdatedAt.UTC()}
	}
	return snap, nil
}

// Change is a value before and after.
type Change struct {
	Before any `json:"before,omitempty"`
	After  any `json:"after,omitempty"`
}

// EnvChange is an env var added, removed or changed; a secret's values are
// never shown.
type EnvChange struct {
	Key    string `json:"key"`
	Change string `json:"change"` // added, removed, changed
	Secret bool   `json:"secret,omitempty"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

// DiffView is what a deployment changes compared with the one serving.
type DiffView struct {
	Deployment string `json:"deployment"`
	// Base is the serving deployment compared with ("" when nothing serves).
	Base       string            `json:"base,omitempty"`
	FromCommit string            `json:"from_commit,omitempty"`
	ToCommit   string            `json:"to_commit"`
	Commits    []gitsrc.LogEntry `json:"commits"`
	// Reverted is set for a rollback: Commits are the ones it takes away.
	Reverted    bool              `json:"reverted,omitempty"`
	MoreCommits bool              `json:"more_commits,omitempty"`
	CommitsNote string            `json:"commits_note,omitempty"`
	Settings    map[string]Change `json:"settings"`
	Env         []EnvChange       `json:"env"`
	Image       *Change           `json:"image,omitempty"`
	Note        string            `json:"note,omitempty"`
}

// Diff shows what a deployment changes against the deployment serving:
// the commits it adds (or, for a rollback, takes away) with their
// messages, read from the repository; env var changes (secrets by name
// only); settings changes; and the image.
func (s *Deploys) Diff(ctx context.Context, id string) (*DiffView, error) {
	d, err := s.authorizeDeployment(ctx, id, release.PermRead)
	if err != nil {
		return nil, err
	}
	app, err := s.store.GetApp(ctx, d.AppID)
	if err != nil {
		return nil, err
	}
	v := &DiffView{Deployment: d.ID, ToCommit: d.CommitSHA, Settings: map[string]Change{}, Env: []EnvChange{}, Commits: []gitsrc.LogEntry{}}
	var base *schema.Deployment
	if app.CurrentDeploymentID != "" && app.CurrentDeploymentID != d.ID {
		if base, err = s.store.GetDeployment(ctx, app.CurrentDeploymentID); err != nil {
			return nil, err
		}
		v.Base, v.FromCommit = base.ID, base.CommitSHA
	}
	// Settings and env, from the snapshots.
	switch {
	case d.Snapshot == nil:
		v.Note = "this deployment was asked for before Rivetr kept snapshots; settings and env changes are unknown"
	case base == nil:
		v.Note = "nothing serves yet: everything is new"
	case base.Snapshot == nil:
		v.Note = "the serving deployment predates snapshots; settings and env changes are unknown"
	default:
		b, a := changed(base.Snapshot.Settings, d.Snapshot.Settings)
		for k := range a {
			// A setting added to Rivetr after the base's snapshot, still
			// empty, is no change.
			if _, had := base.Snapshot.Settings[k]; !had && slices.Contains([]string{"", "[]", "map[]", "false", "0", "0s"}, fmt.Sprint(a[k])) {
				continue
			}
			v.Settings[k] = Change{Before: b[k], After: a[k]}
		}
		v.Env = envChanges(base.Snapshot.Env, d.Snapshot.Env)
	}
	// Image.
	if base != nil {
		after := any("built from " + short(d.CommitSHA))
		if d.Kind == release.KindRollback {
			after = d.Image
		}
		v.Image = &Change{Before: base.Image, After: after}
	}
	// Commits, from the repository.
	token, sshKey, err := s.store.AppCredentials(app)
	if err != nil {
		v.CommitsNote = "the app's git credentials cannot be opened here: " + err.Error()
		return v, nil
	}
	from, to := v.FromCommit, d.CommitSHA
	if d.Kind == release.KindRollback && base != nil {
		from, to, v.Reverted = d.CommitSHA, base.CommitSHA, true
	}
	if to == "" || from == to {
		return v, nil
	}
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v.Commits, v.MoreCommits, err = gitsrc.Log(lctx, app.GitURL, app.Branch, from, to, gitsrc.Auth{Token: token, SSHKey: sshKey, Egress: s.egress}, 50)
	if err != nil {
		v.Commits = []gitsrc.LogEntry{}
		v.CommitsNote = fmt.Sprintf("the commits could not be read from %s: %v", app.GitURL, err)
	}
	return v, nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func envChanges(before, after map[string]schema.EnvSnap) []EnvChange {
	out := []EnvChange{}
	for k, a := range after {
		b, ok := before[k]
		switch {
		case !ok:
			out = append(out, EnvChange{Key: k, Change: "added", Secret: a.Secret, After: a.Value})
		case a.Secret || b.Secret:
			if a.Secret != b.Secret || !a.Updated.Equal(b.Updated) {
				out = append(out, EnvChange{Key: k, Change: "changed", Secret: true})
			}
		case a.Value != b.Value:
			out = append(out, EnvChange{Key: k, Change: "changed", Before: b.Value, After: a.Value})
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok {
			out = append(out, EnvChange{Key: k, Change: "removed", Secret: b.Secret, Before: b.Value})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
