package web

import "testing"

func TestANSIHTML(t *testing.T) {
	for in, want := range map[string]string{
		"plain <b>":                        "plain &lt;b&gt;",
		"\x1b[31merror\x1b[0m done":        `<span class="ansi-fg-red">error</span> done`,
		"\x1b[1;32mok\x1b[22m still green": `<span class="ansi-bold ansi-fg-green">ok</span><span class="ansi-fg-green"> still green</span>`,
		"\x1b[2K\x1b[1Gprogress 50%":       "progress 50%",
		"\x1b[91m<script>\x1b[m":           `<span class="ansi-fg-bright-red">&lt;script&gt;</span>`,
		"cut \x1b[3":                       "cut ",
	} {
		if got := string(ansiHTML(in)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
