// Package mail sends Rivetr's few emails (invitations) over SMTP with the
// standard library: STARTTLS when the server offers it (required before a
// password is sent), implicit TLS on request, PLAIN authentication.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// Sender sends through one SMTP server.
type Sender struct {
	Addr     string // host:port
	From     string
	User     string
	Password string
	// TLS is "starttls" (also the default: upgrade when offered), "tls"
	// (implicit TLS) or "none".
	TLS string
	// TLSConfig overrides the TLS settings (tests use it for their own CA).
	TLSConfig *tls.Config
}

// Message is a plain-text email.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Send delivers m, giving up when ctx ends (at most 30 s).
func (s *Sender) Send(ctx context.Context, m Message) error {
	if s == nil || s.Addr == "" {
		return errors.New("no SMTP server configured (--smtp-addr)")
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("recipient %q: %w", m.To, err)
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("sender %q: %w", s.From, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return err
	}
	tc := s.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("connect to SMTP server %s: %w", s.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if s.TLS == "tls" {
		conn = tls.Client(conn, tc)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP server %s: %w", s.Addr, err)
	}
	defer c.Close()
	if s.TLS != "tls" && s.TLS != "none" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tc); err != nil {
				return fmt.Errorf("STARTTLS with %s: %w", s.Addr, err)
			}
		} else if s.Password != "" {
			return fmt.Errorf("SMTP server %s does not offer STARTTLS; refusing to send the password in the clear (set --smtp-tls none to allow it)", s.Addr)
		}
	}
	if s.User != "" {
		if err := c.Auth(smtp.PlainAuth("", s.User, s.Password, host)); err != nil {
			return fmt.Errorf("SMTP authentication: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("SMTP MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("SMTP RCPT TO %s: %w", to.Address, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if _, err := w.Write(compose(from, to, m)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP server refused the message: %w", err)
	}
	return c.Quit()
}

// compose builds the message: CRLF line ends, an encoded subject, UTF-8
// text sent as 8bit.
func compose(from, to *mail.Address, m Message) []byte {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", time.Now().Format(time.RFC1123Z))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	// Lines starting with "." are escaped by the DATA writer.
	for _, line := range strings.Split(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n") {
		b.WriteString(line + "\r\n")
	}
	return b.Bytes()
}
