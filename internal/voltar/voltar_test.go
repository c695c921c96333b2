package voltar

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A directory with files, a nested directory, an empty one, a link inside
// and a link pointing out comes back the same, links as links.
func TestPackUnpackRoundTrip(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "a", "b"), 0o755)
	os.Mkdir(filepath.Join(src, "empty"), 0o700)
	os.WriteFile(filepath.Join(src, "top.txt"), []byte("top"), 0o640)
	os.WriteFile(filepath.Join(src, "a", "b", "deep.db"), bytes.Repeat([]byte("x"), 100000), 0o600)
	os.Symlink("a/b/deep.db", filepath.Join(src, "link"))
	os.Symlink("/etc/passwd", filepath.Join(src, "out"))
	var buf bytes.Buffer
	if err := Pack(src, &buf); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	os.WriteFile(filepath.Join(dst, "stale"), []byte("gone after unpacking"), 0o644)
	if err := Unpack(bytes.NewReader(buf.Bytes()), dst); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "stale")); !os.IsNotExist(err) {
		t.Error("unpacking did not empty the directory first")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "a", "b", "deep.db")); len(b) != 100000 {
		t.Errorf("deep.db: %d bytes", len(b))
	}
	if st, _ := os.Stat(filepath.Join(dst, "top.txt")); st == nil || st.Mode().Perm() != 0o640 {
		t.Errorf("top.txt mode: %v", st)
	}
	if st, err := os.Stat(filepath.Join(dst, "empty")); err != nil || !st.IsDir() {
		t.Error("the empty directory is missing")
	}
	for name, want := range map[string]string{"link": "a/b/deep.db", "out": "/etc/passwd"} {
		if got, err := os.Readlink(filepath.Join(dst, name)); err != nil || got != want {
			t.Errorf("%s: %q %v, want a link to %s", name, got, err, want)
		}
	}
}

// Entries that would land outside the directory are refused: absolute,
// "..", and through a link an earlier entry made.
func TestUnpackRefusesEscapes(t *testing.T) {
	for _, entries := range [][]tar.Header{
		{{Name: "/etc/evil", Typeflag: tar.TypeReg}},
		{{Name: "../evil", Typeflag: tar.TypeReg}},
		{{Name: "a/../../evil", Typeflag: tar.TypeReg}},
		{{Name: "up", Typeflag: tar.TypeSymlink, Linkname: ".."}, {Name: "up/evil", Typeflag: tar.TypeReg}},
		{{Name: "etc", Typeflag: tar.TypeSymlink, Linkname: "/etc"}, {Name: "etc/evil", Typeflag: tar.TypeReg}},
	} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range entries {
			h.Mode = 0o644
			tw.WriteHeader(&h)
		}
		tw.Close()
		parent := t.TempDir()
		dst := filepath.Join(parent, "vol")
		os.Mkdir(dst, 0o755)
		err := Unpack(&buf, dst)
		if err == nil || !strings.Contains(err.Error(), "refusing the entry") {
			t.Errorf("%s: %v", entries[len(entries)-1].Name, err)
		}
		if _, err := os.Stat(filepath.Join(parent, "evil")); err == nil {
			t.Errorf("%s: wrote outside the directory", entries[len(entries)-1].Name)
		}
	}
	if err := Unpack(strings.NewReader("not a tar stream at all, no"), t.TempDir()); err == nil {
		t.Error("garbage unpacked")
	}
}

// Whatever the stream, Unpack writes nothing outside the directory.
func FuzzUnpack(f *testing.F) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "a/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "a/link", Typeflag: tar.TypeSymlink, Linkname: "../.."})
	tw.WriteHeader(&tar.Header{Name: "a/f", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	tw.Write([]byte("hi"))
	tw.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, stream []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "vol")
		os.Mkdir(dir, 0o755)
		_ = Unpack(bytes.NewReader(stream), dir)
		entries, _ := os.ReadDir(parent)
		if len(entries) != 1 {
			t.Fatalf("wrote beside the directory: %v", entries)
		}
	})
}
