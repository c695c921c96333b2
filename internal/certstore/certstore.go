// Package certstore keeps certmagic's certificates, keys and ACME accounts
// in Rivetr's store (SQLite or PostgreSQL), sealed with the secret key, so
// that every proxy sharing the store shares its certificates and the CA is
// asked once per name: the storage's locks are rows with a lease, renewed
// while held and taken over when a holder dies.
package certstore

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/rivetr/rivetr/internal/ids"
	"github.com/rivetr/rivetr/schema"
)

// Lease is how long a lock holds without renewal: a process that dies
// holding one blocks the others for at most this long.
const Lease = time.Minute

// Storage is a certmagic.Storage on a schema.Store.
type Storage struct {
	store *schema.Store
	owner string
	// Poll is how often a waiting Lock tries again.
	Poll time.Duration

	mu    sync.Mutex
	held  map[string]context.CancelFunc // renewals of the locks held
	lease time.Duration
}

var (
	_ certmagic.Storage   = (*Storage)(nil)
	_ certmagic.TryLocker = (*Storage)(nil)
)

// New returns the storage of store, its locks owned by a name unique to
// this process.
func New(store *schema.Store) *Storage {
	return &Storage{store: store, owner: ids.New(), Poll: time.Second, held: map[string]context.CancelFunc{}, lease: Lease}
}

func clean(key string) string { return strings.Trim(path.Clean("/"+key), "/") }

// Store puts value at key.
func (s *Storage) Store(ctx context.Context, key string, value []byte) error {
	return s.store.PutCertObject(ctx, clean(key), value)
}

// Load returns the value at key, fs.ErrNotExist when there is none.
func (s *Storage) Load(ctx context.Context, key string) ([]byte, error) {
	b, _, err := s.store.GetCertObject(ctx, clean(key))
	if errors.Is(err, schema.ErrNotFound) {
		return nil, fs.ErrNotExist
	}
	return b, err
}

// Delete deletes key and everything under it.
func (s *Storage) Delete(ctx context.Context, key string) error {
	return s.store.DeleteCertObjects(ctx, clean(key))
}

// Exists reports whether key is an object or a directory of some.
func (s *Storage) Exists(ctx context.Context, key string) bool {
	objs, err := s.store.CertObjects(ctx, clean(key))
	return err == nil && len(objs) > 0
}

// List returns the keys under dir: its direct children (objects and
// directories), or every object below it when recursive.
func (s *Storage) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	dir = clean(dir)
	objs, err := s.store.CertObjects(ctx, dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, o := range objs {
		if o.Path == dir {
			continue
		}
		k := o.Path
		if !recursive {
			rest := strings.TrimPrefix(k, dir+"/")
			if dir == "" {
				rest = k
			}
			first, _, _ := strings.Cut(rest, "/")
			k = path.Join(dir, first)
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fs.ErrNotExist
	}
	sort.Strings(out)
	return out, nil
}

// Stat describes key: an object, or a directory of objects.
func (s *Storage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	key = clean(key)
	objs, err := s.store.CertObjects(ctx, key)
	if err != nil {
		return certmagic.KeyInfo{}, err
	}
	for _, o := range objs {
		if o.Path == key {
			return certmagic.KeyInfo{Key: key, Modified: o.Modified, Size: o.Size, IsTerminal: true}, nil
		}
	}
	if len(objs) == 0 {
		return certmagic.KeyInfo{}, fs.ErrNotExist
	}
	return certmagic.KeyInfo{Key: key, IsTerminal: false}, nil
}

// Lock waits until it holds name (or ctx ends). The lease is renewed
// while it is held.
func (s *Storage) Lock(ctx context.Context, name string) error {
	for {
		ok, err := s.TryLock(ctx, name)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.Poll):
		}
	}
}

// TryLock takes name if it is free (or its holder's lease ran out).
func (s *Storage) TryLock(ctx context.Context, name string) (bool, error) {
	ok, err := s.store.TryCertLock(ctx, name, s.owner, s.lease)
	if err != nil || !ok {
		return false, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	if prev := s.held[name]; prev != nil {
		prev()
	}
	s.held[name] = cancel
	s.mu.Unlock()
	go func() {
		t := time.NewTicker(s.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				_, _ = s.store.TryCertLock(rctx, name, s.owner, s.lease)
			}
		}
	}()
	return true, nil
}

// Unlock releases name.
func (s *Storage) Unlock(ctx context.Context, name string) error {
	s.mu.Lock()
	if cancel := s.held[name]; cancel != nil {
		cancel()
		delete(s.held, name)
	}
	s.mu.Unlock()
	return s.store.ReleaseCertLock(context.WithoutCancel(ctx), name, s.owner)
}
