package gitprovider

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/rivetr/rivetr/internal/testprovider"
)

// Each provider gets a comment created then edited in place, and commit
// statuses, in its own API's shape; a wrong token is a permanent error.
func TestProviders(t *testing.T) {
	ctx := context.Background()
	sha := "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
	for _, p := range []string{"github", "gitlab", "gitea"} {
		srv := testprovider.Start(p, "tok-"+p)
		defer srv.Close()
		repo := "acme/shop"
		if p == "gitlab" {
			repo = "acme/sub/shop" // GitLab projects nest in groups
		}
		c := &Client{Provider: p, BaseURL: srv.URL, Token: "tok-" + p}
		id, err := c.Comment(ctx, repo, 7, "", "building")
		if err != nil || id == "" {
			t.Fatalf("%s: comment: %q %v", p, id, err)
		}
		again, err := c.Comment(ctx, repo, 7, id, "ready at https://pr-7.shop.example.com")
		if err != nil || again != id {
			t.Fatalf("%s: edit: %q %v", p, again, err)
		}
		cs := srv.Comments(repo, 7)
		if len(cs) != 1 || len(cs[0].Bodies) != 2 || cs[0].Body() != "ready at https://pr-7.shop.example.com" {
			t.Fatalf("%s: comments %+v", p, cs)
		}
		for _, st := range []string{StatePending, StateSuccess} {
			if err := c.Status(ctx, repo, sha, st, "rivetr/shop", "http://rivetr/deployments/d1", "deploying"); err != nil {
				t.Fatalf("%s: status: %v", p, err)
			}
		}
		got := srv.Statuses(sha)
		if len(got) != 2 || got[0].State != "pending" || got[1].State != "success" || got[1].Name != "rivetr/shop" || got[1].Repo != repo {
			t.Fatalf("%s: statuses %+v", p, got)
		}
		if p == "gitlab" {
			c.Status(ctx, repo, sha, StateFailure, "rivetr/shop", "", "")
			if got := srv.Statuses(sha); got[2].State != "failed" {
				t.Fatalf("gitlab says failed, not %q", got[2].State)
			}
		}
		bad := &Client{Provider: p, BaseURL: srv.URL, Token: "wrong"}
		_, err = bad.Comment(ctx, repo, 7, "", "x")
		var perr *Error
		if !errors.As(err, &perr) || perr.Status != http.StatusUnauthorized || !perr.Permanent() {
			t.Fatalf("%s: a wrong token: %v", p, err)
		}
		if _, err := c.Comment(ctx, "no-owner", 7, "", "x"); err == nil {
			t.Fatalf("%s: a repository without an owner was accepted", p)
		}
		srv.FailWith(http.StatusBadGateway)
		if err := c.Status(ctx, repo, sha, StatePending, "x", "", ""); !errors.As(err, &perr) || perr.Permanent() {
			t.Fatalf("%s: a 502 should be retryable: %v", p, err)
		}
	}
}
