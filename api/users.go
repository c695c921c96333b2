package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/rivetr/rivetr/internal/service"
)

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

func (h *Handler) rotateSecretKey(c *gin.Context) {
	v, err := h.svc.RotateSecretKey(c.Request.Context())
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) userRoutes() []Route {
	return []Route{
		{"POST", "/api/setup/owner", AuthToken, NeedNoOwnerYet, "Create the instance owner", service.UserInput{}, service.OwnerResult{}, 201, h.createOwner},
		{"POST", "/api/admin/migrate-teams", AuthToken, NeedInstanceAdmin, "Move apps from before teams into the default team", nil, service.OwnerResult{}, 200, h.migrateTeams},
		{"POST", "/api/admin/secrets/rotate", AuthToken, NeedInstanceAdmin, "Rotate the secret key and reseal every secret", nil, service.KeyRotation{}, 200, h.rotateSecretKey},
		{"GET", "/api/users", AuthToken, NeedInstanceAdmin, "List users", nil, []service.User{}, 200, h.listUsers},
		{"POST", "/api/users", AuthToken, NeedInstanceAdmin, "Create a user", service.UserInput{}, service.UserView{}, 201, h.createUser},
		{"PUT", "/api/users/:user/password", AuthToken, NeedInstanceAdmin, "Reset a user's password", PasswordRequest{}, nil, 204, h.resetPassword},
	}
}
