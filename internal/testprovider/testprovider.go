// Package testprovider is a stand-in for the REST APIs of GitHub, GitLab
// and Gitea, for tests: it keeps the comments and commit statuses it is
// sent, checks the token the way each provider does, and answers with the
// same shapes.
package testprovider

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"sync"
)

// Comment is a pull request comment and every body it has had.
type Comment struct {
	ID     int
	Repo   string
	PR     int
	Bodies []string
}

// Body is the comment's current text.
func (c *Comment) Body() string { return c.Bodies[len(c.Bodies)-1] }

// Status is one commit status sent.
type Status struct {
	Repo, SHA, State, Name, Target, Description string
}

// Server records what Rivetr reports.
type Server struct {
	*httptest.Server
	Provider string
	Token    string

	mu       sync.Mutex
	comments map[int]*Comment
	statuses []Status
	next     int
	// Fail makes every request answer this status when not 0.
	fail int
}

var (
	ghComment   = regexp.MustCompile(`^(?:/api/v1)?/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$`)
	ghEdit      = regexp.MustCompile(`^(?:/api/v1)?/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$`)
	ghStatus    = regexp.MustCompile(`^(?:/api/v1)?/repos/([^/]+)/([^/]+)/statuses/([0-9a-f]+)$`)
	glNote      = regexp.MustCompile(`^/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes$`)
	glNoteEdit  = regexp.MustCompile(`^/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes/(\d+)$`)
	glStatus    = regexp.MustCompile(`^/api/v4/projects/([^/]+)/statuses/([0-9a-f]+)$`)
	tokenHeader = map[string][2]string{"github": {"Authorization", "Bearer "}, "gitea": {"Authorization", "token "}, "gitlab": {"PRIVATE-TOKEN", ""}}
)

// Start serves provider's API, accepting only token.
func Start(provider, token string) *Server {
	s := &Server{Provider: provider, Token: token, comments: map[int]*Comment{}, next: 100}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// FailWith makes the API answer status to everything (0: work again).
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	s.fail = status
	s.mu.Unlock()
}

// Comments returns the comments of a pull request, oldest first.
func (s *Server) Comments(repo string, pr int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for id := 100; id < s.next; id++ {
		if c, ok := s.comments[id]; ok && c.Repo == repo && c.PR == pr {
			cp := *c
			cp.Bodies = append([]string(nil), c.Bodies...)
			out = append(out, cp)
		}
	}
	return out
}

// Statuses returns the statuses sent for a commit, in order.
func (s *Server) Statuses(sha string) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Status
	for _, st := range s.statuses {
		if st.SHA == sha {
			out = append(out, st)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != 0 {
		http.Error(w, `{"message":"failing on purpose"}`, s.fail)
		return
	}
	h := tokenHeader[s.Provider]
	if r.Header.Get(h[0]) != h[1]+s.Token {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, `{"message":"Problems parsing JSON"}`, http.StatusBadRequest)
		return
	}
	path := r.URL.EscapedPath()
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(v)
	}
	unescape := func(v string) string {
		if u, err := url.PathUnescape(v); err == nil {
			return u
		}
		return v
	}
	switch {
	case s.Provider != "gitlab" && r.Method == "POST" && ghComment.MatchString(path):
		m := ghComment.FindStringSubmatch(path)
		pr, _ := strconv.Atoi(m[3])
		reply(s.add(m[1]+"/"+m[2], pr, in["body"]))
	case s.Provider != "gitlab" && r.Method == "PATCH" && ghEdit.MatchString(path):
		id, _ := strconv.Atoi(ghEdit.FindStringSubmatch(path)[3])
		s.edit(w, id, in["body"], reply)
	case s.Provider != "gitlab" && r.Method == "POST" && ghStatus.MatchString(path):
		m := ghStatus.FindStringSubmatch(path)
		s.statuses = append(s.statuses, Status{Repo: m[1] + "/" + m[2], SHA: m[3], State: in["state"], Name: in["context"], Target: in["target_url"], Description: in["description"]})
		reply(map[string]any{"id": len(s.statuses), "state": in["state"]})
	case s.Provider == "gitlab" && r.Method == "POST" && glNote.MatchString(path):
		m := glNote.FindStringSubmatch(path)
		pr, _ := strconv.Atoi(m[2])
		reply(s.add(unescape(m[1]), pr, in["body"]))
	case s.Provider == "gitlab" && r.Method == "PUT" && glNoteEdit.MatchString(path):
		id, _ := strconv.Atoi(glNoteEdit.FindStringSubmatch(path)[3])
		s.edit(w, id, in["body"], reply)
	case s.Provider == "gitlab" && r.Method == "POST" && glStatus.MatchString(path):
		m := glStatus.FindStringSubmatch(path)
		s.statuses = append(s.statuses, Status{Repo: unescape(m[1]), SHA: m[2], State: in["state"], Name: in["name"], Target: in["target_url"], Description: in["description"]})
		reply(map[string]any{"id": len(s.statuses), "status": in["state"]})
	default:
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	}
}

func (s *Server) add(repo string, pr int, body string) map[string]any {
	id := s.next
	s.next++
	s.comments[id] = &Comment{ID: id, Repo: repo, PR: pr, Bodies: []string{body}}
	return map[string]any{"id": id, "body": body}
}

func (s *Server) edit(w http.ResponseWriter, id int, body string, reply func(any)) {
	c, ok := s.comments[id]
	if !ok {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	c.Bodies = append(c.Bodies, body)
	reply(map[string]any{"id": id, "body": body})
}
