package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtract: any bytes are refused or unpack strictly inside the target
// directory, within the limits; never a panic.
func FuzzExtract(f *testing.F) {
	f.Add(makeZip(f, entry{name: "Dockerfile", body: "FROM scratch"}, entry{name: "web/index.html", body: "hi"}))
	f.Add(makeZip(f, entry{name: "../x", body: "x"}))
	f.Add(makeZip(f, entry{name: "top/"}, entry{name: "top/a", body: "a"}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	lim := Limits{MaxBytes: 1 << 20, MaxFiles: 50, MaxUnpacked: 1 << 16}
	f.Fuzz(func(t *testing.T, b []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		os.Mkdir(dir, 0o755)
		if _, err := Extract(bytes.NewReader(b), int64(len(b)), dir, lim); err != nil {
			return
		}
		var total int64
		filepath.Walk(parent, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return nil
			}
			if p != parent && p != dir && !strings.HasPrefix(p, dir+string(filepath.Separator)) {
				t.Fatalf("wrote outside the target: %s", p)
			}
			if info.Mode()&os.ModeSymlink != 0 {
				t.Fatalf("made a symlink: %s", p)
			}
			if info.Mode().IsRegular() {
				total += info.Size()
			}
			return nil
		})
		if total > lim.MaxUnpacked {
			t.Fatalf("unpacked %d bytes", total)
		}
	})
}
