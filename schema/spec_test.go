package schema

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/ids"
)

// A deployment's release holds the app's settings and env as they were
// when it was asked for, sealed on its row (a secret value never in the
// clear), and unchanged by later edits of the app.
func TestReleaseSpec(t *testing.T) {
	t.Parallel()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			app := &App{ID: ids.New(), Name: "spec-" + name, GitURL: "https://x/y.git", Port: 8080, HealthPath: "/up", HealthDeadline: Duration(time.Minute)}
			if err := s.CreateApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			if err := s.SetEnv(ctx, app.ID, []EnvVar{{Key: "API_KEY", Value: "s3cret-value", Secret: true}}); err != nil {
				t.Fatal(err)
			}
			d := &Deployment{ID: ids.New(), AppID: app.ID, AppName: app.Name, Kind: "deploy", Status: "queued"}
			if err := s.CaptureSpec(ctx, d, app, app); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateDeployment(ctx, d); err != nil {
				t.Fatal(err)
			}
			var raw string
			if err := s.db.Table("deployments").Select("spec").Where("id = ?", d.ID).Scan(&raw).Error; err != nil || raw == "" || strings.Contains(raw, "s3cret") {
				t.Fatalf("stored spec %q %v", raw, err)
			}
			app.Port = 9090
			if err := s.SaveApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			if err := s.SetEnv(ctx, app.ID, []EnvVar{{Key: "API_KEY", Value: "changed", Secret: true}}); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetDeployment(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := s.DeploymentSpec(got)
			if err != nil || spec.Settings.Port != 8080 || spec.Settings.HealthPath != "/up" || len(spec.Env) != 1 || spec.Env[0].Value != "s3cret-value" || !spec.Env[0].Secret {
				t.Fatalf("spec %+v %v", spec, err)
			}
			// Sealed for this deployment only: moved to another row it
			// does not open.
			other := *got
			other.ID = ids.New()
			if _, err := s.DeploymentSpec(&other); err == nil {
				t.Fatal("a release opened under another deployment's ID")
			}
		})
	}
}
