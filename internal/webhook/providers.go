package webhook

import (
	"cmp"
	"strings"
)

// ---- GitHub and Gitea (Gitea's payloads follow GitHub's) ----

type repoName struct {
	FullName string `json:"full_name"`
}

type hubPush struct {
	Ref        string   `json:"ref"`
	Before     string   `json:"before"`
	After      string   `json:"after"`
	Deleted    bool     `json:"deleted"`
	Repository repoName `json:"repository"`
	// GitHub names the pusher; Gitea gives a user (login, username).
	Pusher struct {
		Name     string `json:"name"`
		Login    string `json:"login"`
		Username string `json:"username"`
		Email    string `json:"email"`
	} `json:"pusher"`
	HeadCommit *commitFiles  `json:"head_commit"`
	Commits    []commitFiles `json:"commits"`
}

type hubPull struct {
	Action      string `json:"action"`
	Number      int    `json:"number"`
	PullRequest struct {
		Number  int    `json:"number"`
		HTMLURL string `json:"html_url"`
		Title   string `json:"title"`
		Merged  bool   `json:"merged"`
		User    struct {
			Login string `json:"login"`
		} `json:"user"`
		Head hubRef `json:"head"`
		Base hubRef `json:"base"`
	} `json:"pull_request"`
	Repository repoName `json:"repository"`
}

type hubRef struct {
	Ref string `json:"ref"`
	SHA string `json:"sha"`
	// Gitea gives the repository's ID; GitHub the repository (null once
	// a fork is deleted).
	RepoID int64     `json:"repo_id"`
	Repo   *repoName `json:"repo"`
}

// fork reports whether a pull request's head lives in another repository.
func fork(head, base hubRef) bool {
	if head.RepoID != 0 || base.RepoID != 0 {
		return head.RepoID != base.RepoID
	}
	return head.Repo == nil || base.Repo == nil || !strings.EqualFold(head.Repo.FullName, base.Repo.FullName)
}

// hubActions maps GitHub's and Gitea's pull request actions (GitHub says
// synchronize, Gitea synchronized).
var hubActions = map[string]string{"opened": PROpen, "reopened": PROpen, "synchronize": PRUpdate, "synchronized": PRUpdate, "closed": PRClose}

func parseHub(p Provider, name string, body []byte) (*Event, error) {
	e := &Event{Provider: p, Name: name}
	switch name {
	case "ping":
		e.Kind = KindPing
		return e, nil
	case "push":
		var b hubPush
		if err := decode(body, &b, "push"); err != nil {
			return nil, err
		}
		e.Kind, e.Ref, e.Before, e.After, e.Deleted = KindPush, b.Ref, b.Before, b.After, b.Deleted || zeroSHA(b.After)
		e.Repo, e.Pusher, e.PusherEmail = b.Repository.FullName, cmp.Or(b.Pusher.Name, b.Pusher.Login, b.Pusher.Username), b.Pusher.Email
		if b.HeadCommit != nil {
			e.HeadMessage = b.HeadCommit.Message
		} else if p == Gitea && len(b.Commits) > 0 {
			e.HeadMessage = b.Commits[0].Message // Gitea lists the newest first
		}
		e.Files = files(b.Commits)
	case "pull_request":
		var b hubPull
		if err := decode(body, &b, "pull_request"); err != nil {
			return nil, err
		}
		pr := b.PullRequest
		e.Kind, e.Repo = KindPullRequest, b.Repository.FullName
		e.PR = &PullRequest{Number: max(b.Number, pr.Number), RawAction: b.Action, Merged: pr.Merged, HeadSHA: pr.Head.SHA,
			HeadBranch: pr.Head.Ref, BaseBranch: pr.Base.Ref, Title: pr.Title, URL: pr.HTMLURL, Author: pr.User.Login,
			Fork: fork(pr.Head, pr.Base), Action: PROther}
		if a, ok := hubActions[b.Action]; ok {
			e.PR.Action = a
		}
	default:
		e.Kind = KindOther
		return e, nil
	}
	e.refParts()
	return e, e.check()
}

// ---- GitLab ----

type glProject struct {
	PathWithNamespace string `json:"path_with_namespace"`
}

type glPush struct {
	ObjectKind   string        `json:"object_kind"`
	Ref          string        `json:"ref"`
	Before       string        `json:"before"`
	After        string        `json:"after"`
	UserUsername string        `json:"user_username"`
	UserName     string        `json:"user_name"`
	UserEmail    string        `json:"user_email"`
	Project      glProject     `json:"project"`
	Commits      []commitFiles `json:"commits"`
}

type glMerge struct {
	ObjectKind string `json:"object_kind"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	Project          glProject `json:"project"`
	ObjectAttributes struct {
		IID             int    `json:"iid"`
		Action          string `json:"action"`
		State           string `json:"state"`
		SourceBranch    string `json:"source_branch"`
		TargetBranch    string `json:"target_branch"`
		SourceProjectID int64  `json:"source_project_id"`
		TargetProjectID int64  `json:"target_project_id"`
		Title           string `json:"title"`
		URL             string `json:"url"`
		OldRev          string `json:"oldrev"`
		LastCommit      struct {
			ID string `json:"id"`
		} `json:"last_commit"`
	} `json:"object_attributes"`
}

func parseGitLab(name string, body []byte) (*Event, error) {
	e := &Event{Provider: GitLab, Name: name}
	switch name {
	case "Push Hook", "Tag Push Hook":
		var p glPush
		if err := decode(body, &p, "push"); err != nil {
			return nil, err
		}
		e.Kind, e.Ref, e.Before, e.After, e.Deleted = KindPush, p.Ref, p.Before, p.After, zeroSHA(p.After)
		e.Repo, e.Pusher, e.PusherEmail = p.Project.PathWithNamespace, p.UserUsername, p.UserEmail
		if e.Pusher == "" {
			e.Pusher = p.UserName
		}
		for i, c := range p.Commits {
			if c.ID == p.After || (e.HeadMessage == "" && i == len(p.Commits)-1) {
				e.HeadMessage = c.Message
			}
		}
		e.Files = files(p.Commits)
	case "Merge Request Hook":
		var p glMerge
		if err := decode(body, &p, "merge request"); err != nil {
			return nil, err
		}
		a := p.ObjectAttributes
		e.Kind, e.Repo = KindPullRequest, p.Project.PathWithNamespace
		e.PR = &PullRequest{Number: a.IID, RawAction: a.Action, Merged: a.Action == "merge" || a.State == "merged", HeadSHA: a.LastCommit.ID,
			HeadBranch: a.SourceBranch, BaseBranch: a.TargetBranch, Title: a.Title, URL: a.URL, Author: p.User.Username,
			Fork: a.SourceProjectID != a.TargetProjectID}
		switch a.Action {
		case "open", "reopen":
			e.PR.Action = PROpen
		case "update":
			// An update without oldrev changed only the description or labels.
			e.PR.Action = PROther
			if a.OldRev != "" {
				e.PR.Action = PRUpdate
			}
		case "close", "merge":
			e.PR.Action = PRClose
		default:
			e.PR.Action = PROther
		}
	default:
		e.Kind = KindOther
		return e, nil
	}
	e.refParts()
	return e, e.check()
}
