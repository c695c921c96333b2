// Package humanize formats values for people: the CLI's tables and the
// dashboard's pages say "3m ago" and "1.5 GiB" the same way.
package humanize

import (
	"fmt"
	"time"
)

// Ago says how long before now t was: "12s ago", "5m ago", "3h ago", or the
// date after two days.
func Ago(t time.Time) string {
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

// Bytes writes n in binary units: "512 B", "1.5 KiB", "66.8 GiB".
func Bytes(n uint64) string {
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

// SHA shortens a commit SHA to 12 characters.
func SHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
