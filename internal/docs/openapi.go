package docs

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/schema"
)

// OpenAPI returns the OpenAPI 3.1 document of routes, indented, with a
// final newline.
func OpenAPI(routes []api.Route, version string) ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		path, params := openapiPath(rt.Path)
		op := map[string]any{
			"summary":        rt.Summary,
			"operationId":    operationID(rt),
			"tags":           []string{tag(rt.Path)},
			"x-rivetr-needs": rt.Needs,
			"description":    "Needs: " + rt.Needs + ".",
		}
		if len(params) > 0 {
			var ps []any
			for _, p := range params {
				ps = append(ps, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
			op["parameters"] = ps
		}
		switch rt.Auth {
		case api.AuthToken:
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		case api.AuthInvitation:
			op["security"] = []any{map[string]any{}, map[string]any{"bearer": []string{}}}
		}
		if rt.In != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeOf(rt.In))}}}
		}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		if rt.Out != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeOf(rt.Out))}}
		}
		op["responses"] = map[string]any{
			strconv.Itoa(rt.Status): ok,
			"default":               map[string]any{"$ref": "#/components/responses/Error"},
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(rt.Method)] = op
	}
	errSchema := g.of(reflect.TypeOf(api.ErrorBody{}))
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Rivetr API",
			"version": version,
			"description": "Rivetr's HTTP API, generated from its route table (api/routes.go). Every route under /api takes " +
				"Authorization: Bearer <token>; what each needs is in x-rivetr-needs (a team permission, see docs/teams-and-security.md). " +
				"Errors answer {\"error\": {\"code\", \"message\", \"fields\"}}.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"responses": map[string]any{"Error": map[string]any{"description": "What went wrong: code for programs, message for people",
				"content": map[string]any{"application/json": map[string]any{"schema": errSchema}}}},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

var param = regexp.MustCompile(`:([A-Za-z_]+)`)

// openapiPath turns gin's /apps/:name into /apps/{name}.
func openapiPath(p string) (string, []string) {
	var names []string
	for _, m := range param.FindAllStringSubmatch(p, -1) {
		names = append(names, m[1])
	}
	return param.ReplaceAllString(p, "{$1}"), names
}

// tag groups a route by its resource: the first path segment after /api.
func tag(p string) string {
	parts := strings.Split(strings.TrimPrefix(strings.TrimPrefix(p, "/api"), "/"), "/")
	return parts[0]
}

func operationID(rt api.Route) string {
	name := runtimeName(rt.Handler)
	if name == "" {
		name = rt.Method + rt.Path
	}
	return name
}

// schemaGen turns Go types into JSON Schema, named structs once each in
// defs.
type schemaGen struct {
	defs map[string]any
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
	storedDur    = reflect.TypeOf(schema.Duration(0))
	rawJSON      = reflect.TypeOf(json.RawMessage{})
)

func (g *schemaGen) of(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case storedDur:
		return map[string]any{"type": "string", "description": "a duration such as \"5s\" or \"24h0m0s\" (milliseconds are read too)"}
	case durationType:
		return map[string]any{"type": "integer", "description": "nanoseconds"}
	case rawJSON:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := defName(t)
		if name == "" {
			return g.object(t)
		}
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // a placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// object is a struct's schema: its JSON fields, embedded structs'
// flattened as encoding/json does.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tagv := f.Tag.Get("json")
			if tagv == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			name, opts, _ := strings.Cut(tagv, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			props[name] = g.of(f.Type)
			if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
				required = append(required, name)
			}
		}
	}
	walk(t)
	sort.Strings(required)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// defName names a struct type in components/schemas: its package's last
// element and its name ("service.AppView"); "" for anonymous structs.
func defName(t reflect.Type) string {
	if t.Name() == "" {
		return ""
	}
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	return pkg + "." + t.Name()
}
