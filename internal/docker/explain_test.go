package docker

import (
	"errors"
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
		{`Head "https://ghcr.io/v2/acme/base/manifests/1": unauthorized`, "ghcr.io/acme/base:1",
			"could not pull base image ghcr.io/acme/base:1: the registry refused the Docker host's credentials (run docker login"},
		{"failed to copy files: write /var/lib/docker/tmp/x: no space left on device", "busybox", "the Docker host's disk is full: free space"},
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

// Engine errors the operator can fix name the fix; the error stays
// matchable underneath.
func TestEngineHint(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", "the Docker engine does not answer: is dockerd running"},
		{"dial unix /var/run/docker.sock: connect: permission denied", "Rivetr may not use the Docker socket"},
		{"write /var/lib/docker/overlay2/x: no space left on device", "the Docker host's disk is full"},
		{"Bind for 0.0.0.0:5432 failed: port is already allocated", "that port on the host is taken"},
		{"Conflict. The container name is already in use", ""},
	} {
		if got := engineHint(tc.msg); !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
			t.Errorf("%q: got %q", tc.msg, got)
		}
	}
	base := errors.New("dial unix /var/run/docker.sock: connect: no such file or directory")
	err := wrap(base, "create container web")
	if !errors.Is(err, base) || !strings.HasPrefix(err.Error(), "create container web: the Docker engine does not answer") {
		t.Fatalf("wrapped: %v", err)
	}
}

// A stopped container's ending says the likely cause when the code tells.
func TestStateExit(t *testing.T) {
	for _, tc := range []struct {
		st   State
		want string
	}{
		{State{Status: "exited", ExitCode: 137, OOMKilled: true}, "status exited, exit code 137: killed for using more memory than its limit"},
		{State{Status: "exited", ExitCode: 137}, "status exited, exit code 137: killed (SIGKILL), usually for lack of memory"},
		{State{Status: "exited", ExitCode: 127}, "status exited, exit code 127: its command was not found in the image"},
		{State{Status: "exited", ExitCode: 3}, "status exited, exit code 3"},
	} {
		if got := tc.st.Exit(); !strings.HasPrefix(got, tc.want) || tc.st.ExitCode == 3 && got != tc.want {
			t.Errorf("%+v: %q", tc.st, got)
		}
	}
}
