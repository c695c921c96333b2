package schema

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/internal/secrets"
)

func testKeys(t *testing.T) *secrets.Keyring {
	t.Helper()
	k, err := secrets.New(secrets.Generate())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rawEnv reads an env var's stored value, as on disk.
func rawEnv(t *testing.T, s *Store, appID, key string) string {
	t.Helper()
	var v string
	if err := s.db.Model(&EnvVar{}).Where("app_id = ? AND key = ?", appID, key).Pluck("value", &v).Error; err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSecretsAreSealedAtRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			app := &App{ID: ids.New(), Name: "sealed", GitURL: "https://x/y.git", GitToken: "ghp_plain_token", SSHKey: "-----BEGIN KEY-----",
				WebhookSecret: "hook-secret-plain"}
			if err := s.CreateApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			if err := s.SetEnv(ctx, app.ID, []EnvVar{{Key: "DB_PASSWORD", Value: "hunter2-secret", Secret: true}, {Key: "MODE", Value: "prod"}}); err != nil {
				t.Fatal(err)
			}
			if raw := rawEnv(t, s, app.ID, "DB_PASSWORD"); !secrets.IsSealed(raw) || strings.Contains(raw, "hunter2") {
				t.Fatalf("secret stored as %q", raw)
			}
			if raw := rawEnv(t, s, app.ID, "MODE"); raw != "prod" {
				t.Fatalf("a plain var stored as %q", raw)
			}
			got, err := s.GetApp(ctx, app.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !secrets.IsSealed(got.GitToken) || !secrets.IsSealed(got.SSHKey) || !secrets.IsSealed(got.WebhookSecret) {
				t.Fatalf("credentials stored as %q / %q / %q", got.GitToken, got.SSHKey, got.WebhookSecret)
			}
			if hook, err := s.WebhookSecret(got); err != nil || hook != "hook-secret-plain" {
				t.Fatalf("WebhookSecret: %q %v", hook, err)
			}
			tok, key, err := s.AppCredentials(got)
			if err != nil || tok != "ghp_plain_token" || key != "-----BEGIN KEY-----" {
				t.Fatalf("AppCredentials: %q %q %v", tok, key, err)
			}
			vars, err := s.ListEnv(ctx, app.ID)
			if err != nil || vars[0].Value != "hunter2-secret" || vars[1].Value != "prod" {
				t.Fatalf("ListEnv: %+v %v", vars, err)
			}
			masked, _ := s.ListEnvMasked(ctx, app.ID)
			if masked[0].Value != "" || masked[1].Value != "prod" {
				t.Fatalf("ListEnvMasked: %+v", masked)
			}
			// Saving the app again keeps one layer of sealing.
			if err := s.SaveApp(ctx, got); err != nil {
				t.Fatal(err)
			}
			if tok, _, _ := s.AppCredentials(got); tok != "ghp_plain_token" {
				t.Fatalf("after a save the token opens to %q", tok)
			}

			// A sealed value moved to another row does not open.
			other := &App{ID: ids.New(), Name: "other", GitURL: "https://x/z.git"}
			if err := s.CreateApp(ctx, other); err != nil {
				t.Fatal(err)
			}
			if err := s.db.Create(&EnvVar{AppID: other.ID, Key: "DB_PASSWORD", Value: rawEnv(t, s, app.ID, "DB_PASSWORD"), Secret: true}).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := s.ListEnv(ctx, other.ID); err == nil || !strings.Contains(err.Error(), "failed authentication") {
				t.Fatalf("a copied ciphertext opened: %v", err)
			}
		})
	}
}

func TestResealAndRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := stores(t)["sqlite"]
	app := &App{ID: ids.New(), Name: "legacy", GitURL: "https://x/y.git"}
	if err := s.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	// Written before sealing existed: plain text in the table.
	if err := s.db.Create(&EnvVar{AppID: app.ID, Key: "OLD", Value: "plain-old-secret", Secret: true}).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Model(&App{}).Where("id = ?", app.ID).Update("git_token", "plain-token").Error; err != nil {
		t.Fatal(err)
	}
	n, bad, err := s.Reseal(ctx)
	if err != nil || n != 2 || bad != 0 {
		t.Fatalf("Reseal: %d %d %v", n, bad, err)
	}
	if raw := rawEnv(t, s, app.ID, "OLD"); !secrets.IsSealed(raw) {
		t.Fatalf("legacy secret still %q", raw)
	}
	if n, _, _ := s.Reseal(ctx); n != 0 {
		t.Fatalf("a second Reseal changed %d", n)
	}

	// A store with a different key cannot open them, and says so.
	dir := t.TempDir()
	foreign, err := Open(dir+"/x.db", testKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	foreign.db.Create(&App{ID: app.ID, Name: "legacy", GitURL: "https://x/y.git"})
	foreign.db.Create(&EnvVar{AppID: app.ID, Key: "OLD", Value: rawEnv(t, s, app.ID, "OLD"), Secret: true})
	if _, err := foreign.ListEnv(ctx, app.ID); !errors.Is(err, secrets.ErrNoKey) || !strings.Contains(err.Error(), "RIVETR_SECRET_KEY") {
		t.Fatalf("foreign key: %v", err)
	}
	if _, bad, err := foreign.Reseal(ctx); err != nil || bad != 1 {
		t.Fatalf("Reseal with the wrong key: bad=%d err=%v", bad, err)
	}

	// No keyring: secrets are refused, not written in the clear.
	bare, err := Open(dir+"/bare.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	bare.db.Create(&App{ID: app.ID, Name: "legacy", GitURL: "https://x/y.git"})
	if err := bare.SetEnv(ctx, app.ID, []EnvVar{{Key: "S", Value: "v", Secret: true}}); !errors.Is(err, secrets.ErrNoKeyring) {
		t.Fatalf("SetEnv without keys: %v", err)
	}
}
