package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

type freezesData struct {
	Windows []service.FreezeView
	Form    struct{ App, Environment, Reason string }
	Errors  map[string]string
	// Environments are "team/name" of the environments the caller may
	// freeze; Calendar the windows' times in the next four weeks, by day.
	Environments []string
	Calendar     []calendarDay
}

// calendarDay is one UTC day of the freeze calendar.
type calendarDay struct {
	Day   time.Time
	Items []calendarItem
}

type calendarItem struct {
	release.Occurrence
	Window service.FreezeView
	// Continues is set on the days after the one an occurrence starts.
	Continues bool
}

// freezeCalendar lays the windows' upcoming times out by day: an
// occurrence shows on each day it covers, from today for four weeks.
func freezeCalendar(ws []service.FreezeView, now time.Time) []calendarDay {
	today := now.UTC().Truncate(24 * time.Hour)
	days := map[time.Time]*calendarDay{}
	var order []time.Time
	for _, w := range ws {
		for _, o := range w.Upcoming {
			first := o.Start.UTC().Truncate(24 * time.Hour)
			for d := first; d.Before(o.End) && d.Before(today.Add(service.CalendarSpan)); d = d.Add(24 * time.Hour) {
				if d.Before(today) {
					continue
				}
				cd, ok := days[d]
				if !ok {
					cd = &calendarDay{Day: d}
					days[d] = cd
					order = append(order, d)
				}
				cd.Items = append(cd.Items, calendarItem{Occurrence: o, Window: w, Continues: d.After(first)})
			}
		}
	}
	slices.SortFunc(order, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]calendarDay, 0, len(order))
	for _, d := range order {
		cd := days[d]
		slices.SortStableFunc(cd.Items, func(a, b calendarItem) int { return a.Start.Compare(b.Start) })
		out = append(out, *cd)
	}
	return out
}

func (h *Handler) freezes(c *gin.Context) { h.renderFreezes(c, http.StatusOK, freezesData{}) }

func (h *Handler) renderFreezes(c *gin.Context, status int, d freezesData) {
	ws, err := h.svc.ListFreezes(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	d.Windows = ws
	d.Calendar = freezeCalendar(ws, time.Now())
	teams, err := h.svc.TeamsFor(c.Request.Context(), release.PermPolicy)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, t := range teams {
		if t.Name == "" {
			continue
		}
		es, err := h.svc.ListEnvironments(c.Request.Context(), t.Name)
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, e := range es {
			d.Environments = append(d.Environments, t.Name+"/"+e.Name)
		}
	}
	h.render(c, status, "freezes", "Freeze windows", d)
}

// formLocalTime reads a datetime-local field in the browser's offset.
func formLocalTime(c *gin.Context, field string) (*time.Time, error) {
	v := strings.TrimSpace(c.PostForm(field))
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02T15:04", v)
	if err != nil {
		return nil, fmt.Errorf("%q is not a date and time", v)
	}
	if off, err := strconv.Atoi(c.PostForm("tz_offset")); err == nil && off >= -14*60 && off <= 14*60 {
		t = t.Add(time.Duration(off) * time.Minute)
	}
	return &t, nil
}

func (h *Handler) createFreeze(c *gin.Context) {
	d := freezesData{}
	d.Form.App, d.Form.Environment, d.Form.Reason = strings.TrimSpace(c.PostForm("app")), c.PostForm("environment"), c.PostForm("reason")
	in := service.FreezeInput{App: d.Form.App, Reason: d.Form.Reason, Cron: strings.TrimSpace(c.PostForm("cron")), TZ: strings.TrimSpace(c.PostForm("tz")),
		Policy: release.FreezePolicy(c.PostForm("policy")), BlockRollbacks: c.PostForm("block_rollbacks") != ""}
	if team, env, ok := strings.Cut(d.Form.Environment, "/"); ok {
		in.Team, in.Environment = team, env
	}
	var err error
	if in.From, err = formLocalTime(c, "from_local"); err == nil {
		in.Until, err = formLocalTime(c, "until_local")
	}
	if err == nil && strings.TrimSpace(c.PostForm("duration")) != "" {
		dur, perr := time.ParseDuration(strings.TrimSpace(c.PostForm("duration")))
		if perr != nil {
			err = fmt.Errorf("duration: %q is not a duration like 62h", c.PostForm("duration"))
		} else {
			sd := schema.Duration(dur)
			in.Duration = &sd
		}
	}
	if err == nil {
		_, err = h.svc.CreateFreeze(c.Request.Context(), in)
	}
	if err != nil {
		d.Errors = fieldsOf(err, h.logError(c, err))
		h.renderFreezes(c, http.StatusBadRequest, d)
		return
	}
	redirect(c, "/freezes", flash{OK: "Freeze window added."})
}

func (h *Handler) deleteFreeze(c *gin.Context) {
	if err := h.svc.DeleteFreeze(c.Request.Context(), c.Param("id")); err != nil {
		redirect(c, "/freezes", flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, "/freezes", flash{OK: "Freeze window removed."})
}

func (h *Handler) override(c *gin.Context) {
	id := c.Param("id")
	if _, err := h.svc.Override(c.Request.Context(), id, c.PostForm("reason")); err != nil {
		redirect(c, "/deployments/"+url.PathEscape(id), flash{Error: h.logError(c, err), At: "override"})
		return
	}
	redirect(c, "/deployments/"+url.PathEscape(id), flash{OK: "Overridden: the deployment goes ahead."})
}
