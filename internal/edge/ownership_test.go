package edge

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/testdns"
)

// A domain is this server's when it resolves to one of its addresses (an
// interface's, or --public-ip) or its challenge TXT record holds its
// token; another token, another address or no record proves nothing, and
// the reason says what to set.
func TestOwnership(t *testing.T) {
	t.Parallel()
	world := testdns.New("own.test")
	resolver := world.DNSServer(t, "unused.", "dW51c2Vk")
	world.SetA("here.own.test", "127.0.0.1")
	world.SetA("nat.own.test", "198.51.100.7")
	world.SetA("far.own.test", "192.0.2.44")
	world.SetA("rivetr-check.wild.own.test", "127.0.0.1")
	world.SetA("txt.own.test", "192.0.2.44")
	world.SetTXT("_rivetr-challenge.txt.own.test", "rivetr-verify=good-token")
	world.SetA("wrong.own.test", "192.0.2.44")
	world.SetTXT("_rivetr-challenge.wrong.own.test", "rivetr-verify=someone-elses")
	zones := &DNSConfig{Zones: []DNSZone{{Zone: "zoned.test"}}}
	o := NewOwnership(resolver, []string{"198.51.100.7"}, zones)
	ctx := context.Background()
	for host, want := range map[string]string{
		"here.own.test": release.VerifiedByDNS, "nat.own.test": release.VerifiedByDNS, "*.wild.own.test": release.VerifiedByDNS,
		"txt.own.test": release.VerifiedByTXT, "a.zoned.test": release.VerifiedByZone,
	} {
		if how, err := o.Check(ctx, host, "good-token"); err != nil || how != want {
			t.Errorf("%s: %q %v, want %s", host, how, err, want)
		}
	}
	for host, want := range map[string]string{
		"far.own.test":     "far.own.test resolves to 192.0.2.44, not to this server",
		"wrong.own.test":   "resolves to 192.0.2.44",
		"nowhere.own.test": "does not resolve",
	} {
		_, err := o.Check(ctx, host, "good-token")
		var oe *OwnershipError
		if !errors.As(err, &oe) || !strings.Contains(oe.Reason, want) || !strings.Contains(oe.Reason, `_rivetr-challenge.`+host+` holding "rivetr-verify=good-token"`) {
			t.Errorf("%s: %v, want …%s… and the record to set", host, err, want)
		}
	}
}
