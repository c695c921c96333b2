package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
)

// FuzzRequestBodies sends arbitrary bodies to every endpoint that reads one.
// Whatever arrives, the answer is a client error or success with a JSON
// body, never a 5xx or a crash. Seeds: testdata/fuzz/FuzzRequestBodies.
func FuzzRequestBodies(f *testing.F) {
	f.Add(uint8(0), []byte(validApp))
	f.Add(uint8(1), []byte(`{"port":3000,"health_interval":"2s","domains":["a.test"]}`))
	f.Add(uint8(2), []byte(`{"vars":[{"key":"A","value":"1","secret":true}]}`))
	f.Add(uint8(3), []byte(`{"commit":"abcdef1"}`))
	f.Add(uint8(4), []byte(`{"to":"d1"}`))
	f.Add(uint8(0), []byte(`{"name":"x","health_interval":1e400}`))
	f.Add(uint8(0), []byte("\xff\xfe{"))
	fx := newFixture(f)
	fx.temporal.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Return(nil, nil).Maybe()
	fx.temporal.On("CheckHealth", mock.Anything, mock.Anything).Return(&client.CheckHealthResponse{}, nil).Maybe()
	// A domain change is applied to the running route by a workflow; a
	// Temporal that does not take it leaves the change to reconciliation.
	fx.temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil, errors.New("no Temporal here")).Maybe()
	if status, b := fx.do(f, "POST", "/api/apps", validApp); status != 201 {
		f.Fatalf("seed app: %d %s", status, b)
	}
	endpoints := []struct{ method, path string }{
		{"POST", "/api/apps"},
		{"PATCH", "/api/apps/web"},
		{"PUT", "/api/apps/web/env"},
		{"POST", "/api/apps/web/deploy"},
		{"POST", "/api/apps/web/rollback"},
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		ep := endpoints[int(which)%len(endpoints)]
		status, b := fx.do(t, ep.method, ep.path, string(body))
		if status >= 500 {
			t.Fatalf("%s %s with %q: %d %s", ep.method, ep.path, body, status, b)
		}
		if status >= 400 {
			var eb ErrorBody
			if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
				t.Fatalf("%s %s: error answer is not {error:{code,message}}: %s", ep.method, ep.path, b)
			}
		}
		if status == http.StatusCreated || ep.method == "PATCH" && status == 200 {
			// Whatever was accepted must read back as a valid app.
			if s, got := fx.do(t, "GET", "/api/apps/web", ""); s != 200 || strings.Contains(string(got), `"git_token"`) {
				t.Fatalf("after %s: %d %s", ep.path, s, got)
			}
		}
	})
}
