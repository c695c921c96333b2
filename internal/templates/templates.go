// Package templates is Rivetr's catalog of service templates: compose
// files for well-known self-hosted services, embedded in the binary, each
// deployed as a stack (build type compose, the file pasted in) in one
// step.
//
// A template is one compose file under catalog/, named after the
// template, whose x-rivetr extension describes it: a title, description,
// category, colour (the gallery's badge), the service its domains route
// to with its port and health path, and its variables. Variables are what
// the file interpolates (${NAME}): each is given (--set NAME=VALUE),
// generated when asked for (a password or a random secret, like Coolify's
// SERVICE_PASSWORD_*), defaulted, or required. They are stored as the
// app's env (generated ones and those marked secret as sealed secrets),
// so the compose file itself holds no secret and a redeploy keeps them.
//
// Images are pinned by tag (never :latest): a template is upgraded by a
// new version of its file with the new tag, redeployed through the app's
// gates like any change.
package templates

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/big"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed catalog/*.yaml
var catalog embed.FS

// Template is one service template.
type Template struct {
	// Name is the template's (its file's) name: what `rivetr templates
	// deploy NAME` takes.
	Name        string `yaml:"-" json:"name"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description" json:"description"`
	Category    string `yaml:"category" json:"category"`
	Website     string `yaml:"website" json:"website"`
	// Color is the gallery badge's colour (#rrggbb).
	Color string `yaml:"color" json:"color"`
	// Version counts the template's revisions (a new image tag is one).
	Version int `yaml:"version" json:"version"`
	// Service is the service the app's domains route to, on Port,
	// health-checked on Health.
	Service   string     `yaml:"service" json:"service"`
	Port      int        `yaml:"port" json:"port"`
	Health    string     `yaml:"health" json:"health"`
	Variables []Variable `yaml:"variables" json:"variables"`
	// Notes are shown after a deploy (first sign-in, what to do next).
	Notes string `yaml:"notes" json:"notes,omitempty"`
	// Compose is the template's compose file.
	Compose string `yaml:"-" json:"compose"`
	// Images are the images its services run, as the file names them.
	Images []string `yaml:"-" json:"images"`
}

// Variable is one of a template's variables.
type Variable struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description"`
	Default     string `yaml:"default" json:"default,omitempty"`
	// Required variables have no default and must be given.
	Required bool `yaml:"required" json:"required,omitempty"`
	// Generate makes a value when none is given: password (24 letters
	// and digits), secret (32 random bytes, hex), base64 (32 random bytes).
	Generate string `yaml:"generate" json:"generate,omitempty"`
	// Secret variables are stored sealed and never shown again.
	Secret bool `yaml:"secret" json:"secret,omitempty"`
}

// Generators are the kinds of values a variable may generate.
var Generators = []string{"password", "secret", "base64"}

var (
	all    []*Template
	byName = map[string]*Template{}
	// loadErr is a catalog file that does not load: the catalog's test
	// fails on it; at run time the template is left out.
	loadErr []error
)

func init() {
	files, _ := fs.Glob(catalog, "catalog/*.yaml")
	for _, f := range files {
		b, _ := catalog.ReadFile(f)
		t, err := parse(strings.TrimSuffix(path.Base(f), ".yaml"), b)
		if err != nil {
			loadErr = append(loadErr, err)
			continue
		}
		all = append(all, t)
		byName[t.Name] = t
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
}

// parse reads a template's compose file and its x-rivetr metadata.
func parse(name string, b []byte) (*Template, error) {
	var f struct {
		Meta     *Template `yaml:"x-rivetr"`
		Services map[string]struct {
			Image string `yaml:"image"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("template %s: %v", name, err)
	}
	if f.Meta == nil {
		return nil, fmt.Errorf("template %s: no x-rivetr metadata", name)
	}
	t := f.Meta
	t.Name, t.Compose = name, string(b)
	for _, s := range f.Services {
		if s.Image != "" && !slices.Contains(t.Images, s.Image) {
			t.Images = append(t.Images, s.Image)
		}
	}
	sort.Strings(t.Images)
	return t, nil
}

// All is every template, by name.
func All() []*Template { return all }

// Get finds a template by name.
func Get(name string) (*Template, bool) {
	t, ok := byName[name]
	return t, ok
}

// Categories are the templates' categories, sorted.
func Categories() []string {
	var cs []string
	for _, t := range all {
		if !slices.Contains(cs, t.Category) {
			cs = append(cs, t.Category)
		}
	}
	sort.Strings(cs)
	return cs
}

// Ref is how an app records the template it was made from.
func (t *Template) Ref() string { return fmt.Sprintf("%s@%d", t.Name, t.Version) }

// Value is a resolved variable.
type Value struct {
	Name, Value string
	Secret      bool
	Generated   bool
}

// MissingError lists required variables that were not given.
type MissingError struct {
	Template string
	Names    []string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("template %s needs %s: give %s", e.Template, strings.Join(e.Names, ", "), strings.Join(setFlags(e.Names), " "))
}

func setFlags(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "--set " + n + "=…"
	}
	return out
}

var varNameRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// Resolve gives every variable its value: set's, else a generated one,
// else its default. A name set that the template does not have, and
// required variables not set, are refused (all of them named).
func (t *Template) Resolve(set map[string]string) ([]Value, error) {
	var unknown []string
	for k := range set {
		if !slices.ContainsFunc(t.Variables, func(v Variable) bool { return v.Name == k }) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, len(t.Variables))
		for i, v := range t.Variables {
			names[i] = v.Name
		}
		has := "none"
		if len(names) > 0 {
			has = strings.Join(names, ", ")
		}
		return nil, fmt.Errorf("template %s has no variable %s (it has %s)", t.Name, strings.Join(unknown, ", "), has)
	}
	var out []Value
	var missing []string
	for _, v := range t.Variables {
		val, given := set[v.Name]
		generated := false
		switch {
		case given && (val != "" || !v.Required):
		case v.Generate != "":
			g, err := generate(v.Generate)
			if err != nil {
				return nil, fmt.Errorf("template %s, variable %s: %w", t.Name, v.Name, err)
			}
			val, generated = g, true
		case v.Required:
			missing = append(missing, v.Name)
			continue
		default:
			val = v.Default
		}
		out = append(out, Value{Name: v.Name, Value: val, Secret: v.Secret || v.Generate != "", Generated: generated})
	}
	if len(missing) > 0 {
		return nil, &MissingError{Template: t.Name, Names: missing}
	}
	return out, nil
}

const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

func generate(kind string) (string, error) {
	switch kind {
	case "password":
		b := make([]byte, 24)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
			if err != nil {
				return "", err
			}
			b[i] = alnum[n.Int64()]
		}
		return string(b), nil
	case "secret", "base64":
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		if kind == "base64" {
			return base64.StdEncoding.EncodeToString(b), nil
		}
		return hex.EncodeToString(b), nil
	}
	return "", fmt.Errorf("unknown generator %q (one of %s)", kind, strings.Join(Generators, ", "))
}
