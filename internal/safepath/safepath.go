// Package safepath resolves paths a user names inside a tree they control
// (a repository's checkout: the build context, the Dockerfile, a static
// site's directory) without ever leaving the tree. Lexical checks are not
// enough: a symlink committed in the repository (x -> ../../..) turns
// "x/etc" into the host's /etc. Resolve follows each symlink itself and
// refuses one whose target is absolute or climbs out of the root.
package safepath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrEscapes means a path leaves its tree, lexically or through a symlink.
var ErrEscapes = errors.New("leaves the repository")

// maxLinks bounds the symlinks followed while resolving one path (a loop
// of links ends here).
const maxLinks = 40

// EscapeError says which path left the tree, and through which symlink
// (Link is empty when the path itself climbs out).
type EscapeError struct {
	Path string
	Link string
}

func (e *EscapeError) Error() string {
	if e.Link == "" {
		return fmt.Sprintf("%s %v", e.Path, ErrEscapes)
	}
	return fmt.Sprintf("%s %v through the symlink %s", e.Path, ErrEscapes, e.Link)
}

// Is makes errors.Is(err, ErrEscapes) true.
func (e *EscapeError) Is(target error) bool { return target == ErrEscapes }

// Resolve returns the real path of rel (slash-separated, relative) inside
// root, following the symlinks on the way as the kernel would but refusing
// any that leads out of root (or is absolute). root must be a clean,
// absolute directory path. What rel names need not exist; every component
// of the answer that does exist is a real directory or file, never a
// symlink.
func Resolve(root, rel string) (string, error) {
	root = filepath.Clean(root)
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") {
		return "", &EscapeError{Path: rel}
	}
	// done is the resolved part (relative to root, no symlinks); todo the
	// components still to walk.
	var done []string
	todo := split(rel)
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return "", &EscapeError{Path: rel}
			}
			done = done[:len(done)-1]
			continue
		}
		p := filepath.Join(root, filepath.Join(done...), c)
		st, err := os.Lstat(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				// Missing (or under a file): taken as named. A later ".."
				// comes back to what exists, and that is checked again.
				done = append(done, c)
				continue
			}
			return "", err
		}
		if st.Mode()&os.ModeSymlink == 0 {
			done = append(done, c)
			continue
		}
		links++
		linkName := filepath.ToSlash(filepath.Join(filepath.Join(done...), c))
		if links > maxLinks {
			return "", fmt.Errorf("%s: too many symlinks (a loop?) at %s", rel, linkName)
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			return "", &EscapeError{Path: rel, Link: linkName}
		}
		// The target replaces the link: resolve it from the link's
		// directory, then the rest.
		if escapes(done, split(filepath.ToSlash(target))) {
			return "", &EscapeError{Path: rel, Link: linkName}
		}
		todo = append(split(filepath.ToSlash(target)), todo...)
	}
	return filepath.Join(root, filepath.Join(done...)), nil
}

// escapes reports whether walking target's components from done climbs
// above the root at any point.
func escapes(done, target []string) bool {
	depth := len(done)
	for _, t := range target {
		switch t {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

func split(p string) []string { return strings.Split(filepath.ToSlash(p), "/") }

// CheckTree walks root and returns an EscapeError for the first symlink
// whose target leaves it: before a tool that may follow links (an external
// builder copying the tree) is given the directory.
func CheckTree(root string) error {
	root = filepath.Clean(root)
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&os.ModeSymlink == 0 {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if _, err := Resolve(root, filepath.ToSlash(rel)); err != nil {
			var e *EscapeError
			if errors.As(err, &e) {
				return &EscapeError{Path: filepath.ToSlash(rel), Link: filepath.ToSlash(rel)}
			}
			return err
		}
		return nil
	})
}
