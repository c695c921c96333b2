package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/rivetr/rivetr/internal/egress"
	"github.com/rivetr/rivetr/internal/testdb"
	"github.com/rivetr/rivetr/schema"
)

// Attack: a database admin sets the notification URL to an address inside
// the server's network (here its loopback, standing for the Docker API,
// the metadata service or an internal admin page). Under the default
// egress policy nothing is sent there and the failure is final; allowing
// the range lets the notification through.
func TestNotifyObeysTheEgressPolicy(t *testing.T) {
	store, _, _ := testdb.Open(t)
	ctx := context.Background()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	if err := store.SavePolicy(ctx, &schema.BackupPolicy{DatabaseID: "db1", Local: true, NotifyURL: srv.URL + "/hook"}); err != nil {
		t.Fatal(err)
	}
	err := (&Reports{Store: store}).Notify(ctx, NotifyInput{DatabaseID: "db1", Text: "backup failed"})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("default policy: want a final refusal, got %v", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the internal address got %d requests", n)
	}
	if err := (&Reports{Store: store, Egress: egress.MustParse("127.0.0.0/8")}).Notify(ctx, NotifyInput{DatabaseID: "db1", Text: "backup failed"}); err != nil || hits.Load() != 1 {
		t.Fatalf("allowed: %v, %d requests", err, hits.Load())
	}
}
