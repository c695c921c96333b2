package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// The app page is a set of tabs, each its own address under /apps/NAME
// (so a tab can be linked, reloaded and used without JavaScript): the
// overview at /apps/NAME, then /deployments, /logs, /environment,
// /domains, /settings, /webhooks, /policy and /danger. Each tab loads only
// what it shows. Form actions send the browser back to the tab they
// belong to.

// appTab is one tab: its slug (the last path segment; "" for the
// overview), label, icon and the permission that shows it ("" for all
// who may see the app).
type appTab struct {
	Slug, Label, Icon string
	Perm              release.Perm
	// Own hides the tab from teams the app is only shared with.
	Own bool
}

var appTabs = []appTab{
	{Slug: "", Label: "Overview", Icon: "home"},
	{Slug: "deployments", Label: "Deployments", Icon: "rocket"},
	{Slug: "logs", Label: "Logs", Icon: "terminal"},
	{Slug: "environment", Label: "Environment", Icon: "key"},
	{Slug: "domains", Label: "Domains", Icon: "globe"},
	{Slug: "settings", Label: "Settings", Icon: "gear", Perm: release.PermEditApp},
	{Slug: "webhooks", Label: "Webhooks & previews", Icon: "webhook"},
	{Slug: "policy", Label: "Policy", Icon: "shield"},
	{Slug: "danger", Label: "Danger zone", Icon: "alert", Perm: release.PermDeleteApp, Own: true},
}

// tabsFor are the tabs app's viewer sees.
func tabsFor(app *service.AppView) []appTab {
	out := make([]appTab, 0, len(appTabs))
	for _, t := range appTabs {
		if t.Perm != "" && !release.RoleAllows(app.Role, t.Perm) || t.Own && app.Shared {
			continue
		}
		out = append(out, t)
	}
	return out
}

// appPath is the address of an app's tab ("" for the overview).
func appPath(name, tab string) string {
	p := "/apps/" + url.PathEscape(name)
	if tab != "" {
		p += "/" + tab
	}
	return p
}

// errTabHidden is a not-found whose text is said before it.
var errTabHidden = hiddenTab{}

type hiddenTab struct{}

func (hiddenTab) Error() string        { return "" }
func (hiddenTab) Is(target error) bool { return errors.Is(schema.ErrNotFound, target) }

type appData struct {
	App  *service.AppView
	Tab  string
	Tabs []appTab
	appForms
	Deployments []deploymentRow
	// More says older deployments exist than those listed.
	More      bool
	Env       []service.EnvView
	Recurring []service.RecurringDeploy
	// Environments are the app's team's, for the policy form.
	Environments []service.EnvironmentView
	// Webhook (for those who may edit the app) and the newest deliveries.
	Webhook    *service.WebhookInfo
	Deliveries []service.WebhookDelivery
	Previews   []service.PreviewView
	Domains    []domainRow
	// Databases the caller may link to the app (of its team).
	Databases []service.DatabaseView
	Volumes   []service.VolumeView
	// Services are a stack's containers (the overview); ServicesError
	// says why they cannot be listed (Docker down, another host).
	Services      []service.ServiceView
	ServicesError string
	// VolumeBackups are each volume's newest backups (by volume name).
	VolumeBackups map[string][]service.Backup
}

// volumeBackupsShown is how many of a volume's newest backups the
// settings tab lists (the CLI lists them all).
const volumeBackupsShown = 5

// appForms are the forms a tab shows again after a refused submission.
type appForms struct {
	Form      appForm
	Errors    map[string]string
	EnvForm   envForm
	EnvErrors map[string]string
}

type deploymentRow struct {
	service.DeploymentView
	Serving     bool
	CanRollback bool
	CanCancel   bool
}

type envForm struct {
	Key, Value string
	Secret     bool
}

// appPage serves one tab of the app page.
func (h *Handler) appPage(tab string) gin.HandlerFunc {
	return func(c *gin.Context) {
		app, err := h.svc.GetApp(c.Request.Context(), c.Param("name"))
		if err != nil {
			h.fail(c, err)
			return
		}
		h.renderApp(c, http.StatusOK, app, tab, appForms{})
	}
}

// Deployments listed: on the overview, on the deployments tab, and with
// ?all=1 there.
const (
	overviewDeployments = 5
	tabDeployments      = 50
	allDeployments      = 1000
)

func (h *Handler) renderApp(c *gin.Context, status int, app *service.AppView, tab string, forms appForms) {
	tabs := tabsFor(app)
	shown := false
	for _, t := range tabs {
		shown = shown || t.Slug == tab
	}
	if !shown {
		// "Not found: <app>'s settings tab is not shown to your role."
		h.fail(c, fmt.Errorf("%s's %s tab is not shown to your role (%s)%w", app.Name, tab, app.Role, errTabHidden))
		return
	}
	if forms.Form.Name == "" {
		forms.Form = formOf(app)
	}
	d := appData{App: app, Tab: tab, Tabs: tabs, appForms: forms}
	if err := h.loadTab(c, &d); err != nil {
		h.fail(c, err)
		return
	}
	title := app.Name
	for _, t := range tabs {
		if t.Slug == tab && tab != "" {
			title += " · " + t.Label
		}
	}
	h.render(c, status, "app", title, d)
}

// loadTab fills in what d's tab shows.
func (h *Handler) loadTab(c *gin.Context, d *appData) error {
	ctx, app := c.Request.Context(), d.App
	own := !app.Shared
	var err error
	switch d.Tab {
	case "":
		err = h.loadDeployments(c, d, overviewDeployments)
		if err == nil && app.BuildType == detect.Compose {
			if d.Services, err = h.svc.Services(ctx, app.Name); err != nil {
				d.ServicesError, err = "The services cannot be listed: "+h.logError(c, err), nil
			}
		}
	case "deployments":
		n := tabDeployments
		if c.Query("all") != "" {
			n = allDeployments
		}
		if err = h.loadDeployments(c, d, n); err == nil {
			d.Recurring, err = h.svc.ListRecurring(ctx, app.Name)
		}
	case "environment":
		if d.Env, err = h.svc.ListEnv(ctx, app.Name); err != nil || !release.RoleAllows(app.Role, release.PermDatabaseAdmin) || !own {
			return err
		}
		all, err := h.svc.ListDatabases(ctx)
		for _, db := range all {
			if db.Team == app.Team {
				d.Databases = append(d.Databases, db)
			}
		}
		return err
	case "domains":
		domains, err := h.svc.ListDomains(ctx, app.Name)
		if err != nil {
			return err
		}
		certs, err := h.svc.ListCertificates(ctx, app.Name)
		d.Domains = domainRows(domains, certs)
		return err
	case "webhooks":
		if release.RoleAllows(app.Role, release.PermEditApp) && own {
			if d.Webhook, err = h.svc.GetWebhook(ctx, app.Name, baseURL(c), false); err != nil {
				return err
			}
		}
		if d.Deliveries, err = h.svc.ListDeliveries(ctx, app.Name, 10); err == nil {
			d.Previews, err = h.svc.ListPreviews(ctx, app.Name)
		}
	case "settings":
		if d.Volumes, err = h.svc.ListVolumes(ctx, app.Name); err != nil {
			return err
		}
		d.VolumeBackups = map[string][]service.Backup{}
		for _, v := range d.Volumes {
			bs, err := h.svc.ListVolumeBackups(ctx, app.Name, v.Name)
			if err != nil {
				return err
			}
			d.VolumeBackups[v.Name] = bs[:min(len(bs), volumeBackupsShown)]
		}
	case "policy":
		if release.RoleAllows(app.Role, release.PermPolicy) && own && app.Team != "" {
			d.Environments, err = h.svc.ListEnvironments(ctx, app.Team)
		}
	}
	return err
}

// loadDeployments lists the newest n deployments (More when there are
// older ones), each marked with what the caller may do to it.
func (h *Handler) loadDeployments(c *gin.Context, d *appData, n int) error {
	deps, err := h.svc.ListDeployments(c.Request.Context(), d.App.Name, n+1)
	if err != nil {
		return err
	}
	if len(deps) > n {
		deps, d.More = deps[:n], true
	}
	d.Deployments = make([]deploymentRow, 0, len(deps))
	for _, dep := range deps {
		d.Deployments = append(d.Deployments, deploymentRow{
			DeploymentView: dep,
			Serving:        dep.ID == d.App.CurrentDeploymentID,
			CanRollback:    service.CanRollBackTo(d.App.Current, &dep.Deployment, d.App.BuildType == detect.Compose),
			CanCancel:      service.CanCancel(&dep.Deployment),
		})
	}
	return nil
}
