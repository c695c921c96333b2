package web

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// domainRow is one of an app's domains on its page, with its certificate.
type domainRow struct {
	service.DomainView
	Cert *service.CertificateView
	// Others are the app's other domains, the redirect choices.
	Others []string
}

// domainRows joins an app's domains and their certificates.
func domainRows(ds []service.DomainView, certs []service.CertificateView) []domainRow {
	byHost := map[string]*service.CertificateView{}
	for i := range certs {
		byHost[certs[i].Host] = &certs[i]
	}
	out := make([]domainRow, 0, len(ds))
	for _, d := range ds {
		r := domainRow{DomainView: d, Cert: byHost[d.Host]}
		for _, o := range ds {
			if o.Host != d.Host && !strings.HasPrefix(o.Host, "*.") {
				r.Others = append(r.Others, o.Host)
			}
		}
		out = append(out, r)
	}
	return out
}

func domainsBack(name string) string { return appPath(name, "domains") }

func (h *Handler) addDomain(c *gin.Context) {
	name := c.Param("name")
	host := strings.TrimSpace(c.PostForm("host"))
	views, err := h.svc.AddDomain(c.Request.Context(), name, service.DomainRequest{Host: host, RedirectTo: strings.TrimSpace(c.PostForm("redirect_to"))})
	if err != nil {
		redirect(c, domainsBack(name), flash{Error: h.logError(c, err), At: "domains"})
		return
	}
	host = release.NormalizeDomain(host)
	msg := name + " answers to " + host + " now."
	for _, v := range views {
		if v.Host == host && v.Problem != "" {
			msg += " It gets no certificate until it points here: " + v.Problem
		}
	}
	redirect(c, domainsBack(name), flash{OK: msg})
}

func (h *Handler) removeDomain(c *gin.Context) {
	name, host := c.Param("name"), c.Param("host")
	if _, err := h.svc.RemoveDomain(c.Request.Context(), name, host); err != nil {
		redirect(c, domainsBack(name), flash{Error: h.logError(c, err), At: "domains"})
		return
	}
	redirect(c, domainsBack(name), flash{OK: name + " no longer answers to " + host + "."})
}

func (h *Handler) verifyDomain(c *gin.Context) {
	name, host := c.Param("name"), c.Param("host")
	if _, err := h.svc.VerifyDomain(c.Request.Context(), name, host); err != nil {
		redirect(c, domainsBack(name), flash{Error: h.logError(c, err), At: "domains"})
		return
	}
	redirect(c, domainsBack(name), flash{OK: host + " is proven to point here; its certificate is asked for at its first HTTPS request."})
}

func (h *Handler) redirectDomain(c *gin.Context) {
	name, host := c.Param("name"), c.Param("host")
	target := strings.TrimSpace(c.PostForm("redirect_to"))
	if _, err := h.svc.SetDomainRedirect(c.Request.Context(), name, host, service.DomainPatch{RedirectTo: &target}); err != nil {
		redirect(c, domainsBack(name), flash{Error: h.logError(c, err), At: "domains"})
		return
	}
	msg := host + " serves " + name + " again."
	if target != "" {
		msg = host + " redirects to " + target + " now."
	}
	redirect(c, domainsBack(name), flash{OK: msg})
}

func (h *Handler) uploadCertificate(c *gin.Context) {
	name, host := c.Param("name"), c.Param("host")
	in := service.CertificateUpload{Cert: c.PostForm("cert"), Key: c.PostForm("key")}
	v, err := h.svc.UploadCertificate(c.Request.Context(), host, in)
	if err != nil {
		redirect(c, domainsBack(name), flash{Error: h.logError(c, err), At: "domains"})
		return
	}
	redirect(c, domainsBack(name), flash{OK: host + " serves the uploaded certificate (" + v.Issuer + ", until " + v.NotAfter.UTC().Format("2 Jan 2006") + "); renew it yourself before then."})
}

func (h *Handler) removeCertificate(c *gin.Context) {
	name, host := c.Param("name"), c.Param("host")
	if _, err := h.svc.RemoveCertificate(c.Request.Context(), host); err != nil {
		redirect(c, domainsBack(name), flash{Error: h.logError(c, err), At: "domains"})
		return
	}
	redirect(c, domainsBack(name), flash{OK: host + " gets its certificate from the CA again."})
}

func (h *Handler) renewCertificate(c *gin.Context) {
	name, host := c.Param("name"), c.Param("host")
	if _, err := h.svc.RenewCertificate(c.Request.Context(), host); err != nil {
		redirect(c, domainsBack(name), flash{Error: h.logError(c, err), At: "domains"})
		return
	}
	redirect(c, domainsBack(name), flash{OK: "Renewed the certificate of " + host + "."})
}
