package gitsrc

import "testing"

// FuzzURLAndCommit checks the validators of user-given git URLs and commits
// never panic, and that what they accept has the expected shape.
func FuzzURLAndCommit(f *testing.F) {
	for _, s := range []string{"https://github.com/a/b.git", "git@host:a/b", "ssh://git@h/x", "/srv/x", "abc1234", "", "://", "a@b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidCommit(s) && (len(s) < 7 || len(s) > 40) {
			t.Fatalf("accepted commit %q", s)
		}
		if ValidURL(s) && s == "" {
			t.Fatal("accepted an empty URL")
		}
		_ = isSSH(s)
		_ = sshUser(s)
	})
}
