// Package buildinfo is what a Rivetr binary says of itself: its version,
// the commit it was built from, and the Go that built it. `make build`
// sets Version and Commit with -ldflags -X (this machine's go builds with
// -buildvcs=false, so the commit is not stamped otherwise).
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time: -X github.com/rivetr/rivetr/internal/buildinfo.Version=…
var (
	Version = "dev"
	Commit  = ""
)

// Info is one binary's build.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Dirty   bool   `json:"dirty,omitempty"`
	Time    string `json:"commit_time,omitempty"`
	Go      string `json:"go"`
}

// Read is this binary's build: the -X values, else what Go stamped.
func Read() Info {
	b := Info{Version: Version, Commit: Commit, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Commit == "" {
					b.Commit = s.Value
				}
			case "vcs.modified":
				b.Dirty = s.Value == "true"
			case "vcs.time":
				b.Time = s.Value
			}
		}
	}
	if strings.HasSuffix(b.Version, "-dirty") {
		b.Dirty = true
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// Short is the version and the commit's first 12 characters, e.g. for a
// process's status.
func (b Info) Short() string {
	c := b.Commit
	if len(c) > 12 {
		c = c[:12]
	}
	return b.Version + " (" + c + ")"
}

func (b Info) String() string {
	commit := b.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if b.Dirty {
		commit += " with uncommitted changes"
	}
	parts := []string{"rivetr " + b.Version, "commit " + commit}
	if b.Time != "" {
		parts = append(parts, "of "+b.Time)
	}
	return strings.Join(append(parts, "built with "+b.Go), ", ")
}
