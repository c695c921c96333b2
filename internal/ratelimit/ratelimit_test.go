package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	l := New(3, time.Minute, 3)
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("event %d refused within the burst", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait < 15*time.Second || wait > 21*time.Second {
		t.Fatalf("fourth event: %v, wait %s (want ~20s)", ok, wait)
	}
	if RetryAfter(wait) != fmt.Sprint(int(wait.Seconds()+0.999)) {
		t.Fatalf("RetryAfter(%s) = %s", wait, RetryAfter(wait))
	}
	// A refused event does not use up budget: still ~20s.
	if _, again := l.Allow("a"); again > wait+time.Second {
		t.Fatalf("a refusal consumed budget: %s then %s", wait, again)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	if ok, _ := New(0, time.Second, 1).Allow("x"); !ok {
		t.Fatal("a disabled limiter refused")
	}
	var none *Limiter
	if ok, _ := none.Allow("x"); !ok {
		t.Fatal("a nil limiter refused")
	}
}

func TestMemoryIsBounded(t *testing.T) {
	l := New(1, time.Second, 1)
	l.max = 1000
	for i := 0; i < 10_000; i++ {
		l.Allow(fmt.Sprint("ip-", i))
	}
	if n := len(l.buckets); n > 1000 {
		t.Fatalf("%d buckets kept for 10,000 keys with a cap of 1,000", n)
	}
}
