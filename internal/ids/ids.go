// Package ids makes the identifiers Rivetr gives to deployments, apps and
// tokens.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

// encoding is lower-case Crockford-like base32 without padding: IDs appear in
// URLs, container names, image tags and Temporal workflow IDs, so they must be
// lower case and free of punctuation.
var encoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// New returns a 16-character identifier that sorts by creation time (48 bits
// of milliseconds, then 32 random bits), so listing by ID lists by age.
func New() string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	return strings.ToLower(encoding.EncodeToString(b[:]))
}

// Token returns a random secret of n bytes, encoded for use in a header.
func Token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return encoding.EncodeToString(b)
}
