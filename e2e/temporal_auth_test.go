package e2e

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// TestTemporalNeedsItsToken: the embedded Temporal frontend answers only
// callers with the server's token. Without it (or with another) nobody
// can list, signal or approve deployments through Temporal, which would
// pass by every check the API makes; with it Rivetr's own clients work.
func TestTemporalNeedsItsToken(t *testing.T) {
	s := sharedServer(t)
	a := newSharedApp(t, "tok", "tok-v1")
	s.MustCLI("deploy", a.App, "--wait")
	ctx := context.Background()
	list := func(opts client.Options) error {
		c, err := client.Dial(opts)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default"})
		if err == nil {
			err = c.SignalWorkflow(ctx, "app/"+a.App, "", "no-such-signal", nil)
			var nf *serviceerror.NotFound
			if errors.As(err, &nf) {
				err = nil // reached the workflow: allowed
			}
		}
		return err
	}
	wrong := s.TemporalOptions("")
	wrong.Credentials = client.NewAPIKeyStaticCredentials("not-the-token-at-all")
	for name, opts := range map[string]client.Options{
		"no token":    {HostPort: s.Temporal},
		"a wrong one": wrong,
	} {
		var denied *serviceerror.PermissionDenied
		if err := list(opts); !errors.As(err, &denied) {
			t.Errorf("%s: want permission denied, got %v", name, err)
		}
	}
	if err := list(s.TemporalOptions("")); err != nil {
		t.Fatalf("with the token: %v", err)
	}
}
