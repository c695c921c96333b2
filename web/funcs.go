package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/rivetr/rivetr/schema"
)

var funcs = template.FuncMap{
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"firstLine": func(s string) string {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			return s[:i]
		}
		return s
	},
	"ago":      ago,
	"duration": duration,
	"join":     strings.Join,
	"bytes":    humanBytes,
	"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"terminal": schema.Terminal,
	"dict":     dict,
	"pct": func(free, total uint64) string {
		if total == 0 {
			return ""
		}
		return fmt.Sprintf("%.0f%%", 100*float64(free)/float64(total))
	},
}

func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.Local().Format("2006-01-02")
}

func duration(d schema.Deployment) string {
	if d.StartedAt == nil || d.FinishedAt == nil {
		return ""
	}
	return d.FinishedAt.Sub(*d.StartedAt).Round(100 * time.Millisecond).String()
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
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
