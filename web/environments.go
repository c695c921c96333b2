package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// putEnvironment creates an environment (the name comes from the form) or
// changes one (the name is in the path). Unchecked boxes mean false.
func (h *Handler) putEnvironment(c *gin.Context) {
	team := c.Param("team")
	name := c.Param("env")
	creating := name == ""
	if creating {
		name = strings.TrimSpace(c.PostForm("name"))
	}
	req, self := c.PostForm("require_approval") != "", c.PostForm("allow_self_approval") != ""
	in := service.EnvironmentInput{RequireApproval: &req, AllowSelfApproval: &self}
	errs := map[string]string{}
	if v := strings.TrimSpace(c.PostForm("approvals_needed")); v != "" {
		if n, err := strconv.Atoi(v); err != nil {
			errs["approvals_needed"] = "must be a number"
		} else {
			in.ApprovalsNeeded = &n
		}
	}
	if v := strings.TrimSpace(c.PostForm("approval_ttl")); v != "" {
		if d, err := time.ParseDuration(v); err != nil {
			errs["approval_ttl"] = "must be a duration such as 24h or 90m"
		} else {
			sd := schema.Duration(d)
			in.ApprovalTTL = &sd
		}
	}
	var err error
	if len(errs) == 0 {
		_, err = h.svc.PutEnvironment(c.Request.Context(), team, name, in)
	}
	back := "/teams/" + url.PathEscape(team)
	switch {
	case (len(errs) > 0 || err != nil) && creating:
		if err != nil {
			errs = fieldsOf(err, h.logError(c, err))
		}
		h.renderTeam(c, http.StatusBadRequest, teamData{InviteRole: release.RoleDeveloper, EnvErrors: errs, EnvName: name})
	case len(errs) > 0:
		for _, m := range errs {
			redirect(c, back, flash{Error: "Environment " + name + ": " + m})
			return
		}
	case err != nil:
		redirect(c, back, flash{Error: h.logError(c, err)})
	case creating:
		redirect(c, back, flash{OK: "Created environment " + name + ". Put apps in it from their settings."})
	default:
		redirect(c, back, flash{OK: "Environment " + name + " saved."})
	}
}

func (h *Handler) deleteEnvironment(c *gin.Context) {
	team, name := c.Param("team"), c.Param("env")
	back := "/teams/" + url.PathEscape(team)
	if err := h.svc.DeleteEnvironment(c.Request.Context(), team, name); err != nil {
		redirect(c, back, flash{Error: h.logError(c, err)})
		return
	}
	redirect(c, back, flash{OK: "Environment " + name + " deleted."})
}
