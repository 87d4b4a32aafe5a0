package server

import (
	"net"
	"net/netip"
	"sync"
)

// DefaultMaxConnsPerIP is how many connections one client address may hold
// open when Config.MaxConnsPerIP is 0. A device holds one websocket and a
// browser a handful of connections; 64 leaves room for a small office
// behind one NAT address while 300 slow clients from one address cannot
// take the server's file descriptors.
const DefaultMaxConnsPerIP = 64

// LimitListener wraps ln so that no client address holds more than perIP
// open connections: a new connection from an address at its limit is
// closed at once, without a byte read or written, and refused (if not nil)
// is told the address. The other addresses are served as before; once one
// of an address's connections closes, it may open a new one. perIP < 1
// means no limit (ln itself is returned).
//
// The count is per IP address (IPv4-mapped IPv6 addresses count as their
// IPv4 address). Behind a reverse proxy every connection comes from the
// proxy's address: turn the limit off there and let the proxy limit its
// clients.
func LimitListener(ln net.Listener, perIP int, refused func(addr netip.Addr)) net.Listener {
	if perIP < 1 {
		return ln
	}
	return &limitListener{Listener: ln, perIP: perIP, refused: refused, open: map[netip.Addr]int{}}
}

// LimitListener wraps ln with the per-address connection limit of
// Config.MaxConnsPerIP (DefaultMaxConnsPerIP when 0, none when negative).
// Refused connections are logged, a few lines a minute at most (logRefused).
func (s *Server) LimitListener(ln net.Listener) net.Listener {
	perIP := s.cfg.MaxConnsPerIP
	if perIP == 0 {
		perIP = DefaultMaxConnsPerIP
	}
	return LimitListener(ln, perIP, func(addr netip.Addr) {
		s.logRefused("connection refused: too many open from one address", "remote", addr.String(), "limit", perIP)
	})
}

type limitListener struct {
	net.Listener
	perIP   int
	refused func(netip.Addr)
	mu      sync.Mutex
	open    map[netip.Addr]int
}

// Accept returns the next connection from an address under its limit;
// connections over it are closed here and never reach the HTTP server.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ta, ok := c.RemoteAddr().(*net.TCPAddr)
		if !ok {
			return c, nil // not TCP (a Unix socket): no address to count
		}
		addr := ta.AddrPort().Addr().Unmap()
		l.mu.Lock()
		if l.open[addr] >= l.perIP {
			l.mu.Unlock()
			if l.refused != nil {
				l.refused(addr)
			}
			c.Close()
			continue
		}
		l.open[addr]++
		l.mu.Unlock()
		return &limitConn{Conn: c, l: l, addr: addr}, nil
	}
}

func (l *limitListener) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr]--; l.open[addr] <= 0 {
		delete(l.open, addr)
	}
}

// limitConn gives its address's place back when it is closed (once, however
// often Close is called: net/http and TLS may both close it).
type limitConn struct {
	net.Conn
	l    *limitListener
	addr netip.Addr
	once sync.Once
}

func (c *limitConn) Close() error {
	c.once.Do(func() { c.l.release(c.addr) })
	return c.Conn.Close()
}

// CloseWrite half-closes the connection where the underlying one can:
// net/http does so before closing a connection whose request body it did not
// read, so that the client gets the answer instead of a reset.
func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
