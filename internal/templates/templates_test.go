package templates

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/rivetr/rivetr/internal/stack"
)

// categories are the gallery's sections.
var categories = []string{"ai", "analytics", "automation", "cms", "communication", "database-tools", "development", "media", "monitoring", "productivity", "security", "storage"}

// builtins are the variables Rivetr gives every stack's file.
var builtins = []string{"RIVETR_DOMAIN", "RIVETR_URL"}

var (
	refRE    = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)
	colorRE  = regexp.MustCompile(`^#[0-9a-f]{6}$`)
	nameRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	pinnedRE = regexp.MustCompile(`^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+:[A-Za-z0-9._-]+$`)
)

// TestEveryTemplate holds every template of the catalog to what a deploy
// needs: it loads as a stack (compose-go and Rivetr's refusals) with its
// variables resolved, names a routed service with a port and a health
// path, runs only pinned images, and uses exactly the variables it
// declares.
func TestEveryTemplate(t *testing.T) {
	for _, err := range loadErr {
		t.Error(err)
	}
	if len(All()) < 50 {
		t.Errorf("%d templates; the catalog promises more than 50", len(All()))
	}
	for _, tpl := range All() {
		t.Run(tpl.Name, func(t *testing.T) {
			if !nameRE.MatchString(tpl.Name) || len(tpl.Name) > 40 {
				t.Errorf("name %q: lower-case letters, digits and inner hyphens, at most 40", tpl.Name)
			}
			if tpl.Title == "" || len(tpl.Description) < 20 || !strings.HasPrefix(tpl.Website, "https://") {
				t.Errorf("title %q, description %q, website %q: all needed (an https website)", tpl.Title, tpl.Description, tpl.Website)
			}
			if !slices.Contains(categories, tpl.Category) {
				t.Errorf("category %q is not one of %v", tpl.Category, categories)
			}
			if !colorRE.MatchString(tpl.Color) {
				t.Errorf("color %q: #rrggbb in lower case", tpl.Color)
			}
			if tpl.Version < 1 {
				t.Errorf("version %d: from 1", tpl.Version)
			}
			if tpl.Port < 1 || tpl.Port > 65535 || !strings.HasPrefix(tpl.Health, "/") {
				t.Errorf("port %d, health %q: the routed service's port and health path", tpl.Port, tpl.Health)
			}
			declared := map[string]bool{}
			for _, v := range tpl.Variables {
				switch {
				case !varNameRE.MatchString(v.Name):
					t.Errorf("variable %q: upper-case letters, digits, _", v.Name)
				case declared[v.Name]:
					t.Errorf("variable %s declared twice", v.Name)
				case slices.Contains(builtins, v.Name):
					t.Errorf("variable %s is Rivetr's", v.Name)
				case v.Description == "":
					t.Errorf("variable %s has no description", v.Name)
				case v.Generate != "" && !slices.Contains(Generators, v.Generate):
					t.Errorf("variable %s generates %q (one of %v)", v.Name, v.Generate, Generators)
				case v.Required && (v.Default != "" || v.Generate != ""):
					t.Errorf("variable %s is required but has a default or generator", v.Name)
				}
				declared[v.Name] = true
			}
			used := map[string]bool{}
			for _, m := range refRE.FindAllStringSubmatchIndex(tpl.Compose, -1) {
				if m[0] > 0 && tpl.Compose[m[0]-1] == '$' {
					continue // $${X} is a literal
				}
				name := tpl.Compose[m[2]:m[3]]
				used[name] = true
				if !declared[name] && !slices.Contains(builtins, name) {
					t.Errorf("the file uses ${%s}, which the template does not declare", name)
				}
			}
			for name := range declared {
				if !used[name] {
					t.Errorf("variable %s is declared but the file never uses it", name)
				}
			}

			set := map[string]string{}
			for _, v := range tpl.Variables {
				if v.Required {
					set[v.Name] = "given-" + strings.ToLower(v.Name)
				}
			}
			vals, err := tpl.Resolve(set)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			env := map[string]string{"RIVETR_DOMAIN": "app.example.com", "RIVETR_URL": "https://app.example.com"}
			for _, v := range vals {
				env[v.Name] = v.Value
				if v.Value == "" && !declaredEmpty(tpl, v.Name) {
					t.Errorf("variable %s resolves to nothing", v.Name)
				}
			}
			s, err := stack.Load(context.Background(), stack.Input{Name: "tpl", File: tpl.Name + ".yaml", Compose: []byte(tpl.Compose), Env: env})
			if err != nil {
				t.Fatalf("does not load as a stack:\n%v", err)
			}
			routed, ok := s.Project.Services[tpl.Service]
			if !ok {
				t.Fatalf("routes to service %q; the file has %v", tpl.Service, s.Order)
			}
			_ = routed
			for _, name := range s.Order {
				svc := s.Project.Services[name]
				if svc.Build != nil {
					t.Errorf("service %s builds; a template's services run images", name)
				}
				img := svc.Image
				if !strings.Contains(img, "/") {
					img = "docker.io/library/" + img
				} else if first := strings.Split(img, "/")[0]; !strings.ContainsAny(first, ".:") {
					img = "docker.io/" + img
				}
				if !pinnedRE.MatchString(img) || strings.HasSuffix(img, ":latest") || strings.Contains(img, ":main") {
					t.Errorf("service %s runs %q: pin a release tag (never latest)", name, svc.Image)
				}
				for dep, c := range svc.DependsOn {
					if c.Condition == types.ServiceConditionHealthy && s.Project.Services[dep].HealthCheck == nil {
						t.Errorf("service %s waits for %s to be healthy, which has no healthcheck", name, dep)
					}
				}
			}
			if len(tpl.Images) == 0 {
				t.Error("no images")
			}
		})
	}
}

func declaredEmpty(t *Template, name string) bool {
	for _, v := range t.Variables {
		if v.Name == name {
			return v.Default == "" && !v.Required && v.Generate == ""
		}
	}
	return false
}

func TestResolve(t *testing.T) {
	tpl, ok := Get("pgadmin")
	if !ok {
		t.Fatal("no pgadmin template")
	}
	_, err := tpl.Resolve(nil)
	var missing *MissingError
	if !errors.As(err, &missing) || !slices.Equal(missing.Names, []string{"ADMIN_EMAIL"}) ||
		!strings.Contains(err.Error(), "template pgadmin needs ADMIN_EMAIL: give --set ADMIN_EMAIL=…") {
		t.Fatalf("a missing required variable: %v", err)
	}
	if _, err := tpl.Resolve(map[string]string{"ADMIN_EMAIL": ""}); !errors.As(err, &missing) {
		t.Fatalf("a required variable set empty is missing: %v", err)
	}
	if _, err := tpl.Resolve(map[string]string{"ADMIN_EMAIL": "a@b.c", "NOPE": "x"}); err == nil ||
		!strings.Contains(err.Error(), "has no variable NOPE (it has ADMIN_EMAIL, ADMIN_PASSWORD)") {
		t.Fatalf("an unknown variable: %v", err)
	}
	a, err := tpl.Resolve(map[string]string{"ADMIN_EMAIL": "a@b.c"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := tpl.Resolve(map[string]string{"ADMIN_EMAIL": "a@b.c"})
	if a[1].Name != "ADMIN_PASSWORD" || len(a[1].Value) != 24 || !a[1].Secret || !a[1].Generated || a[1].Value == b[1].Value {
		t.Fatalf("a generated password: %+v then %+v", a[1], b[1])
	}
	c, _ := tpl.Resolve(map[string]string{"ADMIN_EMAIL": "a@b.c", "ADMIN_PASSWORD": "mine"})
	if c[1].Value != "mine" || c[1].Generated {
		t.Fatalf("a given value wins over the generator: %+v", c[1])
	}
	for _, kind := range Generators {
		v, err := generate(kind)
		if err != nil || len(v) < 24 {
			t.Errorf("%s: %q %v", kind, v, err)
		}
	}
}

// docs/templates.md lists every template.
func TestTheDocsListEveryTemplate(t *testing.T) {
	b, err := os.ReadFile("../../docs/templates.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range All() {
		if !strings.Contains(string(b), "| `"+tpl.Name+"` | "+tpl.Title+" — ") {
			t.Errorf("docs/templates.md does not list %s", tpl.Name)
		}
	}
	if !strings.Contains(string(b), fmt.Sprintf("**%d service templates**", len(All()))) {
		t.Errorf("docs/templates.md does not say there are %d templates", len(All()))
	}
}
