package mail

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rivetr/rivetr/internal/testsmtp"
)

func TestSendOverSTARTTLSWithAuth(t *testing.T) {
	srv, err := testsmtp.Start(testsmtp.Options{STARTTLS: true, User: "rivetr", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := &Sender{Addr: srv.Addr, From: "Rivetr <rivetr@example.com>", User: "rivetr", Password: "pw", TLSConfig: srv.ClientTLS()}
	err = s.Send(context.Background(), Message{To: "ada@example.com", Subject: "Join team ünïcode", Body: "Hello\n.dot line\nbye"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := srv.WaitFor("ada@example.com", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "rivetr@example.com" || !strings.Contains(m.Data, "Subject: =?utf-8?q?Join_team_=C3=BCn=C3=AFcode?=") ||
		!strings.Contains(m.Data, "\r\n.dot line\r\n") {
		t.Fatalf("message: from %s\n%s", m.From, m.Data)
	}

	bad := *s
	bad.Password = "wrong"
	if err := bad.Send(context.Background(), Message{To: "ada@example.com", Subject: "x", Body: "y"}); err == nil || !strings.Contains(err.Error(), "authentication") {
		t.Fatalf("a wrong password: %v", err)
	}
}

func TestNoPasswordInTheClear(t *testing.T) {
	srv, err := testsmtp.Start(testsmtp.Options{User: "rivetr", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := &Sender{Addr: srv.Addr, From: "rivetr@example.com", User: "rivetr", Password: "pw"}
	if err := s.Send(context.Background(), Message{To: "a@example.com", Subject: "x", Body: "y"}); err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("password over a plain connection: %v", err)
	}
	s.TLS = "none"
	if err := s.Send(context.Background(), Message{To: "a@example.com", Subject: "x", Body: "y"}); err != nil {
		t.Fatalf("with --smtp-tls none: %v", err)
	}
	if err := (&Sender{Addr: "127.0.0.1:1", From: "r@example.com"}).Send(context.Background(), Message{To: "a@example.com"}); err == nil || !strings.Contains(err.Error(), "connect to SMTP server") {
		t.Fatalf("no server: %v", err)
	}
}
