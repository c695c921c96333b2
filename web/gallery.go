package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// The template gallery (/templates): the catalog's services as cards by
// category, each with a page of its own (/templates/NAME) whose form
// deploys it. The result page shows the values Rivetr generated, this
// once.

type galleryData struct {
	Templates  []service.TemplateView
	Categories []string
	Category   string
	Query      string
}

func (h *Handler) templatesPage(c *gin.Context) {
	ctx := c.Request.Context()
	all, err := h.svc.ListTemplates(ctx, "")
	if err != nil {
		h.fail(c, err)
		return
	}
	d := galleryData{Category: c.Query("category"), Query: strings.TrimSpace(c.Query("q"))}
	q := strings.ToLower(d.Query)
	for _, t := range all {
		if !slices.Contains(d.Categories, t.Category) {
			d.Categories = append(d.Categories, t.Category)
		}
		if d.Category != "" && t.Category != d.Category {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(t.Name+" "+t.Title+" "+t.Description), q) {
			continue
		}
		d.Templates = append(d.Templates, t)
	}
	slices.Sort(d.Categories)
	h.render(c, http.StatusOK, "gallery", "Templates", d)
}

// templateForm is the deploy form as typed.
type templateForm struct {
	Name, Domains, Team string
	Set                 map[string]string
}

type templateData struct {
	Template *service.TemplateView
	Teams    []service.TeamView
	Form     templateForm
	Errors   map[string]string
	// Deployed is set once the template is deployed.
	Deployed *service.TemplateDeployed
}

func (h *Handler) templatePage(c *gin.Context) {
	h.renderTemplate(c, http.StatusOK, templateForm{Set: map[string]string{}}, nil, nil)
}

func (h *Handler) renderTemplate(c *gin.Context, status int, form templateForm, errs map[string]string, done *service.TemplateDeployed) {
	ctx := c.Request.Context()
	t, err := h.svc.Template(ctx, c.Param("template"))
	if err != nil {
		h.fail(c, err)
		return
	}
	teams, err := h.svc.TeamsFor(ctx, release.PermCreateApp)
	if err != nil {
		h.fail(c, err)
		return
	}
	if form.Name == "" && done == nil {
		form.Name = t.Name
	}
	h.render(c, status, "template", t.Title, templateData{Template: t, Teams: teams, Form: form, Errors: errs, Deployed: done})
}

// deployTemplate makes the app and deploys it; the page it answers with
// shows the generated values (never stored in the page's URL).
func (h *Handler) deployTemplate(c *gin.Context) {
	form := templateForm{Name: strings.TrimSpace(c.PostForm("name")), Domains: strings.TrimSpace(c.PostForm("domains")), Team: c.PostForm("team"), Set: map[string]string{}}
	t, err := h.svc.Template(c.Request.Context(), c.Param("template"))
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, v := range t.Variables {
		if val := strings.TrimSpace(c.PostForm("var_" + v.Name)); val != "" {
			form.Set[v.Name] = val
		}
	}
	domains := strings.FieldsFunc(form.Domains, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	res, err := h.svc.DeployTemplate(c.Request.Context(), t.Name, service.TemplateDeployRequest{
		Name: form.Name, Team: form.Team, Domains: domains, Set: form.Set, Trigger: service.TriggerDashboard,
	})
	if err != nil {
		h.renderTemplate(c, http.StatusBadRequest, form, fieldsOf(err, h.logError(c, err)), nil)
		return
	}
	c.Header("Cache-Control", "no-store") // generated passwords
	h.renderTemplate(c, http.StatusCreated, form, nil, res)
}
