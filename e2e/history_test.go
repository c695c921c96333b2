package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// unsafeName turns a workflow ID into a file name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// recordHistories writes the history of every workflow the server ran,
// finished or not, to $RIVETR_RECORD_HISTORY/<test>/<type>--<id>.json: the
// material of the replay tests (worker/testdata). Nothing is recorded
// without the variable.
func (s *Server) recordHistories() { s.recordHistoriesAs(s.t.Name(), s.t.Logf) }

// recordHistoriesAs records into the folder name, reporting through logf.
func (s *Server) recordHistoriesAs(name string, logf func(string, ...any)) {
	dir := os.Getenv("RIVETR_RECORD_HISTORY")
	if dir == "" || s.Temporal == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(s.TemporalOptions(""))
	if err != nil {
		logf("record histories: %v", err)
		return
	}
	defer c.Close()
	out := filepath.Join(dir, unsafeName.ReplaceAllString(name, "_"))
	if err := os.MkdirAll(out, 0o755); err != nil {
		logf("record histories: %v", err)
		return
	}
	var token []byte
	for {
		res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{PageSize: 200, NextPageToken: token})
		if err != nil {
			logf("record histories: %v", err)
			return
		}
		for _, e := range res.Executions {
			id, run := e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId()
			it := c.GetWorkflowHistory(ctx, id, run, false, 0)
			var events []json.RawMessage
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					logf("record history of %s: %v", id, err)
					break
				}
				b, _ := protojson.Marshal(ev)
				events = append(events, b)
			}
			b, _ := json.MarshalIndent(map[string]any{"events": events}, "", " ")
			name := e.GetType().GetName() + "--" + unsafeName.ReplaceAllString(id, "_") + "--" + run[:8] + ".json"
			if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
				logf("record history: %v", err)
			}
		}
		if token = res.NextPageToken; len(token) == 0 {
			return
		}
	}
}
