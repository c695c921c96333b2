package config

import (
	"fmt"
	"strings"
)

// Images parses ImageOverrides (FROM=TO, comma-separated).
func (c Config) Images() (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(c.ImageOverrides, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		from, to, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(from) == "" || strings.TrimSpace(to) == "" {
			return nil, fmt.Errorf("--image-override %q: want FROM=TO", kv)
		}
		out[strings.TrimSpace(from)] = strings.TrimSpace(to)
	}
	return out, nil
}
