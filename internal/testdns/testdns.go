// Package testdns is a small DNS world for tests of DNS-01 and domain
// ownership: one zone's TXT (and A/AAAA) records, edited through local
// stand-ins of the DNS providers' APIs (Cloudflare's REST API, Route 53's
// REST-XML API, RFC 2136 dynamic updates signed with TSIG) and answered
// by a DNS server. An OnChange hook
// lets a test mirror the records elsewhere (Pebble's challenge server).
//
// The stand-ins implement the calls the libdns providers make and check
// their credentials; they are not complete emulations.
package testdns

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// World is one zone's TXT records.
type World struct {
	Zone string // example.com (no trailing dot)

	mu      sync.Mutex
	txt     map[string][]string // fqdn (with dot) → values
	a       map[string][]net.IP // fqdn (with dot) → addresses
	nextID  int
	ids     map[string]record // Cloudflare record ID → record
	Changes int               // records written and removed, for tests
	// OnChange, when set, is told the values a name holds after each
	// change.
	OnChange func(fqdn string, values []string)
}

type record struct{ name, value string }

// New returns an empty world for zone.
func New(zone string) *World {
	return &World{Zone: strings.Trim(zone, "."), txt: map[string][]string{}, a: map[string][]net.IP{}, ids: map[string]record{}}
}

// SetA makes name resolve to ips (A and AAAA records).
func (w *World) SetA(name string, ips ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []net.IP
	for _, s := range ips {
		out = append(out, net.ParseIP(s))
	}
	w.a[dns.Fqdn(strings.ToLower(name))] = out
}

// SetTXT adds value to name's TXT records.
func (w *World) SetTXT(name, value string) { w.add(name, value) }

// TXT is what name holds.
func (w *World) TXT(name string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.txt[dns.Fqdn(strings.ToLower(name))]...)
}

func (w *World) inZone(fqdn string) bool {
	n := strings.TrimSuffix(strings.ToLower(fqdn), ".")
	return n == w.Zone || strings.HasSuffix(n, "."+w.Zone)
}

func (w *World) add(name, value string) {
	name = dns.Fqdn(strings.ToLower(name))
	w.mu.Lock()
	w.txt[name] = append(w.txt[name], value)
	vals := append([]string(nil), w.txt[name]...)
	w.Changes++
	hook := w.OnChange
	w.mu.Unlock()
	if hook != nil {
		hook(name, vals)
	}
}

func (w *World) remove(name, value string) bool {
	name = dns.Fqdn(strings.ToLower(name))
	w.mu.Lock()
	vals := w.txt[name]
	found := false
	for i, v := range vals {
		if v == value || value == "" {
			vals = append(vals[:i:i], vals[i+1:]...)
			found = true
			break
		}
	}
	if len(vals) == 0 {
		delete(w.txt, name)
	} else {
		w.txt[name] = vals
	}
	if found {
		w.Changes++
	}
	out := append([]string(nil), vals...)
	hook := w.OnChange
	w.mu.Unlock()
	if found && hook != nil {
		hook(name, out)
	}
	return found
}

// ---- DNS: answers and RFC 2136 updates ----

// DNSServer serves the zone on a loopback UDP and TCP port: TXT queries
// are answered from the world, UPDATEs signed with the TSIG key
// (keyName, base64 secret, HMAC-SHA256) change it. It returns the address.
func (w *World) DNSServer(t testing.TB, keyName, secret string) string {
	t.Helper()
	// One port for UDP and TCP: retry when the TCP side is taken.
	var pc net.PacketConn
	var ln net.Listener
	var addr string
	for i := 0; ; i++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr().String()
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		pc.Close()
		if i == 20 {
			t.Fatal(err)
		}
	}
	secrets := map[string]string{dns.Fqdn(keyName): secret}
	h := dns.HandlerFunc(func(rw dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Authoritative = true
		switch req.Opcode {
		case dns.OpcodeUpdate:
			m.Rcode = w.update(rw, req)
		case dns.OpcodeQuery:
			for _, q := range req.Question {
				if !w.inZone(q.Name) {
					m.Rcode = dns.RcodeRefused
					continue
				}
				switch q.Qtype {
				case dns.TypeTXT:
					for _, v := range w.TXT(q.Name) {
						m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 1}, Txt: []string{v}})
					}
				case dns.TypeA, dns.TypeAAAA:
					w.mu.Lock()
					ips := w.a[strings.ToLower(q.Name)]
					w.mu.Unlock()
					for _, ip := range ips {
						hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: 1}
						if v4 := ip.To4(); v4 != nil && q.Qtype == dns.TypeA {
							m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: v4})
						} else if v4 == nil && q.Qtype == dns.TypeAAAA {
							m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: ip})
						}
					}
				}
			}
		default:
			m.Rcode = dns.RcodeNotImplemented
		}
		if t := req.IsTsig(); t != nil && rw.TsigStatus() == nil {
			m.SetTsig(t.Hdr.Name, t.Algorithm, 300, time.Now().Unix())
		}
		_ = rw.WriteMsg(m)
	})
	// Updates are refused by miekg/dns's default accept function.
	accept := func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept }
	udp := &dns.Server{PacketConn: pc, Handler: h, TsigSecret: secrets, MsgAcceptFunc: accept}
	tcp := &dns.Server{Listener: ln, Handler: h, TsigSecret: secrets, MsgAcceptFunc: accept}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() { udp.Shutdown(); tcp.Shutdown() })
	return addr
}

// update applies an RFC 2136 UPDATE: only with a valid TSIG signature,
// only inside the zone.
func (w *World) update(rw dns.ResponseWriter, req *dns.Msg) int {
	if req.IsTsig() == nil || rw.TsigStatus() != nil {
		return dns.RcodeRefused
	}
	if len(req.Question) != 1 || !w.inZone(req.Question[0].Name) || strings.TrimSuffix(strings.ToLower(req.Question[0].Name), ".") != w.Zone {
		return dns.RcodeNotAuth
	}
	for _, rr := range req.Ns {
		h := rr.Header()
		if !w.inZone(h.Name) {
			return dns.RcodeNotZone
		}
		txt, isTXT := rr.(*dns.TXT)
		switch h.Class {
		case dns.ClassINET:
			if isTXT {
				w.add(h.Name, strings.Join(txt.Txt, ""))
			}
		case dns.ClassNONE:
			if isTXT {
				w.remove(h.Name, strings.Join(txt.Txt, ""))
			}
		case dns.ClassANY:
			for w.remove(h.Name, "") {
			}
		}
	}
	return dns.RcodeSuccess
}

// ---- Cloudflare ----

// Cloudflare serves the calls libdns/cloudflare makes (zones by name, DNS
// records created, listed and deleted) for bearer token; it returns the
// API's base URL.
func (w *World) Cloudflare(t testing.TB, token string) string {
	t.Helper()
	const zoneID = "z0ne"
	reply := func(rw http.ResponseWriter, code int, result any) {
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(code)
		b, _ := json.Marshal(result)
		body := map[string]any{"success": code < 400, "errors": []any{}, "messages": []any{}, "result": json.RawMessage(b)}
		if code >= 400 {
			body["errors"] = []any{map[string]any{"code": code, "message": fmt.Sprint(result)}}
			body["result"] = nil
		}
		_ = json.NewEncoder(rw).Encode(body)
	}
	type rec struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Name    string `json:"name"`
		Content string `json:"content"`
		TTL     int    `json:"ttl"`
		ZoneID  string `json:"zone_id"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			reply(rw, 403, "Authentication error")
			return
		}
		p := strings.TrimPrefix(strings.Trim(r.URL.Path, "/"), "client/v4/")
		parts := strings.Split(p, "/")
		switch {
		case p == "zones" && r.Method == "GET":
			var zones []map[string]any
			if strings.Trim(r.URL.Query().Get("name"), ".") == w.Zone {
				zones = append(zones, map[string]any{"id": zoneID, "name": w.Zone, "status": "active"})
			}
			reply(rw, 200, zones)
		case len(parts) >= 3 && parts[0] == "zones" && parts[1] == zoneID && parts[2] == "dns_records":
			switch {
			case len(parts) == 3 && r.Method == "POST":
				var in rec
				if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || in.Type != "TXT" {
					reply(rw, 400, "want a TXT record")
					return
				}
				// Cloudflare takes a name relative to the zone or a full one.
				name := strings.TrimSuffix(in.Name, ".")
				if !w.inZone(name) {
					name += "." + w.Zone
				}
				if !w.inZone(name) {
					reply(rw, 400, "record outside the zone")
					return
				}
				w.mu.Lock()
				w.nextID++
				in.ID, in.ZoneID, in.Name = "r"+strconv.Itoa(w.nextID), zoneID, name
				w.ids[in.ID] = record{name, unquote(in.Content)}
				w.mu.Unlock()
				w.add(name, unquote(in.Content))
				reply(rw, 200, in)
			case len(parts) == 3 && r.Method == "GET":
				q := r.URL.Query()
				var out []rec
				w.mu.Lock()
				for id, rc := range w.ids {
					if (q.Get("name") == "" || strings.TrimSuffix(q.Get("name"), ".") == rc.name) && strings.Contains(rc.value, q.Get("content.contains")) {
						out = append(out, rec{ID: id, Type: "TXT", Name: rc.name, Content: `"` + rc.value + `"`, TTL: 60, ZoneID: zoneID})
					}
				}
				w.mu.Unlock()
				reply(rw, 200, out)
			case len(parts) == 4 && r.Method == "DELETE":
				w.mu.Lock()
				rc, ok := w.ids[parts[3]]
				delete(w.ids, parts[3])
				w.mu.Unlock()
				if !ok {
					reply(rw, 404, "no such record")
					return
				}
				w.remove(rc.name, rc.value)
				reply(rw, 200, rec{ID: parts[3]})
			default:
				reply(rw, 405, "method not allowed")
			}
		default:
			reply(rw, 404, "not found: "+p)
		}
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s.URL + "/client/v4"
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// ---- Route 53 ----

type r53RRSet struct {
	Name            string `xml:"Name"`
	Type            string `xml:"Type"`
	TTL             int64  `xml:"TTL"`
	ResourceRecords []struct {
		Value string `xml:"Value"`
	} `xml:"ResourceRecords>ResourceRecord"`
}

// Route53 serves the calls libdns/route53 makes (change and list the
// record sets of hosted zone zoneID) for requests signed with accessKey
// (the signature itself is not checked); it returns the endpoint URL.
func (w *World) Route53(t testing.TB, zoneID, accessKey string) string {
	t.Helper()
	const ns = "https://route53.amazonaws.com/doc/2013-04-01/"
	fail := func(rw http.ResponseWriter, code int, typ, msg string) {
		rw.Header().Set("Content-Type", "text/xml")
		rw.WriteHeader(code)
		fmt.Fprintf(rw, `<?xml version="1.0"?><ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, ns, typ, msg)
	}
	prefix := "/2013-04-01/hostedzone/" + zoneID + "/rrset"
	s := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+accessKey+"/") {
			fail(rw, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
			return
		}
		if strings.TrimSuffix(r.URL.Path, "/") != prefix {
			fail(rw, 404, "NoSuchHostedZone", "No hosted zone found with ID: "+r.URL.Path)
			return
		}
		switch r.Method {
		case "POST":
			var in struct {
				Changes []struct {
					Action string   `xml:"Action"`
					Set    r53RRSet `xml:"ResourceRecordSet"`
				} `xml:"ChangeBatch>Changes>Change"`
			}
			if err := xml.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
				fail(rw, 400, "InvalidInput", err.Error())
				return
			}
			for _, c := range in.Changes {
				if !w.inZone(c.Set.Name) || c.Set.Type != "TXT" {
					fail(rw, 400, "InvalidChangeBatch", "want TXT records in the zone")
					return
				}
				switch c.Action {
				case "CREATE", "UPSERT":
					if c.Action == "UPSERT" {
						for w.remove(c.Set.Name, "") {
						}
					}
					for _, v := range c.Set.ResourceRecords {
						w.add(c.Set.Name, unquote(v.Value))
					}
				case "DELETE":
					for _, v := range c.Set.ResourceRecords {
						w.remove(c.Set.Name, unquote(v.Value))
					}
				}
			}
			rw.Header().Set("Content-Type", "text/xml")
			fmt.Fprintf(rw, `<?xml version="1.0"?><ChangeResourceRecordSetsResponse xmlns="%s"><ChangeInfo><Id>/change/C1</Id><Status>INSYNC</Status><SubmittedAt>%s</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`, ns, time.Now().UTC().Format(time.RFC3339))
		case "GET":
			var b strings.Builder
			fmt.Fprintf(&b, `<?xml version="1.0"?><ListResourceRecordSetsResponse xmlns="%s"><ResourceRecordSets>`, ns)
			w.mu.Lock()
			for name, vals := range w.txt {
				fmt.Fprintf(&b, `<ResourceRecordSet><Name>%s</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords>`, name)
				for _, v := range vals {
					b.WriteString(`<ResourceRecord><Value>"` + v + `"</Value></ResourceRecord>`)
				}
				b.WriteString(`</ResourceRecords></ResourceRecordSet>`)
			}
			w.mu.Unlock()
			b.WriteString(`</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>300</MaxItems></ListResourceRecordSetsResponse>`)
			rw.Header().Set("Content-Type", "text/xml")
			io.WriteString(rw, b.String())
		default:
			fail(rw, 405, "InvalidInput", "method")
		}
	}))
	t.Cleanup(s.Close)
	return s.URL
}
