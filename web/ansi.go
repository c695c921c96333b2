package web

import (
	"html/template"
	"strconv"
	"strings"
)

// ansiHTML renders a log line's ANSI SGR colour codes (what build tools
// print to a terminal) as spans with classes (ansi-red, ansi-bold, …),
// the text escaped; other escape sequences are dropped. app.js renders
// streamed lines the same way (ansiSpans).
func ansiHTML(s string) template.HTML {
	if !strings.Contains(s, "\x1b") {
		return template.HTML(template.HTMLEscapeString(s))
	}
	var b strings.Builder
	var classes []string
	open := false
	flushText := func(t string) {
		if t == "" {
			return
		}
		if len(classes) > 0 && !open {
			b.WriteString(`<span class="` + strings.Join(classes, " ") + `">`)
			open = true
		}
		b.WriteString(template.HTMLEscapeString(t))
	}
	closeSpan := func() {
		if open {
			b.WriteString("</span>")
			open = false
		}
	}
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			flushText(strings.ReplaceAll(s, "\x1b", ""))
			break
		}
		flushText(strings.ReplaceAll(s[:i], "\x1b", ""))
		s = s[i+2:]
		end := strings.IndexFunc(s, func(r rune) bool { return r >= 0x40 && r <= 0x7e })
		if end < 0 {
			break
		}
		params, final := s[:end], s[end]
		s = s[end+1:]
		if final != 'm' {
			continue // cursor movement and the like: dropped
		}
		closeSpan()
		classes = sgr(classes, params)
	}
	closeSpan()
	return template.HTML(b.String())
}

var ansiColours = []string{"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"}

// sgr applies one Select Graphic Rendition sequence to classes.
func sgr(classes []string, params string) []string {
	if params == "" {
		return nil
	}
	drop := func(prefix string) {
		out := classes[:0]
		for _, c := range classes {
			if !strings.HasPrefix(c, prefix) {
				out = append(out, c)
			}
		}
		classes = out
	}
	for _, p := range strings.Split(params, ";") {
		n, err := strconv.Atoi(p)
		switch {
		case err != nil:
		case n == 0:
			classes = nil
		case n == 1:
			drop("ansi-bold")
			classes = append(classes, "ansi-bold")
		case n == 22:
			drop("ansi-bold")
		case n >= 30 && n <= 37:
			drop("ansi-fg")
			classes = append(classes, "ansi-fg-"+ansiColours[n-30])
		case n >= 90 && n <= 97:
			drop("ansi-fg")
			classes = append(classes, "ansi-fg-bright-"+ansiColours[n-90])
		case n == 39:
			drop("ansi-fg")
		}
	}
	return classes
}
