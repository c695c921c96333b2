package docker

import (
	"strings"
	"testing"
)

// A base image that cannot be pulled is said as such, with what to check;
// other build errors pass unchanged.
func TestExplainBuildError(t *testing.T) {
	for _, tc := range []struct{ msg, from, want string }{
		{`Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.53:53: no such host`, "node:20-alpine",
			"could not pull base image node:20-alpine: its registry cannot be reached from the Docker host"},
		{"pull access denied for nod, repository does not exist or may require 'docker login'", "nod:20",
			"could not pull base image nod:20: the registry has no such image, or it is private"},
		{"manifest for node:99 not found: manifest unknown", "node:99", "could not pull base image node:99"},
		{"The command '/bin/sh -c exit 3' returned a non-zero code: 3", "busybox", "The command '/bin/sh -c exit 3' returned a non-zero code: 3"},
	} {
		got := explainBuildError(tc.msg, tc.from)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q: got %q", tc.msg, got)
		}
	}
	if got := fromStep.FindStringSubmatch("Step 1/3 : FROM node:20-alpine AS build"); got == nil || got[1] != "node:20-alpine" {
		t.Fatalf("FROM step: %v", got)
	}
}
