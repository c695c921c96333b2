package backup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failing fails its Put after reading some of the stream.
type failing struct{ after int64 }

func (f *failing) Name() string { return "flaky" }
func (f *failing) Put(_ context.Context, _ string, r io.Reader) error {
	io.CopyN(io.Discard, r, f.after)
	return errors.New("connection reset")
}
func (f *failing) Open(context.Context, string) (io.ReadCloser, error) { return nil, os.ErrNotExist }
func (f *failing) Delete(context.Context, string) error                { return nil }
func (f *failing) Where(k string) string                               { return "flaky:" + k }

func TestWriteAndVerify(t *testing.T) {
	ctx := context.Background()
	a, b := &Local{Dir: t.TempDir()}, &Local{Dir: t.TempDir()}
	data := bytes.Repeat([]byte("row;"), 300_000)
	res, err := Write(ctx, bytes.NewReader(data), []Destination{a, b}, "db/1.pgdump.gz")
	if err != nil || res.Size != int64(len(data)) || len(res.Locations) != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	for _, d := range []Destination{a, b} {
		if err := Verify(ctx, d, "db/1.pgdump.gz", res.Size, res.SHA256); err != nil {
			t.Fatal(err)
		}
	}
	// A corrupted copy is found out.
	p := a.Where("db/1.pgdump.gz")
	f, _ := os.OpenFile(p, os.O_WRONLY, 0)
	f.WriteAt([]byte("X"), 100)
	f.Close()
	if err := Verify(ctx, a, "db/1.pgdump.gz", res.Size, res.SHA256); !errors.Is(err, ErrChecksum) {
		t.Fatalf("a corrupted copy: %v", err)
	}
	var out bytes.Buffer
	if err := CopyVerified(ctx, a, "db/1.pgdump.gz", res.Size, res.SHA256, &out); !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("CopyVerified of a corrupted copy: %v", err)
	}

	// One destination failing midway: no copy anywhere, the error names it.
	_, err = Write(ctx, bytes.NewReader(data), []Destination{b, &failing{after: 1000}}, "db/2.pgdump.gz")
	if err == nil || !strings.Contains(err.Error(), "flaky: connection reset") {
		t.Fatalf("a failing destination: %v", err)
	}
	if entries, _ := filepath.Glob(filepath.Join(b.Dir, "db", "2*")); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	// A dump that breaks off: nothing kept either.
	_, err = Write(ctx, io.MultiReader(bytes.NewReader(data[:5000]), iotestErr{}), []Destination{b}, "db/3.pgdump.gz")
	if err == nil || !strings.Contains(err.Error(), "reading the dump") {
		t.Fatalf("a broken dump: %v", err)
	}
	if entries, _ := filepath.Glob(filepath.Join(b.Dir, "db", "3*")); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	if _, err := (&Local{Dir: b.Dir}).path("../escape"); err == nil {
		t.Fatal("a key leaving the directory was accepted")
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("pg_dump exited 1") }
