package secrets

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k, err := New(Generate())
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := k.Seal("hunter2", "env:a:K")
	s2, _ := k.Seal("hunter2", "env:a:K")
	if s1 == s2 || !IsSealed(s1) || strings.Contains(s1, "hunter2") || SealedWith(s1) != k.Current() {
		t.Fatalf("sealed %q / %q", s1, s2)
	}
	if got, err := k.Open(s1, "env:a:K"); err != nil || got != "hunter2" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := k.Open(s1, "env:b:K"); err == nil {
		t.Fatal("opened under another context")
	}
	// Two base64 characters changed (never to what they were: "AA" on a
	// value ending in "AA" would change nothing).
	end := "AA"
	if strings.HasSuffix(s1, end) {
		end = "BB"
	}
	tampered := s1[:len(s1)-2] + end
	if _, err := k.Open(tampered, "env:a:K"); err == nil {
		t.Fatal("opened a tampered value")
	}
	if got, _ := k.Open("legacy plain", "x"); got != "legacy plain" {
		t.Fatal("plain values pass through")
	}
	other, _ := New(Generate())
	if _, err := other.Open(s1, "env:a:K"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("foreign key: %v", err)
	}
	var none *Keyring
	if _, err := none.Seal("x", "c"); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("nil keyring seals: %v", err)
	}
	// Old keys still open; the first seals.
	both, _ := New(Generate(), mustRaw(t, k))
	if got, err := both.Open(s1, "env:a:K"); err != nil || got != "hunter2" || !both.NeedsReseal(s1) {
		t.Fatalf("old key: %q %v", got, err)
	}
}

func mustRaw(t *testing.T, k *Keyring) []byte {
	t.Helper()
	return k.keys[0].raw
}

func TestLoadAndRotate(t *testing.T) {
	t.Setenv(EnvKey, "")
	dir := t.TempDir()
	if k, err := Load(dir, false); k != nil || err != nil {
		t.Fatalf("no key and no create: %v %v", k, err)
	}
	k, err := Load(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	sealed, _ := k.Seal("v", "c")
	again, err := Load(dir, true)
	if err != nil || again.Current() != k.Current() {
		t.Fatalf("reload: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := Load(dir, true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key file: %v", err)
	}
	os.Chmod(path, 0o600)

	oldID := k.Current()
	calls := 0
	id, n, err := k.Rotate(func() (int, error) {
		calls++
		// The file holds the new key and the old one while resealing.
		b, _ := os.ReadFile(path)
		if strings.Count(string(b), "\n") != 3 {
			t.Errorf("during the rotation the key file is:\n%s", b)
		}
		if calls == 1 {
			return 1, nil
		}
		return 0, nil
	})
	if err != nil || id == oldID || n != 1 || calls != 2 || k.Current() != id {
		t.Fatalf("rotate: %s %d %v (calls %d)", id, n, err, calls)
	}
	if _, err := k.Open(sealed, "c"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("the old key should be gone: %v", err)
	}
	reloaded, _ := Load(dir, false)
	if reloaded.Current() != id || len(reloaded.IDs()) != 1 {
		t.Fatalf("the file after rotation: %v", reloaded.IDs())
	}

	// Keys from the environment: several, the first current; not rotatable.
	a, b := Generate(), Generate()
	t.Setenv(EnvKey, base64.StdEncoding.EncodeToString(a)+","+base64.StdEncoding.EncodeToString(b))
	ek, err := Load(t.TempDir(), true)
	if err != nil || ek.Current() != KeyID(a) || len(ek.IDs()) != 2 {
		t.Fatalf("env keys: %v", err)
	}
	if _, _, err := ek.Rotate(func() (int, error) { return 0, nil }); err == nil || !strings.Contains(err.Error(), "RIVETR_SECRET_KEY=new,old") {
		t.Fatalf("rotating env keys: %v", err)
	}
	t.Setenv(EnvKey, "not base64!")
	if _, err := Load(t.TempDir(), true); err == nil || !strings.Contains(err.Error(), "head -c 32 /dev/urandom | base64") {
		t.Fatalf("a bad env key: %v", err)
	}
}

func TestSignAndVerify(t *testing.T) {
	old, err := New(Generate())
	if err != nil {
		t.Fatal(err)
	}
	sig, err := old.Sign("approve d1 by u1", "decision")
	if err != nil {
		t.Fatal(err)
	}
	if !old.Verify("approve d1 by u1", "decision", sig) {
		t.Fatal("its own signature does not verify")
	}
	for name, c := range map[string][3]string{
		"another message": {"approve d1 by u2", "decision", sig},
		"another context": {"approve d1 by u1", "other", sig},
		"garbage":         {"approve d1 by u1", "decision", "x"},
		"unsigned":        {"approve d1 by u1", "decision", ""},
	} {
		if old.Verify(c[0], c[1], c[2]) {
			t.Errorf("%s verifies", name)
		}
	}
	other, _ := New(Generate())
	if other.Verify("approve d1 by u1", "decision", sig) {
		t.Fatal("another key verifies the signature")
	}
	var none *Keyring
	if none.Verify("approve d1 by u1", "decision", sig) {
		t.Fatal("no keyring verifies")
	}
}
