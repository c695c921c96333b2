package proxy

import (
	"strings"
	"testing"
)

// FuzzNormalizeHost: any Host header normalises without panicking, to a
// lower-case name that normalises to itself.
func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{"Example.COM:8080", "[::1]:80", "a.b.", "", ":", "xn--bcher-kva.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		n := NormalizeHost(h)
		if n != strings.ToLower(n) {
			t.Fatalf("%q → %q is not lower case", h, n)
		}
		if NormalizeHost(n) != n && !strings.Contains(n, ":") {
			t.Fatalf("%q → %q → %q", h, n, NormalizeHost(n))
		}
	})
}
