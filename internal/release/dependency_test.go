package release

import (
	"fmt"
	"slices"
	"testing"
)

func TestParseDependency(t *testing.T) {
	for in, want := range map[string]string{"database:shop-db": "database shop-db", "db:x": "database x", "app:api": "app api", " app:api ": "app api"} {
		k, n, err := ParseDependency(in)
		if err != nil || string(k)+" "+n != want {
			t.Errorf("%q: %s %s %v, want %s", in, k, n, err, want)
		}
	}
	for _, in := range []string{"", "api", "app:", "queue:x", ":x"} {
		if _, _, err := ParseDependency(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

func TestDependencyCycle(t *testing.T) {
	needs := map[string][]string{"web": {"api"}, "api": {"auth"}, "worker": {"api"}}
	if c := DependencyCycle(needs, "auth", "web"); fmt.Sprint(c) != "[web api auth web]" {
		t.Errorf("auth → web closes %v", c)
	}
	if c := DependencyCycle(needs, "web", "web"); len(c) != 2 {
		t.Errorf("an app needing itself: %v", c)
	}
	if c := DependencyCycle(needs, "web", "worker"); c != nil {
		t.Errorf("web → worker is no cycle: %v", c)
	}
}

func TestLayers(t *testing.T) {
	needs := map[string][]string{"web": {"api", "db:shop"}, "api": {"db:shop"}, "worker": {"db:shop"}}
	got := Layers([]string{"web", "api", "worker", "db:shop", "lonely"}, needs)
	want := [][]string{{"lonely", "web", "worker"}, {"api"}, {"db:shop"}}
	if len(got) != len(want) {
		t.Fatalf("layers %v", got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("layers %v, want %v", got, want)
		}
	}
}
