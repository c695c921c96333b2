// Package tclient connects to a Temporal frontend (embedded or external) and
// prepares its namespace for Rivetr: the custom search attributes that make
// the Temporal UI's workflow list filterable by app, kind and deployment.
package tclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/rivetr/rivetr/workflows"
)

// Dial connects to the frontend at addr, retrying until ctx ends: an
// embedded server may still be starting, and an external cluster may be
// restarting. A token goes with every call as "authorization: Bearer
// TOKEN" (the connection stays plain, as Rivetr dials Temporal today).
func Dial(ctx context.Context, addr, namespace, token string, log *slog.Logger) (client.Client, error) {
	var last error
	for {
		opts := client.Options{
			HostPort:  addr,
			Namespace: namespace,
			Logger:    sdklog.NewStructuredLogger(log.With("component", "temporal-sdk")),
		}
		if token != "" {
			opts.Credentials = client.NewAPIKeyStaticCredentials(token)
			opts.ConnectionOptions.TLSDisabled = true
		}
		c, err := client.DialContext(ctx, opts)
		var denied *serviceerror.PermissionDenied
		if errors.As(err, &denied) {
			return nil, fmt.Errorf("Temporal at %s refused this process's token (give the server's <data-dir>/temporal-token with --temporal-token or RIVETR_TEMPORAL_TOKEN): %w", addr, err)
		}
		if err == nil {
			return c, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("Temporal is not reachable at %s (is the cluster up? check --temporal-address): %w", addr, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// EnsureSearchAttributes registers Rivetr's search attributes in namespace
// when they are missing. It runs at every start, so a namespace created by an
// older version (or an external cluster) gets new attributes too.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range workflows.SearchAttributeNames() {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes %v: %w", keys(missing), err)
	}
	return nil
}

func keys(m map[string]enumspb.IndexedValueType) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
