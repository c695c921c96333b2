// Package backup stores backups: streamed (never a whole copy in memory or
// on disk first) to one or more destinations — a directory on the host, an
// S3-compatible bucket — at once, each write atomic (a partial object is
// never taken for a backup), then verified by reading every copy back.
// Which backups to keep is release.Retention's to decide.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Destination is a place backups are kept.
type Destination interface {
	// Name says which destination: "local" or "s3".
	Name() string
	// Put stores r under key, atomically: when it fails, nothing is left
	// under key.
	Put(ctx context.Context, key string, r io.Reader) error
	// Open reads key back.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes key (no error when it is gone).
	Delete(ctx context.Context, key string) error
	// Where names key for people: a path or s3://bucket/key.
	Where(key string) string
}

// Result is a stored backup.
type Result struct {
	Size   int64
	SHA256 string
	// Locations are Where(key) of every destination, in order.
	Locations []string
}

// Write streams src to every destination at once under key, hashing as it
// goes. If any destination fails, every copy is removed and the error says
// which destination failed and why.
func Write(ctx context.Context, src io.Reader, dests []Destination, key string) (*Result, error) {
	if len(dests) == 0 {
		return nil, errors.New("no destination to store the backup in")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pipes := make([]*io.PipeWriter, len(dests))
	writers := make([]io.Writer, len(dests))
	errs := make([]error, len(dests))
	var wg sync.WaitGroup
	for i, d := range dests {
		pr, pw := io.Pipe()
		pipes[i], writers[i] = pw, pw
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := d.Put(ctx, key, pr)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", d.Name(), err)
				cancel()
			}
			pr.CloseWithError(errFailed) // unblock the writer if Put stopped early
		}()
	}
	h := sha256.New()
	n, copyErr := io.Copy(io.MultiWriter(append([]io.Writer{h}, writers...)...), src)
	for _, pw := range pipes {
		if copyErr != nil {
			pw.CloseWithError(copyErr)
		} else {
			pw.Close()
		}
	}
	wg.Wait()
	err := errors.Join(errs...)
	if copyErr != nil && !errors.Is(copyErr, errFailed) {
		// The source broke off; the destinations only saw it end.
		err = fmt.Errorf("reading the dump: %w", copyErr)
	}
	if err != nil {
		// Any copy that made it is no backup on its own.
		for _, d := range dests {
			_ = d.Delete(context.WithoutCancel(ctx), key)
		}
		return nil, err
	}
	res := &Result{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	for _, d := range dests {
		res.Locations = append(res.Locations, d.Where(key))
	}
	return res, nil
}

var errFailed = errors.New("the destination stopped reading")

// ErrChecksum means a stored copy does not match what was written.
var ErrChecksum = errors.New("checksum mismatch")

// Verify reads key back from d and checks its size and SHA-256.
func Verify(ctx context.Context, d Destination, key string, size int64, sum string) error {
	r, err := d.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("%s: read back %s: %w", d.Name(), d.Where(key), err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fmt.Errorf("%s: read back %s: %w", d.Name(), d.Where(key), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != size || got != sum {
		return fmt.Errorf("%w: %s holds %d bytes with SHA-256 %s, not %d bytes with %s", ErrChecksum, d.Where(key), n, short(got), size, short(sum))
	}
	return nil
}

func short(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}

// CopyVerified copies key from d to w, failing with ErrChecksum — after
// writing — when the copy does not match size and sum; callers write to a
// temporary file and use it only when this returns nil.
func CopyVerified(ctx context.Context, d Destination, key string, size int64, sum string, w io.Writer) error {
	r, err := d.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", d.Name(), d.Where(key), err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", d.Name(), d.Where(key), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != size || got != sum {
		return fmt.Errorf("%w: %s holds %d bytes with SHA-256 %s, but the backup was %d bytes with %s; it is corrupt or was replaced",
			ErrChecksum, d.Where(key), n, short(got), size, short(sum))
	}
	return nil
}

// Local keeps backups in a directory.
type Local struct {
	Dir string
}

// Name is "local".
func (l *Local) Name() string { return "local" }

func (l *Local) path(key string) (string, error) {
	p := filepath.Join(l.Dir, filepath.FromSlash(key))
	if !strings.HasPrefix(p, filepath.Clean(l.Dir)+string(filepath.Separator)) {
		return "", fmt.Errorf("backup key %q leaves %s", key, l.Dir)
	}
	return p, nil
}

// Where is the file's path.
func (l *Local) Where(key string) string {
	p, _ := l.path(key)
	return p
}

// Put writes key.partial, syncs it and renames it to key.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// Open opens the file.
func (l *Local) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Delete removes the file and any partial one.
func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	os.Remove(p + ".partial")
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
