package web

import (
	"html/template"
	"sort"
	"strings"
)

// The dashboard's icons: simple line drawings on a 24×24 grid, drawn for
// Rivetr (stroke in the text's colour, so they follow light and dark).
// Layout puts them once in the page as an SVG sprite; {{icon "name"}}
// uses one. No icon font, no build step.
var iconPaths = map[string]string{
	"home":     `<path d="M3 11l9-8 9 8"/><path d="M5 10v10h5v-6h4v6h5V10"/>`,
	"rocket":   `<path d="M12 2c4 3 6 7 5 12l-2 3H9l-2-3C6 9 8 5 12 2z"/><circle cx="12" cy="9" r="2"/><path d="M9 17l-2 4M15 17l2 4M12 17v5"/>`,
	"terminal": `<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M7 9l3 3-3 3M13 15h4"/>`,
	"key":      `<circle cx="8" cy="15" r="4"/><path d="M11 12l9-9M16 7l3 3M14 9l2 2"/>`,
	"globe":    `<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c3.5 3.5 3.5 14.5 0 18M12 3c-3.5 3.5-3.5 14.5 0 18"/>`,
	"gear":     `<circle cx="12" cy="12" r="3"/><path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9L7 7M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1"/>`,
	"webhook":  `<circle cx="6" cy="17" r="3"/><circle cx="18" cy="17" r="3"/><circle cx="12" cy="6" r="3"/><path d="M9 17h6M10.5 8.6l-3 5.8M13.5 8.6l3 5.8"/>`,
	"shield":   `<path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z"/><path d="M9 12l2 2 4-4"/>`,
	"alert":    `<path d="M12 3l10 18H2z"/><path d="M12 10v5M12 18v.01"/>`,
	"box":      `<path d="M21 8l-9-5-9 5v8l9 5 9-5z"/><path d="M3 8l9 5 9-5M12 13v8"/>`,
	"grid":     `<rect x="3" y="3" width="7" height="7" rx="1.5"/><rect x="14" y="3" width="7" height="7" rx="1.5"/><rect x="3" y="14" width="7" height="7" rx="1.5"/><rect x="14" y="14" width="7" height="7" rx="1.5"/>`,
	"pulse":    `<path d="M3 12h4l3 7 4-14 3 7h4"/>`,
	"users":    `<circle cx="9" cy="8" r="3"/><path d="M3 20c0-3.3 2.7-5 6-5s6 1.7 6 5"/><circle cx="17" cy="9" r="2.5"/><path d="M16.5 14.5c2.5.2 4.5 1.8 4.5 5"/>`,
	"snow":     `<path d="M12 2v20M3.3 7l17.4 10M3.3 17L20.7 7M9 4l3 2 3-2M9 20l3-2 3 2"/>`,
	"database": `<ellipse cx="12" cy="5" rx="8" ry="3"/><path d="M4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5"/><path d="M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"/>`,
	"list":     `<path d="M8 6h13M8 12h13M8 18h13M3 6v.01M3 12v.01M3 18v.01"/>`,
	"commit":   `<circle cx="12" cy="12" r="3.5"/><path d="M2 12h6.5M15.5 12H22"/>`,
	"branch":   `<circle cx="6" cy="5" r="2"/><circle cx="6" cy="19" r="2"/><circle cx="18" cy="7" r="2"/><path d="M6 7v10M18 9c0 4.5-8 4-11.2 8.5"/>`,
	"external": `<path d="M14 4h6v6M20 4l-9 9M18 14v6H4V6h6"/>`,
	"logout":   `<path d="M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10"/>`,
	"keyboard": `<rect x="2" y="6" width="20" height="12" rx="2"/><path d="M6 10v.01M10 10v.01M14 10v.01M18 10v.01M7 14h10"/>`,
	"search":   `<circle cx="11" cy="11" r="7"/><path d="M16 16l5 5"/>`,
	"temporal": `<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>`,
}

// icon is one icon by name, hidden from screen readers (the text next to
// it says what it means).
func icon(name string) template.HTML {
	if _, ok := iconPaths[name]; !ok {
		name = "grid"
	}
	return template.HTML(`<svg class="icon" aria-hidden="true" focusable="false"><use href="#i-` + name + `"></use></svg>`)
}

// iconSprite is the <svg> of every icon as a symbol, put once in each page.
func iconSprite() template.HTML {
	names := make([]string, 0, len(iconPaths))
	for n := range iconPaths {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" hidden aria-hidden="true"><defs>`)
	for _, n := range names {
		b.WriteString(`<symbol id="i-` + n + `" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">` + iconPaths[n] + `</symbol>`)
	}
	b.WriteString(`</defs></svg>`)
	return template.HTML(b.String())
}

// logo is Rivetr's mark: a rivet (a domed head on its shank) on a rounded
// square of the accent colour.
const logo = `<svg class="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="8" fill="#2563eb"/><path d="M7 15a9 7 0 0 1 18 0z" fill="#fff"/><rect x="13" y="15" width="6" height="10" rx="1.5" fill="#fff"/><path d="M7 15h18" stroke="#1e40af" stroke-width="1.5"/></svg>`
