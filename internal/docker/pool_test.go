package docker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
)

func TestParsePool(t *testing.T) {
	for in, want := range map[string]string{
		"10.222.0.0/16": "", "10.222.7.0/24": "", "10.0.0.0/8": "",
		"10.222.0.0/25": "smaller than one /24", "fd00::/64": "not an IPv4", "nope": "not an IPv4",
	} {
		_, err := ParsePool(in)
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

// Networks made from the pool take its /24s in turn, skipping one in use,
// until it is used up (against the host's dockerd).
func TestNetworksFromThePool(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		t.Skipf("no dockerd: %v", err)
	}
	// A /22 whose second /24 another network holds.
	if err := c.SetNetworkPool("10.223.8.0/22"); err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff)
	var names []string
	made := func(name string) error {
		names = append(names, name)
		return c.createInPool(ctx, name)
	}
	t.Cleanup(func() {
		for _, n := range names {
			c.api.NetworkRemove(context.Background(), n)
		}
	})
	names = append(names, "rivetr-pooltest-held-"+suffix)
	if _, err := c.api.NetworkCreate(ctx, names[0], network.CreateOptions{Driver: "bridge", IPAM: &network.IPAM{Config: []network.IPAMConfig{{Subnet: "10.223.9.0/24"}}}}); err != nil {
		t.Fatal(err)
	}
	want := []string{"10.223.8.0/24", "10.223.10.0/24", "10.223.11.0/24"}
	for i, sub := range want {
		name := fmt.Sprintf("rivetr-pooltest-%d-%s", i, suffix)
		if err := made(name); err != nil {
			t.Fatalf("network %d: %v", i, err)
		}
		n, err := c.api.NetworkInspect(ctx, name, network.InspectOptions{})
		if err != nil || len(n.IPAM.Config) != 1 || n.IPAM.Config[0].Subnet != sub {
			t.Fatalf("network %d has %+v (%v), want %s", i, n.IPAM.Config, err, sub)
		}
	}
	if err := made("rivetr-pooltest-full-" + suffix); err == nil || !strings.Contains(err.Error(), "the network pool 10.223.8.0/22 is used up") {
		t.Fatalf("a used-up pool: %v", err)
	}
}
