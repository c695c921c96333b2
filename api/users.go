package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/service"
)

// respond writes v with status, or the error.
func (h *Handler) respond(c *gin.Context, status int, v any, err error) {
	if err != nil {
		h.writeError(c, err)
		return
	}
	if v == nil {
		c.Status(status)
		return
	}
	c.JSON(status, v)
}

// LoginRequest exchanges an email and password for an API token.
type LoginRequest struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	TokenName string `json:"token_name,omitempty"`
}

func (h *Handler) login(c *gin.Context) {
	var in LoginRequest
	if !h.decode(c, &in) {
		return
	}
	// Per account as well as per address: many addresses guessing one
	// password are stopped too.
	if !h.allow(c, h.limits.Login, "account:"+strings.ToLower(strings.TrimSpace(in.Email)), "sign-ins to this account") {
		return
	}
	tok, err := h.svc.LoginForToken(c.Request.Context(), in.Email, in.Password, in.TokenName)
	h.respond(c, http.StatusCreated, tok, err)
}

func (h *Handler) me(c *gin.Context) {
	v, err := h.svc.Me(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createOwner(c *gin.Context) {
	var in service.UserInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateOwner(c.Request.Context(), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) migrateTeams(c *gin.Context) {
	v, err := h.svc.MigrateTeams(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) listUsers(c *gin.Context) {
	v, err := h.svc.ListUsers(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createUser(c *gin.Context) {
	var in service.UserInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateUser(c.Request.Context(), in)
	h.respond(c, http.StatusCreated, v, err)
}

// PasswordRequest sets a password.
type PasswordRequest struct {
	Password string `json:"password"`
}

func (h *Handler) resetPassword(c *gin.Context) {
	var in PasswordRequest
	if !h.decode(c, &in) {
		return
	}
	h.respond(c, http.StatusNoContent, nil, h.svc.ResetPassword(c.Request.Context(), c.Param("user"), in.Password))
}

func (h *Handler) listTokens(c *gin.Context) {
	v, err := h.svc.ListTokens(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createToken(c *gin.Context) {
	var in service.TokenInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateToken(c.Request.Context(), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) revokeToken(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.RevokeToken(c.Request.Context(), c.Param("id")))
}

func (h *Handler) listTeams(c *gin.Context) {
	v, err := h.svc.ListTeams(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createTeam(c *gin.Context) {
	var in service.TeamInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateTeam(c.Request.Context(), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) deleteTeam(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeleteTeam(c.Request.Context(), c.Param("team")))
}

func (h *Handler) listMembers(c *gin.Context) {
	v, err := h.svc.ListMembers(c.Request.Context(), c.Param("team"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) putMember(c *gin.Context) {
	var in service.MemberInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.PutMember(c.Request.Context(), c.Param("team"), c.Param("user"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) removeMember(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.RemoveMember(c.Request.Context(), c.Param("team"), c.Param("user")))
}

func (h *Handler) listEnvironments(c *gin.Context) {
	v, err := h.svc.ListEnvironments(c.Request.Context(), c.Param("team"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) putEnvironment(c *gin.Context) {
	var in service.EnvironmentInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.PutEnvironment(c.Request.Context(), c.Param("team"), c.Param("env"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) deleteEnvironment(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeleteEnvironment(c.Request.Context(), c.Param("team"), c.Param("env")))
}

func (h *Handler) getWebhook(c *gin.Context) {
	v, err := h.svc.GetWebhook(c.Request.Context(), c.Param("name"), baseURL(c), false)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) rotateWebhook(c *gin.Context) {
	v, err := h.svc.GetWebhook(c.Request.Context(), c.Param("name"), baseURL(c), true)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) listDeliveries(c *gin.Context) {
	v, err := h.svc.ListDeliveries(c.Request.Context(), c.Param("name"), intQuery(c, "limit", 100))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) listPreviews(c *gin.Context) {
	v, err := h.svc.ListPreviews(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) deletePreview(c *gin.Context) {
	pr, err := strconv.Atoi(c.Param("pr"))
	if err != nil || pr <= 0 {
		h.fail(c, http.StatusBadRequest, "invalid", "the pull request number must be a positive number", nil)
		return
	}
	h.respond(c, http.StatusAccepted, nil, h.svc.DeletePreview(c.Request.Context(), c.Param("name"), pr))
}

func (h *Handler) listDatabases(c *gin.Context) {
	v, err := h.svc.ListDatabases(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createDatabase(c *gin.Context) {
	var in service.DatabaseInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateDatabase(c.Request.Context(), in)
	h.respond(c, http.StatusAccepted, v, err)
}

func (h *Handler) getDatabase(c *gin.Context) {
	v, err := h.svc.GetDatabase(c.Request.Context(), c.Param("name"), c.Query("reveal") == "1" || c.Query("reveal") == "true")
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) databaseAction(c *gin.Context, op string, purge bool) {
	v, err := h.svc.DatabaseAction(c.Request.Context(), c.Param("name"), op, purge)
	h.respond(c, http.StatusAccepted, v, err)
}

func (h *Handler) deleteDatabase(c *gin.Context) {
	h.databaseAction(c, "delete", c.Query("purge") == "1" || c.Query("purge") == "true")
}
func (h *Handler) startDatabase(c *gin.Context) { h.databaseAction(c, "start", false) }
func (h *Handler) stopDatabase(c *gin.Context)  { h.databaseAction(c, "stop", false) }

// LinkRequest links a database to an app.
type LinkRequest struct {
	App    string `json:"app"`
	Prefix string `json:"prefix,omitempty"`
}

func (h *Handler) linkDatabase(c *gin.Context) {
	var in LinkRequest
	if !h.decode(c, &in) {
		return
	}
	keys, err := h.svc.LinkDatabase(c.Request.Context(), c.Param("name"), in.App, in.Prefix)
	h.respond(c, http.StatusOK, map[string]any{"app": in.App, "vars": keys}, err)
}

func (h *Handler) listBackups(c *gin.Context) {
	v, err := h.svc.ListBackups(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

// backupNow starts a backup; with ?wait=1 it answers when the backup has
// ended (409 with the reason when it failed).
func (h *Handler) backupNow(c *gin.Context) {
	wait := c.Query("wait") == "1" || c.Query("wait") == "true"
	v, err := h.svc.BackupNow(c.Request.Context(), c.Param("name"), wait, c.Query("volume") == "1" || c.Query("volume") == "true")
	status := http.StatusAccepted
	if wait {
		status = http.StatusOK
	}
	h.respond(c, status, v, err)
}

func (h *Handler) downloadBackup(c *gin.Context) {
	r, name, size, err := h.svc.OpenBackup(c.Request.Context(), c.Param("name"), c.Param("id"))
	if err != nil {
		h.writeError(c, err)
		return
	}
	defer r.Close()
	c.DataFromReader(http.StatusOK, size, "application/gzip", r, map[string]string{"Content-Disposition": `attachment; filename="` + name + `"`})
}

// RestoreRequest restores a backup, into its database or a new one.
type RestoreRequest struct {
	Backup string `json:"backup"`
	To     string `json:"to,omitempty"`
}

func (h *Handler) restore(c *gin.Context) {
	var in RestoreRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Restore(c.Request.Context(), c.Param("name"), in.Backup, in.To)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) getPolicy(c *gin.Context) {
	v, err := h.svc.GetBackupPolicy(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) setPolicy(c *gin.Context) {
	var in service.PolicyInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.SetBackupPolicy(c.Request.Context(), c.Param("name"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) revokeCurrentToken(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.RevokeCurrentToken(c.Request.Context()))
}

func (h *Handler) rotateSecretKey(c *gin.Context) {
	v, err := h.svc.RotateSecretKey(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) audit(c *gin.Context) {
	before, _ := strconv.ParseUint(c.Query("before"), 10, 64)
	v, err := h.svc.Audit(c.Request.Context(), service.AuditQuery{
		Team: c.Query("team"), Actor: c.Query("actor"), Action: c.Query("action"), Target: c.Query("target"),
		Before: before, Limit: intQuery(c, "limit", 100),
	})
	h.respond(c, http.StatusOK, v, err)
}

// baseURL is the address the caller reached the server at, for links.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

func (h *Handler) invite(c *gin.Context) {
	var in service.InvitationInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Invite(c.Request.Context(), c.Param("team"), in, baseURL(c))
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) listInvitations(c *gin.Context) {
	v, err := h.svc.ListInvitations(c.Request.Context(), c.Param("team"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) revokeInvitation(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.RevokeInvitation(c.Request.Context(), c.Param("team"), c.Param("id")))
}

func (h *Handler) getInvitation(c *gin.Context) {
	v, err := h.svc.Invitation(c.Request.Context(), c.Param("token"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) acceptInvitation(c *gin.Context) {
	var in service.AcceptInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.AcceptInvitation(c.Request.Context(), c.Param("token"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) declineInvitation(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeclineInvitation(c.Request.Context(), c.Param("token")))
}

func (h *Handler) shareApp(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.ShareApp(c.Request.Context(), c.Param("name"), c.Param("team")))
}

func (h *Handler) unshareApp(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.UnshareApp(c.Request.Context(), c.Param("name"), c.Param("team")))
}

// DecisionRequest approves or rejects a deployment.
type DecisionRequest struct {
	Comment string `json:"comment,omitempty"`
}

func (h *Handler) approve(c *gin.Context) {
	var in DecisionRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Approve(c.Request.Context(), c.Param("id"), in.Comment)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) reject(c *gin.Context) {
	var in DecisionRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Reject(c.Request.Context(), c.Param("id"), in.Comment)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) pendingApprovals(c *gin.Context) {
	v, err := h.svc.PendingApprovals(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

// RescheduleRequest moves a scheduled deployment: a new time, or a delay
// from now.
type RescheduleRequest struct {
	At *time.Time `json:"at,omitempty"`
	In string     `json:"in,omitempty"`
}

func (h *Handler) reschedule(c *gin.Context) {
	var in RescheduleRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Reschedule(c.Request.Context(), c.Param("id"), in.At, in.In)
	h.respond(c, http.StatusOK, v, err)
}

// OverrideRequest runs a frozen deployment now.
type OverrideRequest struct {
	Reason string `json:"reason"`
}

func (h *Handler) override(c *gin.Context) {
	var in OverrideRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.Override(c.Request.Context(), c.Param("id"), in.Reason)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) listFreezes(c *gin.Context) {
	v, err := h.svc.ListFreezes(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createFreeze(c *gin.Context) {
	var in service.FreezeInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateFreeze(c.Request.Context(), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) deleteFreeze(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeleteFreeze(c.Request.Context(), c.Param("id")))
}

func (h *Handler) listRecurring(c *gin.Context) {
	v, err := h.svc.ListRecurring(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) createRecurring(c *gin.Context) {
	var in service.RecurringInput
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.CreateRecurring(c.Request.Context(), c.Param("name"), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) deleteRecurring(c *gin.Context) {
	h.respond(c, http.StatusNoContent, nil, h.svc.DeleteRecurring(c.Request.Context(), c.Param("name"), c.Param("id")))
}

func (h *Handler) diff(c *gin.Context) {
	v, err := h.svc.Diff(c.Request.Context(), c.Param("id"))
	h.respond(c, http.StatusOK, v, err)
}
