package docs

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/buildinfo"
	"github.com/rivetr/rivetr/internal/cli"
)

// The committed references are what the code generates now.
func TestGeneratedDocsAreCurrent(t *testing.T) {
	spec, err := OpenAPI((&api.Handler{}).Routes(), buildinfo.Version)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{"../../docs/openapi.json": string(spec), "../../docs/cli.md": CLIReference(cli.Command(nil))} {
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is stale: run make docs", strings.TrimPrefix(file, "../../"))
		}
	}
}

// The OpenAPI document describes every route the API serves, and nothing
// it does not.
func TestOpenAPIMatchesTheRegisteredRoutes(t *testing.T) {
	engine, err := api.New(nil, nil, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	for _, r := range engine.Routes() {
		p, _ := openapiPath(r.Path)
		served = append(served, r.Method+" "+p)
	}
	b, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	var described []string
	for p, ops := range doc.Paths {
		for m, op := range ops {
			described = append(described, strings.ToUpper(m)+" "+p)
			var o struct {
				Summary   string                     `json:"summary"`
				Needs     string                     `json:"x-rivetr-needs"`
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(op, &o); err != nil || o.Summary == "" || o.Needs == "" || len(o.Responses) < 2 {
				t.Errorf("%s %s: summary %q, needs %q, %d responses (%v)", m, p, o.Summary, o.Needs, len(o.Responses), err)
			}
		}
	}
	slices.Sort(served)
	slices.Sort(described)
	if !slices.Equal(served, described) {
		for _, s := range served {
			if !slices.Contains(described, s) {
				t.Errorf("served but not in docs/openapi.json: %s", s)
			}
		}
		for _, d := range described {
			if !slices.Contains(served, d) {
				t.Errorf("in docs/openapi.json but not served: %s", d)
			}
		}
	}
	if len(served) < 80 {
		t.Errorf("only %d routes", len(served))
	}
}

// Every command is in the CLI reference.
func TestCLIReferenceCoversEveryCommand(t *testing.T) {
	ref := CLIReference(cli.Command(nil))
	root := cli.Command(nil)
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if !strings.Contains(ref, "## "+c.CommandPath()+"\n") {
			t.Errorf("%s is not in the reference", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			if !strings.Contains(ref, "### "+sub.CommandPath()+"\n") {
				t.Errorf("%s is not in the reference", sub.CommandPath())
			}
		}
	}
}
