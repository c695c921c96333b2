package webhook

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// Filter decides whether a push deploys an app: only pushes to its branch,
// not deleting it, whose head commit does not ask to be skipped and (when
// the app has watch paths) that change a watched file.
type Filter struct {
	Branch     string
	WatchPaths []string
}

// skipRE finds the markers that keep a push from deploying.
var skipRE = regexp.MustCompile(`(?i)\[(skip ci|ci skip|skip deploy|deploy skip|no deploy)\]`)

// Push returns whether e deploys, and why (or why not) in words a user
// reads in the delivery log.
func (f Filter) Push(e *Event) (bool, string) {
	switch {
	case e.Tag != "":
		return false, fmt.Sprintf("tag %s pushed; tags do not deploy (the app deploys branch %s)", e.Tag, f.Branch)
	case e.Branch == "":
		return false, fmt.Sprintf("ref %s is not a branch", e.Ref)
	case e.Branch != f.Branch:
		return false, fmt.Sprintf("push to branch %s ignored: the app deploys branch %s", e.Branch, f.Branch)
	case e.Deleted || e.After == "":
		return false, fmt.Sprintf("branch %s was deleted; nothing to deploy", e.Branch)
	}
	if m := skipRE.FindString(e.HeadMessage); m != "" {
		return false, fmt.Sprintf("the head commit's message says %s", m)
	}
	if len(f.WatchPaths) > 0 && e.Files != nil {
		if !AnyMatch(f.WatchPaths, e.Files) {
			return false, fmt.Sprintf("no changed file matches the watch paths (%s); changed: %s", strings.Join(f.WatchPaths, ", "), listSome(e.Files, 5))
		}
	}
	return true, fmt.Sprintf("deploying %s, pushed to %s", short(e.After), e.Branch)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func listSome(fs []string, n int) string {
	if len(fs) <= n {
		return strings.Join(fs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(fs[:n], ", "), len(fs)-n)
}

// AnyMatch reports whether some file matches some pattern.
func AnyMatch(patterns, files []string) bool {
	for _, f := range files {
		for _, p := range patterns {
			if MatchGlob(p, f) {
				return true
			}
		}
	}
	return false
}

// MatchGlob matches a slash-separated path against a pattern relative to
// the repository root: path.Match per segment, plus "**" for any number of
// segments (zero included). "dir/" means "dir/**".
func MatchGlob(pattern, name string) bool {
	pattern = strings.TrimPrefix(strings.TrimSpace(pattern), "/")
	if strings.HasSuffix(pattern, "/") {
		pattern += "**"
	}
	return matchSegs(strings.Split(pattern, "/"), strings.Split(strings.TrimPrefix(name, "/"), "/"))
}

func matchSegs(ps, ns []string) bool {
	for len(ps) > 0 {
		if ps[0] == "**" {
			// Collapse repeated ** and try every split.
			for len(ps) > 0 && ps[0] == "**" {
				ps = ps[1:]
			}
			if len(ps) == 0 {
				return true
			}
			for i := 0; i <= len(ns); i++ {
				if matchSegs(ps, ns[i:]) {
					return true
				}
			}
			return false
		}
		if len(ns) == 0 {
			return false
		}
		if ok, err := path.Match(ps[0], ns[0]); err != nil || !ok {
			return false
		}
		ps, ns = ps[1:], ns[1:]
	}
	return len(ns) == 0
}

// ValidGlob checks a watch path pattern.
func ValidGlob(p string) error {
	p = strings.TrimSpace(p)
	if p == "" || len(p) > 255 {
		return fmt.Errorf("watch path %q must be 1 to 255 characters", p)
	}
	// Each ** multiplies the work of a match; four are plenty.
	if strings.Count(p, "**") > 4 {
		return fmt.Errorf("watch path %q has more than four **", p)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("watch path %q has an empty, . or .. segment", p)
		}
		if _, err := path.Match(seg, ""); err != nil {
			return fmt.Errorf("watch path %q: %v", p, err)
		}
	}
	return nil
}
