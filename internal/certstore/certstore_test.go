package certstore

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/testdb"
	"github.com/rivetr/rivetr/schema"
)

// both runs f on a SQLite store and, when the tests have one, PostgreSQL.
func both(t *testing.T, f func(t *testing.T, store *schema.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		store, _, _ := testdb.Open(t)
		f(t, store)
	})
	t.Run("postgres", func(t *testing.T) {
		_, keys, _ := testdb.Open(t)
		f(t, testdb.Postgres(t, keys))
	})
}

func TestStorageObjects(t *testing.T) {
	both(t, func(t *testing.T, store *schema.Store) {
		ctx := context.Background()
		s := New(store)
		key := "certificates/acme-v02/shop.example.com/shop.example.com.key"
		if _, err := s.Load(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("load of nothing: %v", err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat of nothing: %v", err)
		}
		secret := []byte("-----BEGIN EC PRIVATE KEY-----\nsecret\n")
		for _, k := range []string{key, "certificates/acme-v02/shop.example.com/shop.example.com.crt", "certificates/acme-v02/a_b.example.com/a_b.example.com.crt", "acme/account.json"} {
			if err := s.Store(ctx, k, secret); err != nil {
				t.Fatal(err)
			}
		}
		if b, err := s.Load(ctx, "/"+key); err != nil || string(b) != string(secret) {
			t.Fatalf("load: %q %v", b, err)
		}
		// Sealed at rest: the private key is not in the table.
		objs, _ := store.CertObjects(ctx, key)
		if len(objs) != 1 || objs[0].Size != int64(len(secret)) {
			t.Fatalf("objects: %+v", objs)
		}
		if err := s.Store(ctx, key, []byte("v2")); err != nil {
			t.Fatal(err)
		}
		if b, _ := s.Load(ctx, key); string(b) != "v2" {
			t.Fatalf("overwrite: %q", b)
		}
		if info, err := s.Stat(ctx, key); err != nil || !info.IsTerminal || info.Size != 2 || info.Modified.IsZero() {
			t.Fatalf("stat of an object: %+v %v", info, err)
		}
		if info, err := s.Stat(ctx, "certificates/acme-v02"); err != nil || info.IsTerminal {
			t.Fatalf("stat of a directory: %+v %v", info, err)
		}
		if !s.Exists(ctx, "certificates") || !s.Exists(ctx, key) || s.Exists(ctx, "certificates/acme") {
			t.Fatal("exists: a directory, an object, and a prefix that is no directory")
		}
		if got, err := s.List(ctx, "certificates/acme-v02", false); err != nil ||
			!slices.Equal(got, []string{"certificates/acme-v02/a_b.example.com", "certificates/acme-v02/shop.example.com"}) {
			t.Fatalf("list: %q %v", got, err)
		}
		if got, _ := s.List(ctx, "certificates", true); len(got) != 3 {
			t.Fatalf("recursive list: %q", got)
		}
		// "_" and "%" in a name are not LIKE wildcards.
		if got, _ := s.List(ctx, "certificates/acme-v02/a_b.example.com", false); len(got) != 1 || !strings.HasSuffix(got[0], ".crt") {
			t.Fatalf("list under a name with _: %q", got)
		}
		if s.Exists(ctx, "certificates/acme-v02/aXb.example.com") {
			t.Fatal("_ matched any character")
		}
		if err := s.Delete(ctx, "certificates/acme-v02/shop.example.com"); err != nil {
			t.Fatal(err)
		}
		if s.Exists(ctx, key) || !s.Exists(ctx, "acme/account.json") {
			t.Fatal("delete of a directory")
		}
		if err := s.Delete(ctx, "nothing/here"); err != nil {
			t.Fatalf("delete of nothing: %v", err)
		}
	})
}

// Two processes (two Storages on one store) contend for a lock: one holds
// it at a time; a holder that dies (never unlocks) loses it when its lease
// runs out; a holder alive keeps it past the lease by renewing.
func TestStorageLocks(t *testing.T) {
	both(t, func(t *testing.T, store *schema.Store) {
		ctx := context.Background()
		a, b := New(store), New(store)
		for _, s := range []*Storage{a, b} {
			s.Poll, s.lease = 20*time.Millisecond, 300*time.Millisecond
		}
		if err := a.Lock(ctx, "issue_cert_shop.example.com"); err != nil {
			t.Fatal(err)
		}
		if ok, err := b.TryLock(ctx, "issue_cert_shop.example.com"); ok || err != nil {
			t.Fatalf("b took a's lock: %v %v", ok, err)
		}
		// a keeps it past its lease: the renewal runs.
		time.Sleep(700 * time.Millisecond)
		if ok, _ := b.TryLock(ctx, "issue_cert_shop.example.com"); ok {
			t.Fatal("b took a lock a renews")
		}
		var wg sync.WaitGroup
		var got time.Time
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.Lock(ctx, "issue_cert_shop.example.com"); err != nil {
				t.Error(err)
			}
			got = time.Now()
		}()
		time.Sleep(100 * time.Millisecond)
		released := time.Now()
		if err := a.Unlock(ctx, "issue_cert_shop.example.com"); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if got.Before(released) {
			t.Fatal("b held the lock before a released it")
		}
		// b dies holding it (its renewals stop): a gets it after the lease.
		b.mu.Lock()
		b.held["issue_cert_shop.example.com"]()
		b.mu.Unlock()
		start := time.Now()
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := a.Lock(lctx, "issue_cert_shop.example.com"); err != nil {
			t.Fatalf("a after b died: %v", err)
		}
		if waited := time.Since(start); waited > 2*time.Second {
			t.Fatalf("a waited %s for a dead holder's lock", waited)
		}
		// A Lock gives up when its context ends.
		cctx, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel2()
		if err := b.Lock(cctx, "issue_cert_shop.example.com"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a lock wait past its context: %v", err)
		}
		_ = a.Unlock(ctx, "issue_cert_shop.example.com")
	})
}
