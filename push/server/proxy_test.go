package server

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientBehindTrustedProxy(t *testing.T) {
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}}}
	for _, c := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"from the proxy: the client it names", "127.0.0.1:4000", []string{"203.0.113.7"}, "203.0.113.7:0"},
		{"two trusted hops", "127.0.0.1:4000", []string{"203.0.113.7, 10.1.2.3"}, "203.0.113.7:0"},
		{"a client's forged entry is left of the real one", "127.0.0.1:4000", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7:0"},
		{"several header lines", "127.0.0.1:4000", []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7:0"},
		{"IPv6 client", "127.0.0.1:4000", []string{"2001:db8::1"}, "[2001:db8::1]:0"},
		{"not from a trusted proxy: the header is ignored", "192.0.2.9:4000", []string{"203.0.113.7"}, "192.0.2.9:4000"},
		{"no header", "127.0.0.1:4000", nil, "127.0.0.1:4000"},
		{"a damaged header keeps the proxy's address", "127.0.0.1:4000", []string{"203.0.113.7, not-an-ip"}, "127.0.0.1:4000"},
		{"only trusted addresses", "127.0.0.1:4000", []string{"10.9.9.9"}, "127.0.0.1:4000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for _, h := range c.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			s.fromTrustedProxy(r)
			if r.RemoteAddr != c.want {
				t.Fatalf("RemoteAddr %q, want %q", r.RemoteAddr, c.want)
			}
		})
	}
	untrusting := &Server{}
	r, _ := http.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:4000"
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	if untrusting.fromTrustedProxy(r); r.RemoteAddr != "127.0.0.1:4000" {
		t.Fatalf("without trusted proxies the header was believed: %s", r.RemoteAddr)
	}
}
