package api

import (
	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
)

// Route is one endpoint of the API: what docs/openapi.json describes and
// New mounts. Needs says who may call it: a team permission (see
// release.Matrix), or one of the Need* values; the service checks it, the
// table says it.
type Route struct {
	Method  string
	Path    string // gin syntax: /apps/:name
	Auth    Auth
	Needs   string
	Summary string
	// In is the JSON request body's type (nil: none); Out the success
	// answer's (nil: none); Status the success status.
	In      any
	Out     any
	Status  int
	Handler gin.HandlerFunc `json:"-"`
}

// Auth is how a route's caller proves who they are.
type Auth int

// The kinds of authentication.
const (
	// AuthNone: anyone (a health probe).
	AuthNone Auth = iota
	// AuthToken: Authorization: Bearer <token>, rate-limited per address
	// and per token.
	AuthToken
	// AuthLogin: anyone, rate-limited as sign-ins are.
	AuthLogin
	// AuthInvitation: the invitation's token in the path; a bearer token,
	// when sent, must be valid.
	AuthInvitation
	// AuthWebhook: the git provider's signature over the body, checked
	// with the app's secret.
	AuthWebhook
)

// Needs for routes that take no team permission.
const (
	NeedNone          = "none"
	NeedSignedIn      = "signed in"
	NeedInstanceAdmin = "instance admin"
	NeedSignature     = "webhook signature"
	NeedInvitation    = "invitation link"
	NeedNoOwnerYet    = "admin token, before the owner exists"
)

// need names a team permission in the route table.
func need(p release.Perm) string { return string(p) }

// Routes is the whole API, resource by resource.
func (h *Handler) Routes() []Route {
	var out []Route
	for _, rs := range [][]Route{
		h.statusRoutes(), h.authRoutes(), h.userRoutes(), h.tokenRoutes(), h.teamRoutes(), h.memberRoutes(),
		h.invitationRoutes(), h.environmentRoutes(), h.auditRoutes(), h.appRoutes(), h.domainRoutes(), h.volumeRoutes(), h.dependencyRoutes(), h.certificateRoutes(), h.envRoutes(),
		h.scheduleRoutes(), h.webhookRoutes(), h.previewRoutes(), h.deploymentRoutes(), h.approvalRoutes(),
		h.freezeRoutes(), h.databaseRoutes(), h.backupRoutes(), h.templateRoutes(),
	} {
		out = append(out, rs...)
	}
	return out
}
