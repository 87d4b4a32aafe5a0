package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Behind a load balancer or reverse proxy every connection comes from the
// proxy's address, so the limits per client address would count everyone
// together. A proxy named in Config.TrustedProxies says who the client is
// in X-Forwarded-For; the server believes that header from those proxies
// only, and takes the rightmost address it does not trust: the one the
// first trusted proxy saw (a client can put anything to the left).

// fromTrustedProxy replaces r.RemoteAddr by the client's address when r
// came through a trusted proxy that named it.
func (s *Server) fromTrustedProxy(r *http.Request) {
	if len(s.cfg.TrustedProxies) == 0 {
		return
	}
	peer, ok := addrOf(r.RemoteAddr)
	if !ok || !s.trusted(peer) {
		return
	}
	hops := r.Header.Values("X-Forwarded-For")
	var list []string
	for _, h := range hops {
		list = append(list, strings.Split(h, ",")...)
	}
	for i := len(list) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(list[i]))
		if err != nil {
			return // a damaged header: keep the proxy's own address
		}
		a = a.Unmap()
		if !s.trusted(a) {
			r.RemoteAddr = net.JoinHostPort(a.String(), "0")
			return
		}
	}
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addrOf parses the address of a "host:port".
func addrOf(hostport string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	return a.Unmap(), err == nil
}
