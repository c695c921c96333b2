package docker

import (
	"slices"
	"strings"
	"testing"
)

func TestImageRefs(t *testing.T) {
	for _, tc := range []struct {
		name, df string
		args     map[string]string
		want     []string
		err      string
	}{
		{name: "plain", df: "FROM busybox\nRUN true\n", want: []string{"busybox"}},
		{name: "stages and copy --from", df: "FROM golang:1.22 AS build\nRUN go build\nFROM scratch\nCOPY --from=build /app /app\nCOPY --from=0 /x /x\nCOPY --from=rivetr/other:abc /secret /s\n",
			want: []string{"golang:1.22", "rivetr/other:abc"}},
		{name: "a stage used as a base", df: "FROM alpine AS base\nFROM BASE\n", want: []string{"alpine"}},
		{name: "global args and build args", df: "ARG REG=docker.io\nARG TAG\nFROM ${REG}/node:${TAG:-20}\nFROM $REG/x:1 AS y\n",
			args: map[string]string{"REG": "rivetr"}, want: []string{"rivetr/node:20", "rivetr/x:1"}},
		{name: "an ARG after FROM does not reach FROM", df: "FROM a\nARG X=rivetr/other:1\nFROM $X\n", err: "no ARG before the first FROM sets"},
		{name: "continuations and comments", df: "FROM \\\n  # a comment inside\n  --platform=linux/amd64 \\\n  rivetr/other:1 AS x\n", want: []string{"rivetr/other:1"}},
		{name: "escape directive", df: "# escape=`\nFROM `\n  rivetr/other:2\n", want: []string{"rivetr/other:2"}},
		{name: "onbuild copy", df: "FROM a\nONBUILD COPY --from=rivetr/other:3 / /x\nonbuild run x\n", want: []string{"a", "rivetr/other:3"}},
		{name: "lower-case instructions, CRLF", df: "from busybox as b\r\ncopy --chown=1 --from=rivetr/o:4 / /\r\n", want: []string{"busybox", "rivetr/o:4"}},
		{name: "unknown variable", df: "FROM $NOPE\n", err: "$NOPE"},
		{name: "unsupported form", df: "ARG X=a\nFROM ${X:?bad}\n", err: "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ImageRefs(tc.df, tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, %v; want an error with %q", got, err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzImageRefs: any Dockerfile text parses without a panic, and every
// reference it returns is free of variables.
func FuzzImageRefs(f *testing.F) {
	f.Add("ARG A=b\nFROM ${A}:1 AS s\nCOPY --from=s / /\n")
	f.Add("# escape=`\nFROM `\n x\nONBUILD COPY --from=$A / /")
	f.Fuzz(func(t *testing.T, df string) {
		refs, err := ImageRefs(df, map[string]string{"A": "a"})
		if err != nil {
			return
		}
		for _, r := range refs {
			if strings.Contains(r, "$") {
				t.Fatalf("a reference with a variable: %q", r)
			}
		}
	})
}
