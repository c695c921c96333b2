package service

import (
	"context"
	"fmt"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/schema"
)

// GraphNode is an app or a database of a team's dependency graph; its ID
// is "app:NAME" or "database:NAME".
type GraphNode struct {
	ID     string          `json:"id"`
	Kind   release.DepKind `json:"kind"`
	Name   string          `json:"name"`
	Status string          `json:"status"`
}

// GraphEdge says From needs To.
type GraphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// GraphView is a team's dependency graph: every app (previews aside) and
// database, and what needs what.
type GraphView struct {
	Team  string      `json:"team"`
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
}

// Graph returns a team's dependency graph. With team "" it is that of the
// caller's only team, or, for an instance admin on a server without
// teams, of the apps and databases in none.
func (s *Apps) Graph(ctx context.Context, team string) (*GraphView, error) {
	t, err := s.graphTeam(ctx, team)
	if err != nil {
		return nil, err
	}
	g := &GraphView{Team: t.Name, Nodes: []GraphNode{}, Edges: []GraphEdge{}}
	var apps []schema.App
	if t.ID == "" {
		apps, err = s.store.ListApps(ctx)
	} else {
		apps, err = s.store.ListAppsIn(ctx, []string{t.ID})
	}
	if err != nil {
		return nil, err
	}
	ids := map[string]string{} // store ID → node ID
	for _, a := range apps {
		if a.TeamID != t.ID || a.PreviewOf != "" {
			continue // shared with the team, or a preview
		}
		id := "app:" + a.Name
		ids[a.ID] = id
		g.Nodes = append(g.Nodes, GraphNode{ID: id, Kind: release.DepApp, Name: a.Name, Status: servingOr(&a)})
	}
	dbs, err := s.store.ListDatabases(ctx, []string{t.ID})
	if err != nil {
		return nil, err
	}
	for _, d := range dbs {
		if d.TeamID != t.ID {
			continue
		}
		id := "database:" + d.Name
		ids[d.ID] = id
		g.Nodes = append(g.Nodes, GraphNode{ID: id, Kind: release.DepDatabase, Name: d.Name, Status: string(d.Status)})
	}
	deps, err := s.store.TeamDependencies(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		from, to := ids[d.AppID], ids[d.TargetID]
		if from != "" && to != "" {
			g.Edges = append(g.Edges, GraphEdge{From: from, To: to})
		}
	}
	return g, nil
}

// graphTeam is the team a graph is of (see Graph).
func (s *Apps) graphTeam(ctx context.Context, team string) (*schema.Team, error) {
	if team != "" {
		t, _, err := s.authorizeTeam(ctx, team, release.PermRead)
		return t, err
	}
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := s.store.ListTeams(ctx, a.TeamIDs())
	if err != nil {
		return nil, err
	}
	switch {
	case len(ts) == 1:
		return &ts[0], nil
	case len(ts) == 0 && a.InstanceAdmin:
		return &schema.Team{}, nil // apps and databases in no team
	case len(ts) == 0:
		return nil, errorf(KindForbidden, "you are in no team")
	}
	return nil, &ValidationError{Fields: map[string]string{"team": fmt.Sprintf("you are in %d teams: say which (?team=NAME, --team)", len(ts))}}
}
