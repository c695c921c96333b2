package release

import (
	"fmt"
	"slices"
	"strings"
)

// Dependencies: an app may need a database or another app of its team.
// A deploy waits for what the app needs to be ready before its new
// container starts; what others need cannot be deleted; the team's graph
// shows them.

// DepKind is what an app depends on.
type DepKind string

// Dependency kinds.
const (
	DepDatabase DepKind = "database"
	DepApp      DepKind = "app"
)

// MaxDependencies is how many dependencies one app may declare.
const MaxDependencies = 20

// ParseDependency reads "database:NAME" (or "db:NAME") and "app:NAME".
func ParseDependency(s string) (DepKind, string, error) {
	kind, name, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || name == "" {
		return "", "", fmt.Errorf("a dependency is database:NAME or app:NAME, not %q", s)
	}
	switch kind {
	case "database", "db":
		return DepDatabase, name, nil
	case "app":
		return DepApp, name, nil
	}
	return "", "", fmt.Errorf("a dependency is on a database or an app (database:NAME, app:NAME), not %q", kind)
}

// DependencyCycle reports the cycle that making from depend on to would
// close among apps whose dependencies are needs (app → the apps it
// needs), as the path to → … → from → to, or nil.
func DependencyCycle(needs map[string][]string, from, to string) []string {
	if from == to {
		return []string{from, from}
	}
	// Is from reachable from to? Then to → … → from → to.
	var path []string
	seen := map[string]bool{}
	var walk func(n string) bool
	walk = func(n string) bool {
		if seen[n] {
			return false
		}
		seen[n] = true
		path = append(path, n)
		if n == from {
			return true
		}
		next := slices.Clone(needs[n])
		slices.Sort(next)
		for _, m := range next {
			if walk(m) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if walk(to) {
		return append(path, to)
	}
	return nil
}

// Layers places a graph's nodes in columns for drawing: each node one
// column right of the furthest node that depends on it, so every edge
// points right (dependents left, what they need right). Nodes are sorted
// by name within a column. needs must have no cycle.
func Layers(nodes []string, needs map[string][]string) [][]string {
	depth := map[string]int{}
	var visit func(n string, d int)
	visit = func(n string, d int) {
		if cur, ok := depth[n]; ok && cur >= d {
			return
		}
		depth[n] = d
		for _, m := range needs[n] {
			visit(m, d+1)
		}
	}
	sorted := slices.Clone(nodes)
	slices.Sort(sorted)
	for _, n := range sorted {
		if _, ok := depth[n]; !ok {
			visit(n, 0)
		}
	}
	var out [][]string
	for _, n := range sorted {
		d := depth[n]
		for len(out) <= d {
			out = append(out, nil)
		}
		out[d] = append(out[d], n)
	}
	return out
}
