package webhook

import (
	"testing"
)

// FuzzParse: any body, under any event name of any provider, parses or is
// refused with an error; never a panic, and a parsed event's commits are
// SHAs.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"github_push.json", "github_pull_request.json", "gitlab_push.json", "gitlab_merge_request.json", "gitea_push.json", "gitea_pull_request.json"} {
		f.Add(uint8(0), "push", read(f, name))
	}
	f.Add(uint8(1), "Merge Request Hook", []byte(`{"object_attributes":{"iid":1,"action":"update","oldrev":"x"}}`))
	f.Add(uint8(2), "pull_request", []byte(`{"number":-1}`))
	events := map[uint8][]string{0: {"push", "pull_request", "ping"}, 1: {"Push Hook", "Tag Push Hook", "Merge Request Hook"}, 2: {"push", "pull_request"}}
	f.Fuzz(func(t *testing.T, which uint8, event string, body []byte) {
		p := Providers[int(which)%len(Providers)]
		for _, name := range append(events[uint8(int(which)%len(Providers))], event) {
			e, err := Parse(p, SignatureHeaders(p, name, body, "k"), body)
			if err != nil {
				continue
			}
			if !validSHA(e.After) || !validSHA(e.Before) || (e.PR != nil && (!validSHA(e.PR.HeadSHA) || e.PR.Number <= 0)) {
				t.Fatalf("%s %s: parsed with bad values: %+v", p, name, e)
			}
			// Deciding never panics either.
			Filter{Branch: "main", WatchPaths: []string{"a/**"}}.Push(e)
		}
	})
}

// FuzzMatchGlob: matching never panics and "**" matches everything.
func FuzzMatchGlob(f *testing.F) {
	f.Add("api/**", "api/x.go")
	f.Add("**/b/**", "a/b/c")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		MatchGlob(pattern, name)
		if !MatchGlob("**", name) {
			t.Fatalf("** did not match %q", name)
		}
	})
}
