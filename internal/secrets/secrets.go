// Package secrets seals values at rest with AES-256-GCM: secret env vars,
// git tokens and SSH keys are stored as "rvs1:<key id>:<base64 nonce+ciphertext>".
//
// Keys come from RIVETR_SECRET_KEY (base64 of 32 bytes; several separated by
// commas, the first current) or from <data-dir>/secret.key (one base64 key a
// line, the first current), which rivetr server writes with mode 0600 on
// first start. Older keys only open values; everything is sealed with the
// first. Each value is bound to where it is stored (its "context", e.g.
// "env:<app id>:<name>"), so a sealed value copied to another row does not
// open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// EnvKey is the environment variable that holds the keys.
const EnvKey = "RIVETR_SECRET_KEY"

// FileName is the key file in the data dir.
const FileName = "secret.key"

const prefix = "rvs1:"

// KeySize is the length of a key: AES-256.
const KeySize = 32

// ErrNoKey means a value is sealed under a key this process does not have.
var ErrNoKey = errors.New("sealed with a key this process does not have")

// ErrNoKeyring means secrets must be sealed but no key is configured.
var ErrNoKeyring = errors.New("no secret key configured (set RIVETR_SECRET_KEY or start rivetr server once to create <data-dir>/secret.key)")

type key struct {
	id   string
	raw  []byte
	aead cipher.AEAD
}

// Keyring seals with its first key and opens with any of them.
type Keyring struct {
	mu   sync.RWMutex
	keys []key
	// path is the key file the keys came from; "" when they came from the
	// environment.
	path string
}

// New makes a keyring from raw 32-byte keys, the first current.
func New(raw ...[]byte) (*Keyring, error) {
	k := &Keyring{}
	if err := k.set(raw); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Keyring) set(raw [][]byte) error {
	if len(raw) == 0 {
		return errors.New("secrets: no key")
	}
	keys := make([]key, 0, len(raw))
	for _, r := range raw {
		if len(r) != KeySize {
			return fmt.Errorf("secrets: a key must be %d bytes, not %d", KeySize, len(r))
		}
		block, err := aes.NewCipher(r)
		if err != nil {
			return err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return err
		}
		keys = append(keys, key{id: KeyID(r), raw: append([]byte(nil), r...), aead: aead})
	}
	k.mu.Lock()
	k.keys = keys
	k.mu.Unlock()
	return nil
}

// KeyID names a key without revealing it: the first 8 hex digits of its
// SHA-256.
func KeyID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:4])
}

// Generate returns a new random key.
func Generate() []byte {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// Current returns the ID of the key values are sealed with.
func (k *Keyring) Current() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[0].id
}

// IDs returns the IDs of every key, the current first.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]string, len(k.keys))
	for i, x := range k.keys {
		out[i] = x.id
	}
	return out
}

// Path returns the key file the keys came from ("" for the environment).
func (k *Keyring) Path() string { return k.path }

// IsSealed reports whether s is a sealed value.
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// SealedWith returns the key ID a sealed value names ("" if s is not sealed).
func SealedWith(s string) string {
	if !IsSealed(s) {
		return ""
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(s, prefix), ":")
	return id
}

// Seal encrypts plain under the current key, bound to context.
func (k *Keyring) Seal(plain, context string) (string, error) {
	if k == nil {
		return "", ErrNoKeyring
	}
	k.mu.RLock()
	cur := k.keys[0]
	k.mu.RUnlock()
	nonce := make([]byte, cur.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := cur.aead.Seal(nonce, nonce, []byte(plain), []byte(context))
	return prefix + cur.id + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Open decrypts a sealed value stored at context. A value that is not
// sealed (written before sealing existed) is returned as it is.
func (k *Keyring) Open(s, context string) (string, error) {
	if !IsSealed(s) {
		return s, nil
	}
	id, body, ok := strings.Cut(strings.TrimPrefix(s, prefix), ":")
	if !ok {
		return "", errors.New("secrets: malformed sealed value")
	}
	if k == nil {
		return "", fmt.Errorf("value sealed with key %s: %w", id, ErrNoKeyring)
	}
	k.mu.RLock()
	var found *key
	for i := range k.keys {
		if k.keys[i].id == id {
			found = &k.keys[i]
		}
	}
	k.mu.RUnlock()
	if found == nil {
		return "", fmt.Errorf("value %w (key %s; this process has %s): give every Rivetr process the same %s", ErrNoKey, id, strings.Join(k.IDs(), ", "), EnvKey)
	}
	ct, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(ct) < found.aead.NonceSize() {
		return "", errors.New("secrets: malformed sealed value")
	}
	plain, err := found.aead.Open(nil, ct[:found.aead.NonceSize()], ct[found.aead.NonceSize():], []byte(context))
	if err != nil {
		return "", fmt.Errorf("secrets: a sealed value failed authentication (tampered with, or moved from another row): %w", err)
	}
	return string(plain), nil
}

// Sign returns a MAC of msg under the current key, bound to context
// ("KEYID:MAC"): Rivetr signs what it hands to workflows (approval
// decisions) so that a caller reaching Temporal some other way cannot
// forge one.
func (k *Keyring) Sign(msg, context string) (string, error) {
	if k == nil {
		return "", ErrNoKeyring
	}
	k.mu.RLock()
	cur := k.keys[0]
	k.mu.RUnlock()
	return cur.id + ":" + base64.RawStdEncoding.EncodeToString(mac(cur.raw, msg, context)), nil
}

// Verify reports whether sig is Sign's answer for msg and context under
// any key of the ring.
func (k *Keyring) Verify(msg, context, sig string) bool {
	id, body, ok := strings.Cut(sig, ":")
	if k == nil || !ok {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil {
		return false
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, x := range k.keys {
		if x.id == id {
			return hmac.Equal(want, mac(x.raw, msg, context))
		}
	}
	return false
}

// mac is HMAC-SHA256 of msg under a key derived from raw for context (a
// key used for sealing is never used as a MAC key as it is).
func mac(raw []byte, msg, context string) []byte {
	d := hmac.New(sha256.New, raw)
	d.Write([]byte("rivetr sign " + context))
	m := hmac.New(sha256.New, d.Sum(nil))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// NeedsReseal reports whether a stored value should be sealed again: it is
// plain, or sealed under a key that is not the current one.
func (k *Keyring) NeedsReseal(s string) bool {
	return s != "" && (!IsSealed(s) || SealedWith(s) != k.Current())
}

// parseKeys reads base64 keys, one a line or separated by commas; lines
// starting with # are comments.
func parseKeys(text, where string) ([][]byte, error) {
	var out [][]byte
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.Split(line, ",") {
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(f))
			if err != nil || len(b) != KeySize {
				return nil, fmt.Errorf("%s: each key must be base64 of %d random bytes (make one with: head -c 32 /dev/urandom | base64)", where, KeySize)
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no key", where)
	}
	return out, nil
}

// Load returns the keys from RIVETR_SECRET_KEY, else from the key file in
// dataDir. When neither exists and create is set, it writes a new key file
// (mode 0600); otherwise it returns nil and no error: the process then
// cannot open sealed values and says so when it meets one.
func Load(dataDir string, create bool) (*Keyring, error) {
	if env := os.Getenv(EnvKey); env != "" {
		raw, err := parseKeys(env, EnvKey)
		if err != nil {
			return nil, err
		}
		return New(raw...)
	}
	path := filepath.Join(dataDir, FileName)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if !create {
			return nil, nil
		}
		if err := writeKeyFile(path, [][]byte{Generate()}); err != nil {
			return nil, err
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %o); chmod 600 it", path, fi.Mode().Perm())
	}
	raw, err := parseKeys(string(b), path)
	if err != nil {
		return nil, err
	}
	k, err := New(raw...)
	if err != nil {
		return nil, err
	}
	k.path = path
	return k, nil
}

// writeKeyFile replaces the key file atomically, mode 0600.
func writeKeyFile(path string, keys [][]byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("# Rivetr's secret keys (AES-256), base64, the first current. Keep a copy: without it sealed secrets are lost.\n")
	for _, r := range keys {
		sb.WriteString(base64.StdEncoding.EncodeToString(r) + "\n")
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(sb.String()), 0o600); err != nil {
		return fmt.Errorf("write secret key: %w", err)
	}
	f, err := os.Open(tmp)
	if err == nil {
		_ = f.Sync()
		f.Close()
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write secret key: %w", err)
	}
	return nil
}

// Rotate makes a new current key. It writes the key file with the new key
// first and the old ones after, calls reseal (which seals stored values
// again under the new key and reports how many it changed) until a pass
// changes nothing, and then drops the old keys from the file. A crash in
// between leaves every key in the file, so nothing sealed is lost. Keys
// from the environment cannot be rotated here.
func (k *Keyring) Rotate(reseal func() (int, error)) (id string, resealed int, err error) {
	if k.path == "" {
		return "", 0, fmt.Errorf("the keys come from %s: put a new key first (%s=new,old), restart Rivetr (it seals everything with the first key at start), then drop the old one", EnvKey, EnvKey)
	}
	k.mu.RLock()
	old := make([][]byte, len(k.keys))
	for i, x := range k.keys {
		old[i] = x.raw
	}
	k.mu.RUnlock()
	fresh := Generate()
	all := append([][]byte{fresh}, old...)
	if err := writeKeyFile(k.path, all); err != nil {
		return "", 0, err
	}
	if err := k.set(all); err != nil {
		return "", 0, err
	}
	// A value written while the first pass ran may have been sealed with
	// the old key; passes repeat until one finds nothing to do.
	for pass := 0; ; pass++ {
		n, err := reseal()
		if err != nil {
			return "", resealed, fmt.Errorf("reseal secrets (the old keys stay in %s; run the rotation again): %w", k.path, err)
		}
		resealed += n
		if n == 0 {
			break
		}
		if pass == 5 {
			return "", resealed, fmt.Errorf("secrets kept changing during the rotation; the old keys stay in %s; run it again", k.path)
		}
	}
	if err := writeKeyFile(k.path, [][]byte{fresh}); err != nil {
		return "", resealed, err
	}
	if err := k.set([][]byte{fresh}); err != nil {
		return "", resealed, err
	}
	return KeyID(fresh), resealed, nil
}
