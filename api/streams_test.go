package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/ratelimit"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// Attack: one caller opens event streams until the server polls itself to
// death. Each caller holds at most DefaultStreamsPerCaller at once; the
// next is refused with 429 and what to do, and a closed stream frees its
// slot.
func TestStreamsPerCallerAreCapped(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/api/apps", validApp)
	app, err := f.store.GetApp(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	d := &schema.Deployment{ID: "d-stream", AppID: app.ID, AppName: "web", Kind: release.KindDeploy, Status: release.StatusBuilding}
	if err := f.store.CreateDeployment(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	srv := limited(t, f, ratelimit.NewLimits(0, 0, 0))
	open := func() (*http.Response, context.CancelFunc) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/deployments/d-stream/logs/stream", nil)
		req.Header.Set("Authorization", "Bearer "+f.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res, cancel
	}
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for i := 0; i < ratelimit.DefaultStreamsPerCaller; i++ {
		res, cancel := open()
		cancels = append(cancels, cancel)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: %d", i+1, res.StatusCode)
		}
	}
	res, cancel := open()
	cancel()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("stream %d: %d (want 429)", ratelimit.DefaultStreamsPerCaller+1, res.StatusCode)
	}
	cancels[0]()
	// The closed stream's slot comes back once its handler has noticed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, cancel := open()
		if res.StatusCode == http.StatusOK {
			cancels = append(cancels, cancel)
			break
		}
		cancel()
		if time.Now().After(deadline) {
			t.Fatal("a closed stream never gave its slot back")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
