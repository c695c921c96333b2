// Package archive checks, unpacks and makes the ZIP archives apps can be
// deployed from: bounded in size and file count, refusing paths that
// leave the target directory, symlinks and special files, each with an
// error that says which entry and why.
package archive

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Limits bound an archive.
type Limits struct {
	// MaxBytes is the largest archive accepted (compressed).
	MaxBytes int64
	// MaxFiles is the most entries.
	MaxFiles int
	// MaxUnpacked is the most bytes it may unpack to.
	MaxUnpacked int64
}

// DefaultLimits: 100 MiB archives, 20,000 files, 1 GiB unpacked.
var DefaultLimits = Limits{MaxBytes: 100 << 20, MaxFiles: 20_000, MaxUnpacked: 1 << 30}

// The ways an archive is refused.
var (
	ErrNotZip      = errors.New("not a ZIP archive")
	ErrTooLarge    = errors.New("archive too large")
	ErrTooMany     = errors.New("too many files")
	ErrUnsafePath  = errors.New("unsafe path")
	ErrSymlink     = errors.New("symlinks are not allowed")
	ErrSpecialFile = errors.New("only files and directories are allowed")
	ErrEmpty       = errors.New("archive is empty")
)

// Summary describes a checked archive.
type Summary struct {
	Files    int
	Unpacked int64
	// Strip is a single top-level directory every entry is under (as in
	// GitHub's archive downloads), removed when unpacking; "" for none.
	Strip string
}

// Check reads the archive's directory and refuses what Extract would.
func Check(r io.ReaderAt, size int64, lim Limits) (Summary, error) {
	var s Summary
	if size > lim.MaxBytes {
		return s, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, size, lim.MaxBytes)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrNotZip, err)
	}
	if len(zr.File) > lim.MaxFiles {
		return s, fmt.Errorf("%w: %d entries, the limit is %d", ErrTooMany, len(zr.File), lim.MaxFiles)
	}
	tops := map[string]bool{}
	rootFile := false
	for _, f := range zr.File {
		name, err := cleanName(f.Name)
		if err != nil {
			return s, err
		}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			return s, fmt.Errorf("%w: %s", ErrSymlink, f.Name)
		case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
		case !mode.IsRegular():
			return s, fmt.Errorf("%w: %s is %s", ErrSpecialFile, f.Name, mode.Type())
		default:
			s.Files++
			if f.UncompressedSize64 > uint64(lim.MaxUnpacked) || s.Unpacked+int64(f.UncompressedSize64) > lim.MaxUnpacked {
				return s, fmt.Errorf("%w: it unpacks to more than %d bytes", ErrTooLarge, lim.MaxUnpacked)
			}
			s.Unpacked += int64(f.UncompressedSize64)
			if !strings.Contains(name, "/") {
				rootFile = true
			}
		}
		tops[strings.SplitN(name, "/", 2)[0]] = true
	}
	if s.Files == 0 {
		return s, ErrEmpty
	}
	if len(tops) == 1 && !rootFile {
		for t := range tops {
			s.Strip = t
		}
	}
	return s, nil
}

// cleanName checks an entry's name: relative, forward slashes, no "..",
// no empty or "." segments past cleaning, no NUL.
func cleanName(name string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %q %s", ErrUnsafePath, name, why)
	}
	switch {
	case name == "" || strings.ContainsRune(name, 0):
		return bad("is empty or has a NUL byte")
	case strings.Contains(name, `\`):
		return bad("has a backslash")
	case strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':'):
		return bad("is absolute")
	case len(name) > 1024:
		return bad("is longer than 1024 bytes")
	}
	for _, seg := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if seg == ".." {
			return bad("leaves the archive's directory")
		}
	}
	c := path.Clean(name)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return bad("leaves the archive's directory")
	}
	return c, nil
}

// ExtractFile checks the archive at p and unpacks it into dir (which must
// exist and should be empty), enforcing the limits on what it actually
// writes, not only on what the archive declares.
func ExtractFile(p, dir string, lim Limits) (Summary, error) {
	f, err := os.Open(p)
	if err != nil {
		return Summary{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Summary{}, err
	}
	return Extract(f, st.Size(), dir, lim)
}

// Extract checks the archive and unpacks it into dir.
func Extract(r io.ReaderAt, size int64, dir string, lim Limits) (Summary, error) {
	s, err := Check(r, size, lim)
	if err != nil {
		return s, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return s, fmt.Errorf("%w: %v", ErrNotZip, err)
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return s, err
	}
	budget := lim.MaxUnpacked
	for _, f := range zr.File {
		name, _ := cleanName(f.Name)
		if s.Strip != "" {
			name = strings.TrimPrefix(strings.TrimPrefix(name, s.Strip), "/")
			if name == "" {
				continue
			}
		}
		target := filepath.Join(root, filepath.FromSlash(name))
		if target != root && !strings.HasPrefix(target, root+string(filepath.Separator)) {
			return s, fmt.Errorf("%w: %q leaves the archive's directory", ErrUnsafePath, f.Name)
		}
		if f.Mode().IsDir() || strings.HasSuffix(f.Name, "/") {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return s, err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return s, err
		}
		n, err := writeEntry(f, target, budget)
		if err != nil {
			return s, err
		}
		budget -= n
	}
	return s, nil
}

func writeEntry(f *zip.File, target string, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrNotZip, f.Name, err)
	}
	defer rc.Close()
	perm := os.FileMode(0o644)
	if f.Mode()&0o100 != 0 {
		perm = 0o755
	}
	out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("%w: %s appears twice", ErrUnsafePath, f.Name)
		}
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("unpack %s: %w", f.Name, err)
	}
	if n > budget {
		return n, fmt.Errorf("%w: it unpacks to more than its declared size allows", ErrTooLarge)
	}
	return n, nil
}

// Zip writes dir as a ZIP archive to w: regular files and directories, in
// name order, leaving out .git; symlinks are refused, since the server
// would refuse them.
func Zip(dir string, w io.Writer) (files int, err error) {
	zw := zip.NewWriter(w)
	var names []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() && (rel == ".git" || strings.HasSuffix(rel, "/.git")) {
			return filepath.SkipDir
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%w: %s (replace it with the file it points to)", ErrSymlink, rel)
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return fmt.Errorf("%w: %s", ErrSpecialFile, rel)
		}
		names = append(names, rel)
		return nil
	})
	if err != nil {
		return 0, err
	}
	sort.Strings(names)
	for _, rel := range names {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		st, err := os.Stat(p)
		if err != nil {
			return files, err
		}
		hdr, err := zip.FileInfoHeader(st)
		if err != nil {
			return files, err
		}
		hdr.Name = rel
		if st.IsDir() {
			hdr.Name += "/"
			if _, err := zw.CreateHeader(hdr); err != nil {
				return files, err
			}
			continue
		}
		hdr.Method = zip.Deflate
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return files, err
		}
		f, err := os.Open(p)
		if err != nil {
			return files, err
		}
		_, err = io.Copy(fw, f)
		f.Close()
		if err != nil {
			return files, err
		}
		files++
	}
	return files, zw.Close()
}
