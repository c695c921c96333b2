// Package humanize formats values for people: the CLI's tables and the
// dashboard's pages say "3m ago" and "1.5 GiB" the same way.
package humanize

import (
	"fmt"
	"strings"
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
	case d < 5*time.Second:
		return "just now"
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

// Duration says d the way a person would: "90 ms", "45 s", "5 min",
// "1 h 30 min", "24 h", "3 days", dropping what rounds away.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 s"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		if d%time.Second == 0 {
			return fmt.Sprintf("%d s", int(d.Seconds()))
		}
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return fmt.Sprintf("%d min", m)
		}
		return fmt.Sprintf("%d min %d s", m, s)
	case d < 48*time.Hour || d%(24*time.Hour) != 0:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

// Status says a status word as words: "rolled_back" is "rolled back".
func Status(s string) string { return strings.ReplaceAll(s, "_", " ") }

// Count is n with its noun, plural when n is not 1: "1 app", "3 apps",
// "2 approvals", "0 variables".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %s", n, Plural(noun))
}

// Plural is noun's plural (the nouns Rivetr counts).
func Plural(noun string) string {
	switch {
	case strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ay") && !strings.HasSuffix(noun, "ey"):
		return noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s") || strings.HasSuffix(noun, "x") || strings.HasSuffix(noun, "ch") || strings.HasSuffix(noun, "sh"):
		return noun + "es"
	}
	return noun + "s"
}
