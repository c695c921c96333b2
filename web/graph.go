package web

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// The dependency graph page (/graph): a team's apps and databases as
// boxes in columns, what needs something on its left, what is needed on
// its right, drawn as SVG on the server (no script, no library).

// Graph layout, in SVG units.
const (
	graphColumn = 240 // column pitch
	graphRow    = 64  // row pitch
	graphBoxW   = 190
	graphBoxH   = 44
	graphMargin = 16
)

type graphBox struct {
	service.GraphNode
	X, Y int
	Href string
	Tone string // ok, idle, bad, busy: the status's colour
}

type graphLine struct {
	Path string // an SVG path from the needing box to the needed one
}

type graphData struct {
	Teams  []service.TeamView
	Team   string
	Graph  *service.GraphView
	Boxes  []graphBox
	Lines  []graphLine
	Width  int
	Height int
}

func (h *Handler) graphPage(c *gin.Context) {
	ctx := c.Request.Context()
	teams, err := h.svc.TeamsFor(ctx, release.PermRead)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := graphData{Teams: teams, Team: c.Query("team")}
	if d.Team == "" {
		for _, t := range teams {
			if t.Name != "" {
				d.Team = t.Name
				break
			}
		}
	}
	if d.Graph, err = h.svc.Graph(ctx, d.Team); err != nil {
		h.fail(c, err)
		return
	}
	d.layout()
	h.render(c, http.StatusOK, "graph", "Dependencies", d)
}

// layout places the graph's boxes in columns (release.Layers) and draws
// each edge as a curve from the right of the box that needs to the left
// of the one needed.
func (d *graphData) layout() {
	ids := make([]string, 0, len(d.Graph.Nodes))
	nodes := map[string]service.GraphNode{}
	for _, n := range d.Graph.Nodes {
		ids = append(ids, n.ID)
		nodes[n.ID] = n
	}
	needs := map[string][]string{}
	for _, e := range d.Graph.Edges {
		needs[e.From] = append(needs[e.From], e.To)
	}
	at := map[string][2]int{}
	rows := 0
	for col, layer := range release.Layers(ids, needs) {
		for row, id := range layer {
			n := nodes[id]
			x, y := graphMargin+col*graphColumn, graphMargin+row*graphRow
			at[id] = [2]int{x, y}
			href := "/apps/" + n.Name
			if n.Kind == release.DepDatabase {
				href = "/databases/" + n.Name
			}
			d.Boxes = append(d.Boxes, graphBox{GraphNode: n, X: x, Y: y, Href: href, Tone: tone(n.Status)})
			d.Width = max(d.Width, x+graphBoxW+graphMargin)
		}
		rows = max(rows, len(layer))
	}
	d.Height = graphMargin*2 + max(rows, 1)*graphRow - (graphRow - graphBoxH)
	for _, e := range d.Graph.Edges {
		from, to := at[e.From], at[e.To]
		x1, y1 := from[0]+graphBoxW, from[1]+graphBoxH/2
		x2, y2 := to[0]-6, to[1]+graphBoxH/2
		mid := (x1 + x2) / 2
		d.Lines = append(d.Lines, graphLine{Path: fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2, y2)})
	}
}

// tone is a status's colour class.
func tone(status string) string {
	switch status {
	case "serving", string(release.DBRunning):
		return "ok"
	case string(release.DBFailed):
		return "bad"
	case string(release.DBCreating), string(release.DBRestore):
		return "busy"
	}
	return "idle"
}
