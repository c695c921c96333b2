package schema

import (
	"encoding/json"
	"testing"
)

// FuzzDuration reads arbitrary JSON as a Duration: an error, or a value that
// writes back and reads again to the same duration.
func FuzzDuration(f *testing.F) {
	for _, s := range []string{`"1s"`, `"250ms"`, `1500`, `"-3h"`, `"1e9h"`, `null`, `"x"`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Duration
		if err := json.Unmarshal(b, &d); err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var again Duration
		if err := json.Unmarshal(out, &again); err != nil || again != d {
			t.Fatalf("%s → %s → %v (%v)", b, out, again, err)
		}
	})
}
