package docker

import (
	"fmt"
	"strings"
)

// ImageRefs returns the images a Dockerfile builds from: the references
// of its FROM lines and of COPY --from (also as ONBUILD triggers), with
// the global ARGs (those before the first FROM) expanded from their
// defaults and args, as the builder does. Stage names, stage numbers and
// scratch are not images and are left out. A reference that still holds
// a variable after expansion is an error: nobody can tell which image it
// names.
func ImageRefs(dockerfile string, args map[string]string) ([]string, error) {
	global := map[string]string{}
	stages := map[string]bool{}
	seenFrom := false
	var refs []string
	add := func(ref, line string) error {
		ref, err := expand(ref, global)
		if err != nil {
			return fmt.Errorf("%q: %w", line, err)
		}
		if ref == "" || strings.EqualFold(ref, "scratch") || stages[strings.ToLower(ref)] {
			return nil
		}
		refs = append(refs, ref)
		return nil
	}
	for _, line := range instructions(dockerfile) {
		word, rest := cut(line)
		word = strings.ToUpper(word)
		if word == "ONBUILD" {
			word, rest = cut(rest)
			word = strings.ToUpper(word)
			if word != "COPY" {
				continue
			}
		}
		switch word {
		case "ARG":
			if seenFrom {
				continue
			}
			for _, kv := range strings.Fields(rest) {
				k, v, hasDefault := strings.Cut(kv, "=")
				v = strings.Trim(v, `"'`)
				if given, ok := args[k]; ok {
					v, hasDefault = given, true
				}
				if hasDefault {
					global[k] = v
				} else if _, ok := global[k]; !ok {
					global[k] = ""
				}
			}
		case "FROM":
			seenFrom = true
			fields := strings.Fields(rest)
			for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
				fields = fields[1:]
			}
			if len(fields) == 0 {
				continue
			}
			if err := add(fields[0], line); err != nil {
				return nil, err
			}
			if len(fields) >= 3 && strings.EqualFold(fields[1], "AS") {
				stages[strings.ToLower(fields[2])] = true
			}
		case "COPY":
			for _, f := range strings.Fields(rest) {
				if !strings.HasPrefix(f, "--") {
					break
				}
				if v, ok := strings.CutPrefix(f, "--from="); ok {
					if isNumber(v) {
						continue
					}
					if err := add(strings.Trim(v, `"'`), line); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return refs, nil
}

// instructions splits a Dockerfile into its instructions: continuation
// lines joined (with the escape character a parser directive may set),
// comments and blank lines dropped.
func instructions(df string) []string {
	escape := `\`
	lines := strings.Split(strings.ReplaceAll(df, "\r\n", "\n"), "\n")
	// Parser directives: comments of the form "# key=value" at the top.
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, "#") {
			break
		}
		k, v, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(t, "#")), "=")
		if !ok {
			break
		}
		if strings.EqualFold(strings.TrimSpace(k), "escape") && strings.TrimSpace(v) == "`" {
			escape = "`"
		}
	}
	var out []string
	var cur strings.Builder
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "#") || (t == "" && cur.Len() > 0) {
			continue // comments and empty lines, also inside a continuation
		}
		if body, ok := strings.CutSuffix(t, escape); ok {
			cur.WriteString(body)
			cur.WriteString(" ")
			continue
		}
		cur.WriteString(t)
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func cut(s string) (string, string) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i+1:])
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// expand replaces $NAME, ${NAME}, ${NAME:-default} and ${NAME:+alt} with
// vars; anything else with a "$" is an error.
func expand(s string, vars map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '$' {
			return "", fmt.Errorf("an escaped $ in an image name")
		}
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("an unclosed ${ in an image name")
			}
			expr := s[i+2 : i+end]
			i += end
			name, mod := expr, ""
			if j := strings.IndexAny(expr, ":"); j >= 0 {
				name, mod = expr[:j], expr[j:]
			}
			v, ok := vars[name]
			switch {
			case strings.HasPrefix(mod, ":-"):
				if !ok || v == "" {
					v, ok = mod[2:], true
				}
			case strings.HasPrefix(mod, ":+"):
				if ok && v != "" {
					v = mod[2:]
				}
				ok = true
			case mod != "":
				return "", fmt.Errorf("the variable form ${%s} in an image name is not supported; use an ARG with a default", expr)
			}
			if !ok || strings.Contains(v, "$") {
				return "", fmt.Errorf("the image name uses ${%s}, which no ARG before the first FROM sets", name)
			}
			b.WriteString(v)
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		name := s[i+1 : j]
		v, ok := vars[name]
		if name == "" || !ok || strings.Contains(v, "$") {
			return "", fmt.Errorf("the image name uses $%s, which no ARG before the first FROM sets", name)
		}
		b.WriteString(v)
		i = j - 1
	}
	return b.String(), nil
}
