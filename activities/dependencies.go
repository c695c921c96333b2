package activities

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
	"go.temporal.io/sdk/activity"
)

// PlanDependency is something a deployment's app needs (see
// release.DepKind), as its plan names it.
type PlanDependency struct {
	Kind release.DepKind
	ID   string
	Name string
}

// WaitDependenciesInput asks to wait, up to Within, until every
// dependency is ready.
type WaitDependenciesInput struct {
	DeploymentID string
	Dependencies []PlanDependency
	Within       time.Duration
}

// DependencyWait bounds how long a deploy waits for what its app needs.
const DependencyWait = 5 * time.Minute

// dependencies lists what app needs, for its plan.
func (rec *Records) dependencies(ctx context.Context, app *schema.App) ([]PlanDependency, error) {
	deps, err := rec.Store.ListDependencies(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	out := make([]PlanDependency, 0, len(deps))
	for _, d := range deps {
		name := d.TargetID
		if d.Kind == release.DepDatabase {
			if db, err := rec.Store.GetDatabase(ctx, d.TargetID); err == nil {
				name = db.Name
			}
		} else if a, err := rec.Store.GetApp(ctx, d.TargetID); err == nil {
			name = a.Name
		}
		out = append(out, PlanDependency{Kind: d.Kind, ID: d.TargetID, Name: name})
	}
	return out, nil
}

// WaitDependencies waits until every dependency is ready — a database
// running, an app serving — and says in the deployment's log what it
// waits for; past in.Within it fails, naming what is not ready and how to
// make it so. The deadline is the first attempt's (heartbeat details).
func (rec *Records) WaitDependencies(ctx context.Context, in WaitDependenciesInput) error {
	var deadline time.Time
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &deadline)
	}
	if deadline.IsZero() {
		deadline = time.Now().Add(in.Within)
	}
	log := newLogWriter(rec.Store, in.DeploymentID, "system")
	defer log.Close()
	said := ""
	for {
		activity.RecordHeartbeat(ctx, deadline)
		var waiting, ready []string
		var hints []string
		for _, d := range in.Dependencies {
			state, ok, hint, err := rec.dependencyReady(ctx, d)
			if err != nil {
				return err
			}
			what := fmt.Sprintf("%s %s (%s)", d.Kind, d.Name, state)
			if ok {
				ready = append(ready, what)
			} else {
				waiting, hints = append(waiting, what), append(hints, hint)
			}
		}
		if len(waiting) == 0 {
			log.Line("dependencies ready: " + strings.Join(ready, ", "))
			return nil
		}
		sort.Strings(waiting)
		if now := "waiting for " + strings.Join(waiting, ", "); now != said {
			log.Line(now)
			said = now
		}
		if time.Now().After(deadline) {
			return nonRetryable(ErrTypeUnhealthy, "what the app needs is not ready after %s: %s; %s", in.Within, strings.Join(waiting, ", "), strings.Join(hints, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// dependencyReady says d's state, whether it is ready and, when not, how
// to make it so. A dependency deleted meanwhile is not waited for.
func (rec *Records) dependencyReady(ctx context.Context, d PlanDependency) (state string, ok bool, hint string, err error) {
	if d.Kind == release.DepDatabase {
		db, err := rec.Store.GetDatabase(ctx, d.ID)
		if errors.Is(err, schema.ErrNotFound) {
			return "deleted", true, "", nil
		} else if err != nil {
			return "", false, "", err
		}
		return string(db.Status), db.Status == release.DBRunning, "start it: rivetr databases start " + db.Name, nil
	}
	app, err := rec.Store.GetApp(ctx, d.ID)
	if errors.Is(err, schema.ErrNotFound) {
		return "deleted", true, "", nil
	} else if err != nil {
		return "", false, "", err
	}
	if app.CurrentDeploymentID == "" {
		return "not serving", false, "deploy it: rivetr deploy " + app.Name, nil
	}
	return "serving", true, "", nil
}
