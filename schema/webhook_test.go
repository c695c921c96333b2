package schema

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A delivery ID is recorded once per app and provider; the log keeps the
// newest KeepDeliveries records.
func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	for driver, s := range stores(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			rec := func(app, provider, id string) error {
				return s.RecordDelivery(ctx, &WebhookDelivery{AppID: app, Provider: provider, DeliveryID: id, Result: DeliveryReceived, ReceivedAt: time.Now()})
			}
			if err := rec("a1", "github", "d1"); err != nil {
				t.Fatal(err)
			}
			if err := rec("a1", "github", "d1"); !errors.Is(err, ErrConflict) {
				t.Fatalf("the same delivery twice: %v", err)
			}
			for _, other := range [][2]string{{"a2", "github"}, {"a1", "gitlab"}} {
				if err := rec(other[0], other[1], "d1"); err != nil {
					t.Fatalf("the same ID for %v: %v", other, err)
				}
			}
			first, err := s.GetDelivery(ctx, "a1", "github", "d1")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.FinishDelivery(ctx, first.ID, DeliveryDeployed, "deploying", "dep1"); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < KeepDeliveries+5; i++ {
				if err := rec("a3", "gitea", fmt.Sprintf("x%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			ds, err := s.ListDeliveries(ctx, "a3", 0)
			if err != nil || len(ds) != KeepDeliveries || ds[0].DeliveryID != fmt.Sprintf("x%d", KeepDeliveries+4) {
				t.Fatalf("kept %d, newest %v: %v", len(ds), ds[0].DeliveryID, err)
			}
			ds, _ = s.ListDeliveries(ctx, "a1", 10)
			if len(ds) != 2 || ds[1].Result != DeliveryDeployed || ds[1].DeploymentID != "dep1" {
				t.Fatalf("a1's log %+v", ds)
			}
		})
	}
}
