package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func (h *Handler) listDomains(c *gin.Context) {
	v, err := h.svc.ListDomains(c.Request.Context(), c.Param("name"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) addDomain(c *gin.Context) {
	var in service.DomainRequest
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.AddDomain(c.Request.Context(), c.Param("name"), in)
	h.respond(c, http.StatusCreated, v, err)
}

func (h *Handler) patchDomain(c *gin.Context) {
	var in service.DomainPatch
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.SetDomainRedirect(c.Request.Context(), c.Param("name"), c.Param("host"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) verifyDomain(c *gin.Context) {
	v, err := h.svc.VerifyDomain(c.Request.Context(), c.Param("name"), c.Param("host"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) removeDomain(c *gin.Context) {
	v, err := h.svc.RemoveDomain(c.Request.Context(), c.Param("name"), c.Param("host"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) domainRoutes() []Route {
	return []Route{
		{"GET", "/api/apps/:name/domains", AuthToken, need(release.PermRead), "An app's domains, the primary first", nil, []service.DomainView{}, 200, h.listDomains},
		{"POST", "/api/apps/:name/domains", AuthToken, need(release.PermEditApp), "Add a domain (redirecting to another of the app's, optionally); the running app answers to it at once (no deploy); its ownership is checked at once", service.DomainRequest{}, []service.DomainView{}, 201, h.addDomain},
		{"PATCH", "/api/apps/:name/domains/:host", AuthToken, need(release.PermEditApp), "Make a domain redirect to another of the app's domains (308, path kept), or serve the app again (\"\")", service.DomainPatch{}, []service.DomainView{}, 200, h.patchDomain},
		{"POST", "/api/apps/:name/domains/:host/verify", AuthToken, need(release.PermEditApp), "Prove a domain this server's now (it resolves here, or its TXT record _rivetr-challenge.HOST holds its token); the CA is asked for a certificate only for proven domains", nil, service.DomainView{}, 200, h.verifyDomain},
		{"DELETE", "/api/apps/:name/domains/:host", AuthToken, need(release.PermEditApp), "Remove a domain (not the last); the running app stops answering to it at once", nil, []service.DomainView{}, 200, h.removeDomain},
	}
}

func (h *Handler) listCertificates(c *gin.Context) {
	v, err := h.svc.ListCertificates(c.Request.Context(), c.Query("app"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) renewCertificate(c *gin.Context) {
	v, err := h.svc.RenewCertificate(c.Request.Context(), c.Param("host"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) uploadCertificate(c *gin.Context) {
	var in service.CertificateUpload
	if !h.decode(c, &in) {
		return
	}
	v, err := h.svc.UploadCertificate(c.Request.Context(), c.Param("host"), in)
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) removeCertificate(c *gin.Context) {
	v, err := h.svc.RemoveCertificate(c.Request.Context(), c.Param("host"))
	h.respond(c, http.StatusOK, v, err)
}

func (h *Handler) certificateRoutes() []Route {
	return []Route{
		{"PUT", "/api/certificates/:host", AuthToken, need(release.PermEditApp), "Serve an uploaded certificate (PEM: the leaf then its chain, and its key) for one of an app's domains instead of one from the CA; refused, with the reason, when the key does not match, it has expired, names another host or lacks its chain", service.CertificateUpload{}, service.CertificateView{}, 200, h.uploadCertificate},
		{"DELETE", "/api/certificates/:host", AuthToken, need(release.PermEditApp), "Drop a domain's uploaded certificate: it gets one from the CA again", nil, service.CertificateView{}, 200, h.removeCertificate},
		{"POST", "/api/certificates/:host/renew", AuthToken, need(release.PermEditApp), "Renew a domain's certificate now, through its app's host (the old one serves meanwhile)", nil, service.CertificateView{}, 200, h.renewCertificate},
		{"GET", "/api/certificates", AuthToken, NeedSignedIn, "The certificates of the domains of the apps the caller may see (?app= for one): status, issuer, expiry, next renewal, last error", nil, []service.CertificateView{}, 200, h.listCertificates},
	}
}
