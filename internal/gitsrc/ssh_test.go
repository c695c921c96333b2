package gitsrc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/egress"

	"golang.org/x/crypto/ssh"
)

// sshGitServer serves git repositories over SSH like a forge does for
// deploy keys: public-key auth, then `git-upload-pack '<path>'` exec requests
// answered by the real git-upload-pack.
func sshGitServer(t *testing.T, allowed ssh.PublicKey) string {
	t.Helper()
	if _, err := exec.LookPath("git-upload-pack"); err != nil {
		t.Skip("git-upload-pack not installed")
	}
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(hostPriv)
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if bytes.Equal(key.Marshal(), allowed.Marshal()) {
			return &ssh.Permissions{}, nil
		}
		return nil, errors.New("unknown key")
	}}
	cfg.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go serveSSH(conn, cfg)
		}
	}()
	return l.Addr().String()
}

func serveSSH(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	_, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, reqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for req := range reqs {
				if req.Type != "exec" {
					req.Reply(false, nil)
					continue
				}
				n := binary.BigEndian.Uint32(req.Payload[:4])
				command := string(req.Payload[4 : 4+n])
				prog, path, _ := strings.Cut(command, " ")
				if prog != "git-upload-pack" {
					req.Reply(false, nil)
					return
				}
				req.Reply(true, nil)
				cmd := exec.Command(prog, strings.Trim(path, "'"))
				cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
				status := uint32(0)
				if err := cmd.Run(); err != nil {
					status = 1
				}
				ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, status))
				return
			}
		}()
	}
}

func deployKey(t *testing.T) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "deploy key")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	return string(pem.EncodeToMemory(block)), sshPub
}

func TestSSHDeployKey(t *testing.T) {
	dir, _, second, _ := repo(t)
	key, pub := deployKey(t)
	addr := sshGitServer(t, pub)
	url := fmt.Sprintf("ssh://git@%s%s", addr, dir)
	ctx := context.Background()

	// Attack: an SSH remote on this server's loopback is refused by the
	// default egress policy.
	if _, err := ResolveBranch(ctx, url, "main", Auth{SSHKey: key}); !errors.Is(err, egress.ErrRefused) {
		t.Fatalf("loopback under the default policy: %v", err)
	}
	lo := egress.MustParse("127.0.0.1")
	head, err := ResolveBranch(ctx, url, "main", Auth{SSHKey: key, Egress: lo})
	if err != nil || head != second {
		t.Fatalf("resolve over ssh: %s %v", head, err)
	}
	c, err := Checkout(ctx, url, "main", "", filepath.Join(t.TempDir(), "src"), Auth{SSHKey: key, Egress: lo})
	if err != nil || c.SHA != second {
		t.Fatalf("checkout over ssh: %+v %v", c, err)
	}

	other, _ := deployKey(t)
	if _, err := ResolveBranch(ctx, url, "main", Auth{SSHKey: other, Egress: lo}); !errors.Is(err, ErrAuth) {
		t.Fatalf("unknown deploy key: %v", err)
	}
	if _, err := ResolveBranch(ctx, url, "main", Auth{SSHKey: "not a key", Egress: lo}); !errors.Is(err, ErrAuth) {
		t.Fatalf("unreadable deploy key: %v", err)
	}
	// No key at all: what to do, not the SSH agent's complaint.
	if _, err := ResolveBranch(ctx, url, "main", Auth{Egress: lo}); !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "--ssh-key-file") || strings.Contains(err.Error(), "SSH_AUTH_SOCK") {
		t.Fatalf("no deploy key: %v", err)
	}
}
