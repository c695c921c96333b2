package archive

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	name string
	body string
	mode fs.FileMode
}

func makeZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	zw.Close()
	return buf.Bytes()
}

func extract(t *testing.T, b []byte, lim Limits) (string, Summary, error) {
	dir := t.TempDir()
	s, err := Extract(bytes.NewReader(b), int64(len(b)), dir, lim)
	return dir, s, err
}

func TestExtract(t *testing.T) {
	b := makeZip(t, entry{name: "Dockerfile", body: "FROM scratch\n"}, entry{name: "web/"}, entry{name: "web/index.html", body: "<h1>hi</h1>"},
		entry{name: "run.sh", body: "#!/bin/sh\n", mode: 0o755})
	dir, s, err := extract(t, b, DefaultLimits)
	if err != nil || s.Files != 3 || s.Strip != "" {
		t.Fatalf("%+v %v", s, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "web/index.html")); string(got) != "<h1>hi</h1>" {
		t.Fatalf("index.html: %q", got)
	}
	if st, _ := os.Stat(filepath.Join(dir, "run.sh")); st.Mode().Perm() != 0o755 {
		t.Fatalf("run.sh mode %v", st.Mode())
	}
	// GitHub-style archives: one top directory, stripped.
	dir, s, err = extract(t, makeZip(t, entry{name: "shop-main/"}, entry{name: "shop-main/Dockerfile", body: "x"}), DefaultLimits)
	if err != nil || s.Strip != "shop-main" {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err != nil {
		t.Fatal("the top directory was not stripped")
	}
}

func TestRefusals(t *testing.T) {
	small := Limits{MaxBytes: 1 << 20, MaxFiles: 3, MaxUnpacked: 1000}
	for _, tc := range []struct {
		name string
		zip  []byte
		want error
		msg  string
	}{
		{"traversal", makeZip(t, entry{name: "../../etc/cron.d/x", body: "x"}), ErrUnsafePath, `"../../etc/cron.d/x" leaves`},
		{"hidden traversal", makeZip(t, entry{name: "a/../../x", body: "x"}), ErrUnsafePath, "leaves"},
		{"absolute", makeZip(t, entry{name: "/etc/passwd", body: "x"}), ErrUnsafePath, "is absolute"},
		{"windows absolute", makeZip(t, entry{name: "C:/x", body: "x"}), ErrUnsafePath, "is absolute"},
		{"backslash", makeZip(t, entry{name: `..\..\x`, body: "x"}), ErrUnsafePath, "backslash"},
		{"symlink", makeZip(t, entry{name: "link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777}), ErrSymlink, "link"},
		{"device", makeZip(t, entry{name: "dev", mode: fs.ModeDevice | 0o600}), ErrSpecialFile, "dev"},
		{"too many", makeZip(t, entry{name: "a", body: "1"}, entry{name: "b", body: "1"}, entry{name: "c", body: "1"}, entry{name: "d", body: "1"}), ErrTooMany, "4 entries"},
		{"too big unpacked", makeZip(t, entry{name: "big", body: strings.Repeat("0", 2000)}), ErrTooLarge, "more than 1000 bytes"},
		{"empty", makeZip(t, entry{name: "dir/"}), ErrEmpty, ""},
		{"duplicate", makeZip(t, entry{name: "a", body: "1"}, entry{name: "./a", body: "2"}), ErrUnsafePath, "appears twice"},
		{"not a zip", []byte("PK\x03\x04 not really"), ErrNotZip, ""},
	} {
		_, _, err := extract(t, tc.zip, small)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %v containing %q", tc.name, err, tc.want, tc.msg)
		}
	}
	big := makeZip(t, entry{name: "a", body: "x"})
	if _, err := Check(bytes.NewReader(big), int64(len(big)), Limits{MaxBytes: 10, MaxFiles: 10, MaxUnpacked: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an archive over MaxBytes: %v", err)
	}
}

// A ZIP whose directory under-declares a file's size is stopped by what
// is written, not what is declared.
func TestLyingSizes(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "bomb", Method: zip.Store}
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: hdr.Name, Method: zip.Store, CompressedSize64: 5000, UncompressedSize64: 10, CRC32: 0})
	w.Write(bytes.Repeat([]byte("A"), 5000))
	zw.Close()
	_, _, err := extract(t, buf.Bytes(), Limits{MaxBytes: 1 << 20, MaxFiles: 10, MaxUnpacked: 100})
	if err == nil {
		t.Fatal("an entry larger than declared was unpacked")
	}
}

func TestZipRoundTrip(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "web"), 0o755)
	os.MkdirAll(filepath.Join(src, ".git"), 0o755)
	os.WriteFile(filepath.Join(src, ".git", "HEAD"), []byte("ref"), 0o644)
	os.WriteFile(filepath.Join(src, "Dockerfile"), []byte("FROM scratch"), 0o644)
	os.WriteFile(filepath.Join(src, "web", "index.html"), []byte("hi"), 0o644)
	var buf bytes.Buffer
	n, err := Zip(src, &buf)
	if err != nil || n != 2 {
		t.Fatalf("zip: %d %v", n, err)
	}
	dir, s, err := extract(t, buf.Bytes(), DefaultLimits)
	if err != nil || s.Files != 2 {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		t.Fatal(".git was zipped")
	}
	os.Symlink("/etc/passwd", filepath.Join(src, "link"))
	if _, err := Zip(src, &bytes.Buffer{}); !errors.Is(err, ErrSymlink) {
		t.Fatalf("a symlink: %v", err)
	}
}
