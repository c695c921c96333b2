package schema

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/secrets"
)

func TestBackupRecords(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			d := &Database{ID: "db1", Name: "shop-db-" + driver, Engine: EnginePostgres, Image: "postgres:17", User: "app", Password: "pw-plain", DBName: "app", Status: release.DBRunning}
			if err := s.CreateDatabase(ctx, d); err != nil {
				t.Fatal(err)
			}
			got, _ := s.GetDatabase(ctx, "db1")
			if !secrets.IsSealed(got.Password) {
				t.Fatalf("password stored as %q", got.Password)
			}
			if pw, _, err := s.DatabasePasswords(got); err != nil || pw != "pw-plain" {
				t.Fatalf("DatabasePasswords: %q %v", pw, err)
			}
			p, err := s.GetPolicy(ctx, "db1")
			if err != nil || !p.Local || p.KeepLast != 7 {
				t.Fatalf("default policy %+v %v", p, err)
			}
			p.S3Bucket, p.S3SecretKey = "b", "s3-secret"
			if err := s.SavePolicy(ctx, p); err != nil {
				t.Fatal(err)
			}
			p, _ = s.GetPolicy(ctx, "db1")
			if !secrets.IsSealed(p.S3SecretKey) {
				t.Fatalf("S3 secret stored as %q", p.S3SecretKey)
			}
			if v, err := s.S3SecretKey(p); err != nil || v != "s3-secret" {
				t.Fatalf("S3SecretKey: %q %v", v, err)
			}
			now := time.Now().UTC()
			for i, id := range []string{"b1", "b2", "b3"} {
				if err := s.CreateBackup(ctx, &Backup{ID: id, DatabaseID: "db1", Status: release.BackupSucceeded, StartedAt: now.Add(time.Duration(i) * time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.CreateBackup(ctx, &Backup{ID: "b1", DatabaseID: "db1"}); !errors.Is(err, ErrConflict) {
				t.Fatalf("the same backup twice: %v", err)
			}
			bs, _ := s.ListBackups(ctx, "db1")
			if len(bs) != 3 || bs[0].ID != "b3" {
				t.Fatalf("backups %+v", bs)
			}
			if err := s.DeleteDatabase(ctx, "db1"); err != nil {
				t.Fatal(err)
			}
			if bs, _ := s.ListBackups(ctx, "db1"); len(bs) != 0 {
				t.Fatalf("backup records outlived the database: %v", bs)
			}
		})
	}
}
