package worker

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
)

// Histories recorded from real runs (the end-to-end tests with
// RIVETR_RECORD_HISTORY, picked with TestPickHistories) live in
// testdata/histories/<release>/<case>.json: v0 from before release
// controls, v1 from the commit before the restructure (3fa4a5d), current
// from this code. Each is replayed through RegisterWorkflows, the
// registration the binary uses: a change to a workflow that would break a
// running one fails here. Guard such a change with workflow.GetVersion,
// then record new histories (see docs/architecture.md).

// requiredCases are the runs every release's set must hold: every
// workflow, and deploys through each gate outcome.
var requiredCases = []string{
	"deploy-succeeded", "deploy-failed", "deploy-approved", "deploy-rejected", "deploy-frozen", "deploy-overridden", "deploy-cancelled",
	"rollback", "queue", "queue-superseded", "queue-cancelled", "retire", "delete-app",
	"scheduled", "scheduled-cancelled", "recurring", "preview", "commit-status", "database", "backup", "backup-failed", "restore",
}

// currentCases are required of the current release's set only: what
// earlier releases did not do (the queue telling a deployment's watchers
// how it ended, stop-first releases, waiting for dependencies).
var currentCases = []string{"queue-watched", "domains", "renew-cert", "deploy-stop-first", "deploy-stop-first-restored", "rollback-stop-first", "deploy-dependencies", "stack", "deploy-stack", "stack-routes"}

func TestReplayEveryRecordedHistory(t *testing.T) {
	releases, err := filepath.Glob("testdata/histories/*")
	if err != nil || len(releases) == 0 {
		t.Fatalf("no recorded histories: %v", err)
	}
	seenTypes := map[string]bool{}
	for _, rel := range releases {
		files, _ := filepath.Glob(filepath.Join(rel, "*.json"))
		var cases []string
		for _, f := range files {
			cases = append(cases, strings.TrimSuffix(filepath.Base(f), ".json"))
			h, err := readHistory(f)
			if err != nil {
				t.Fatal(err)
			}
			seenTypes[h.workflowType] = true
			t.Run(filepath.Base(rel)+"/"+filepath.Base(f), func(t *testing.T) {
				r := worker.NewWorkflowReplayer()
				RegisterWorkflows(r)
				if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
					t.Fatalf("%s no longer replays: %v", f, err)
				}
			})
		}
		required := requiredCases
		switch filepath.Base(rel) {
		case "v0":
			continue // only what existed then
		case "current":
			required = append(slices.Clip(required), currentCases...)
		}
		for _, c := range required {
			if !slices.Contains(cases, c) {
				t.Errorf("%s has no recorded %s history", rel, c)
			}
		}
	}
	for _, rel := range []string{"v1", "current"} {
		if !slices.Contains(releases, filepath.Join("testdata", "histories", rel)) {
			t.Errorf("no recorded histories of release %s", rel)
		}
	}
	for _, w := range Workflows() {
		if !seenTypes[w.Name] {
			t.Errorf("no recorded history of %s", w.Name)
		}
	}
}

// history is what the picker and the coverage check read of a recorded
// history: its workflow type, how it closed, the updates it accepted and
// every payload's text.
type history struct {
	workflowType string
	closed       string
	updates      []string
	signals      []string
	external     int // signals sent to other workflows
	text         string
	size         int64
}

func readHistory(path string) (*history, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Events []map[string]any `json:"events"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	h := &history{size: int64(len(b))}
	var text strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "data" {
					if d, err := base64.StdEncoding.DecodeString(s); err == nil {
						text.Write(d)
						text.WriteByte('\n')
					}
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, ev := range doc.Events {
		typ, _ := ev["eventType"].(string)
		if a, ok := ev["workflowExecutionStartedEventAttributes"].(map[string]any); ok {
			if wt, ok := a["workflowType"].(map[string]any); ok {
				h.workflowType, _ = wt["name"].(string)
			}
		}
		if a, ok := ev["workflowExecutionUpdateAcceptedEventAttributes"].(map[string]any); ok {
			if req, ok := a["acceptedRequest"].(map[string]any); ok {
				if in, ok := req["input"].(map[string]any); ok {
					name, _ := in["name"].(string)
					h.updates = append(h.updates, name)
				}
			}
		}
		if typ == "EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED" {
			h.external++
		}
		if a, ok := ev["workflowExecutionSignaledEventAttributes"].(map[string]any); ok {
			name, _ := a["signalName"].(string)
			h.signals = append(h.signals, name)
		}
		if strings.HasPrefix(typ, "EVENT_TYPE_WORKFLOW_EXECUTION_") && typ != "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED" &&
			!strings.Contains(typ, "SIGNALED") && !strings.Contains(typ, "UPDATE") && !strings.Contains(typ, "CANCEL_REQUESTED") {
			h.closed = strings.TrimPrefix(typ, "EVENT_TYPE_WORKFLOW_EXECUTION_")
		}
		walk(ev)
	}
	h.text = text.String()
	return h, nil
}

// signaled reports whether the workflow received signal name.
func (h *history) signaled(name string) bool { return slices.Contains(h.signals, name) }

// localActivities counts the local activities of type name it ran.
func (h *history) localActivities(name string) int {
	return strings.Count(h.text, `"ActivityType":"`+name+`"`)
}

// cases names what a history shows, most telling first.
func (h *history) cases() []string {
	has := func(s string) bool { return strings.Contains(h.text, s) }
	update := func(u string) bool { return slices.Contains(h.updates, u) }
	var out []string
	add := func(ok bool, c string) {
		if ok {
			out = append(out, c)
		}
	}
	switch h.workflowType {
	case "DeployWorkflow":
		add(update("override"), "deploy-overridden")
		add(has("freeze until") && !update("override"), "deploy-frozen")
		add(update("approve") && h.closed == "COMPLETED", "deploy-approved")
		add(update("reject"), "deploy-rejected")
		add(h.closed == "CANCELED", "deploy-cancelled")
		add(h.closed == "FAILED", "deploy-failed")
		add(h.closed == "COMPLETED" && len(h.updates) == 0 && !has("freeze until") && has(`"Status":"succeeded"`), "deploy-succeeded")
		// Stop-first: StopServingInput holds; a version was stopped; a
		// RestartInput started it again.
		add(h.closed == "COMPLETED" && has(`"Hold":`) && stoppedRE.MatchString(h.text), "deploy-stop-first")
		add(h.closed == "FAILED" && has(`"Stopped":{"Deployment":"`) && stoppedRE.MatchString(h.text), "deploy-stop-first-restored")
		add(h.closed == "COMPLETED" && has(`"Dependencies":[{`), "deploy-dependencies")
		add(h.closed == "COMPLETED" && has(`"BuildType":"compose"`), "deploy-stack")
	case "RollbackWorkflow":
		add(h.closed == "COMPLETED", "rollback")
		add(h.closed == "COMPLETED" && has(`"Hold":`), "rollback-stop-first")
	case "AppQueueWorkflow":
		add(h.localActivities("Mark") > 0 && !h.signaled("cancel"), "queue-superseded")
		add(h.localActivities("Mark") > 0 && h.signaled("cancel"), "queue-cancelled")
		add(h.external > 0, "queue-watched")
		add(h.closed == "COMPLETED", "queue")
	case "RetireWorkflow":
		add(h.closed == "COMPLETED", "retire")
	case "StackWorkflow":
		add(h.closed == "COMPLETED", "stack")
		// A stack route's service: switched by its own SwitchInput.
		add(h.closed == "COMPLETED" && has(`"Service":"admin"`) && has(`"Host":"admin-`), "stack-routes")
	case "DeleteAppWorkflow":
		add(h.closed == "COMPLETED", "delete-app")
	case "DomainsWorkflow":
		add(h.closed == "COMPLETED", "domains")
	case "RenewCertWorkflow":
		add(h.closed == "COMPLETED", "renew-cert")
	case "ScheduledDeployWorkflow":
		add(h.closed == "CANCELED", "scheduled-cancelled")
		add(h.closed == "COMPLETED", "scheduled")
	case "RecurringDeployWorkflow":
		add(h.closed == "COMPLETED", "recurring")
	case "PreviewWorkflow":
		add(h.closed == "COMPLETED", "preview")
	case "CommitStatusWorkflow":
		add(h.closed == "COMPLETED", "commit-status")
	case "DatabaseWorkflow":
		add(h.closed == "COMPLETED", "database")
	case "BackupWorkflow":
		add(h.closed == "FAILED", "backup-failed")
		add(h.closed == "COMPLETED", "backup")
	case "RestoreWorkflow":
		add(h.closed == "COMPLETED", "restore")
	}
	return out
}

// stoppedRE finds a version a stop-first release stopped.
var stoppedRE = regexp.MustCompile(`"Deployment":"[0-9a-z]+","ContainerID":"[0-9a-f]+"`)

// TestPickHistories copies, from the histories the end-to-end tests
// recorded into $RIVETR_PICK_HISTORIES, the smallest of each case into
// testdata/histories/$RIVETR_PICK_INTO. It runs only when both are set.
func TestPickHistories(t *testing.T) {
	from, into := os.Getenv("RIVETR_PICK_HISTORIES"), os.Getenv("RIVETR_PICK_INTO")
	if from == "" || into == "" {
		t.Skip("set RIVETR_PICK_HISTORIES and RIVETR_PICK_INTO to pick recorded histories")
	}
	files, _ := filepath.Glob(filepath.Join(from, "*", "*.json"))
	best := map[string]string{}
	sizes := map[string]int64{}
	for _, f := range files {
		h, err := readHistory(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range h.cases() {
			if _, ok := best[c]; !ok || h.size < sizes[c] {
				best[c], sizes[c] = f, h.size
			}
		}
	}
	dir := filepath.Join("testdata", "histories", into)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for c, f := range best {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", c, f)
	}
	for _, c := range append(slices.Clip(requiredCases), currentCases...) {
		if best[c] == "" {
			t.Errorf("no recorded history shows %s", c)
		}
	}
}
