package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

// TestRecurringDeploy: a recurring deploy is a Temporal Schedule; each run
// deploys the branch head through the app's queue. The test triggers the
// schedule through Temporal instead of waiting for its time.
func TestRecurringDeploy(t *testing.T) {
	parallelE2E(t)
	a := newSharedApp(t, "nightly", "nightly-v1")
	s := a.S
	if r := s.CLI("deploy", a.App, "--wait"); r.Code != 0 {
		t.Fatalf("first deploy: %s%s", r.Stdout, r.Stderr)
	}
	if r := s.CLI("schedules", "create", a.App, "--cron", "not cron"); r.Code == 0 || !strings.Contains(r.Stderr, "cron") {
		t.Fatalf("a bad cron: %d %s", r.Code, r.Stderr)
	}
	out := s.MustCLI("schedules", "create", a.App, "--cron", "0 3 * * *", "--tz", "Europe/Berlin", "-o", "json")
	var rec struct{ ID string }
	mustUnmarshal(t, []byte(out), &rec)
	if rec.ID == "" {
		t.Fatalf("create: %s", out)
	}
	if list := s.MustCLI("schedules", "list", a.App); !strings.Contains(list, "0 3 * * * (Europe/Berlin)") {
		t.Fatalf("list:\n%s", list)
	}
	head := a.Repo.Commit("nightly-v2", map[string]string{"Dockerfile": AppDockerfile("nightly-v2", "", "")})
	c, err := client.Dial(s.TemporalOptions(""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := c.ScheduleClient().GetHandle(context.Background(), "recurring/"+a.App+"/"+rec.ID)
	desc, err := h.Describe(context.Background())
	// 03:00 in Berlin: 02:00 UTC in winter, 01:00 in summer.
	if err != nil || len(desc.Info.NextActionTimes) == 0 || !atBerlin(desc.Info.NextActionTimes[0], 3, 0) {
		t.Fatalf("the Temporal Schedule: %+v %v", desc, err)
	}
	if err := h.Trigger(context.Background(), client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var d Deployment
	eventually(t, 2*time.Minute, "the scheduled run deploys the branch head", func() bool {
		d = s.Deployments(a.App)[0]
		return d.Status == "succeeded" && d.Commit == head
	})
	if body := s.MustGet(a.Host, "/"); body != "nightly-v2" {
		t.Fatalf("after the scheduled run the app serves %q", body)
	}
	var shown struct {
		Trigger     string
		RequestedBy string `json:"requested_by"`
	}
	mustUnmarshal(t, []byte(s.MustCLI("deployments", "show", d.ID, "-o", "json")), &shown)
	if shown.Trigger != "schedule" || !strings.Contains(shown.RequestedBy, rec.ID) {
		t.Fatalf("the run's deployment: %+v", shown)
	}
	s.MustCLI("schedules", "delete", a.App, rec.ID)
	if _, err := h.Describe(context.Background()); err == nil {
		t.Fatal("the Temporal Schedule survived its deletion")
	}
}
