package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

var funcs = template.FuncMap{
	"short": humanize.SHA,
	"firstLine": func(s string) string {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			return s[:i]
		}
		return s
	},
	"ago": humanize.Ago,
	// ansi renders a log line's colour codes; clock is a log line's time.
	"ansi":  ansiHTML,
	"clock": func(t time.Time) string { return t.UTC().Format("15:04:05") },
	// human says a status as words ("rolled back"); dur a duration
	// ("24 h"); count a number with its noun ("1 app", "3 apps").
	"human":    func(v any) string { return humanize.Status(fmt.Sprint(v)) },
	"dur":      humanize.Duration,
	"count":    humanize.Count,
	"duration": duration,
	"join":     strings.Join,
	// splitAt splits "name@version".
	"splitAt": func(s string) []string { return strings.SplitN(s, "@", 2) },
	// initial is a name's first letter, upper-cased (a template's badge).
	"initial": func(s string) string {
		for _, r := range s {
			return strings.ToUpper(string(r))
		}
		return "?"
	},
	"bytes":   humanize.Bytes,
	"size":    func(n int64) string { return humanize.Bytes(uint64(max(n, 0))) },
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// date is a day, for expiries ("3 Mar 2027"); "" for none.
	"date": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2 Jan 2006")
	},
	"terminal": release.Terminal,
	// buildTypes are the build types an app can choose.
	"buildTypes": func() []string { return detect.Types },
	"strategies": func() []release.Strategy { return release.Strategies },
	"dict":       dict,
	"icon":       icon,
	"iconSprite": iconSprite,
	"logo":       func() template.HTML { return template.HTML(logo) },
	"inc":        func(i int) int { return i + 1 },
	// can reports whether a role (AppView.Role) allows a permission.
	"can": func(role release.Role, perm string) bool { return release.RoleAllows(role, release.Perm(perm)) },
	"pct": func(free, total uint64) string {
		if total == 0 {
			return ""
		}
		return fmt.Sprintf("%.0f%%", 100*float64(free)/float64(total))
	},
}

func duration(d service.Deployment) string {
	if d.StartedAt == nil || d.FinishedAt == nil {
		return ""
	}
	return humanize.Duration(d.FinishedAt.Sub(*d.StartedAt).Round(100 * time.Millisecond))
}

// dict builds a map from key/value pairs, to pass several values to a
// partial template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
