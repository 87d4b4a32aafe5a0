package device_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/countersign/countersign/internal/pushtest"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/server/servertest"
)

// lossyLink is a TCP proxy between a device and a real server whose
// device-to-server direction can be made to lose everything, as a network
// does when the server (or the instance the device reached) dies with an
// answer on its way.
type lossyLink struct {
	ln       net.Listener
	mu       sync.Mutex
	dropping bool
	conns    []net.Conn
}

func newLossyLink(t *testing.T, target string) *lossyLink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &lossyLink{ln: ln}
	t.Cleanup(func() { ln.Close(); l.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			l.mu.Lock()
			l.conns = append(l.conns, c, s)
			l.mu.Unlock()
			go io.Copy(c, s)
			go func() {
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if err != nil {
						s.Close()
						return
					}
					l.mu.Lock()
					drop := l.dropping
					l.mu.Unlock()
					if !drop {
						s.Write(buf[:n])
					}
				}
			}()
		}
	}()
	return l
}

func (l *lossyLink) setDropping(d bool) {
	l.mu.Lock()
	l.dropping = d
	l.mu.Unlock()
}

// cut closes every connection through the link.
func (l *lossyLink) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// TestAnswerLostOnTheWayIsGivenAgain: the device's answer is lost with its
// connection; when the device reconnects and the server gives it the
// still-pending request again, the client gives the answer again, and the
// request is approved, once.
func TestAnswerLostOnTheWayIsGivenAgain(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	if err := srv.AddUser("ada", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.AddRelyingParty("shop", ""); err != nil {
		t.Fatal(err)
	}
	a := pushtest.AdminDevice(t, srv, "ada", "laptop")
	link := newLossyLink(t, srv.Addr)
	a.WebsocketURL = strings.Replace(a.WebsocketURL, srv.Addr, link.ln.Addr().String(), 1)
	c := pushtest.Run(t, a)
	c.Next(t, "connection", pushtest.Connected)

	st, err := srv.CreateRequest("shop", push.AuthRequestBody{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Next(t, "the request", pushtest.RequestOfKind(push.KindSignIn)).Request
	link.setDropping(true)
	if err := c.Answer(context.Background(), r, push.Approve, push.ReasonNone, st.Number); err != nil {
		t.Fatal(err)
	}
	link.cut()
	link.setDropping(false)
	c.Next(t, "reconnection", pushtest.Connected)
	ev := c.Next(t, "the result", func(ev device.Event) bool { return ev.Kind == device.EventResult || ev.Kind == device.EventResolved })
	if ev.RequestID != r.ID || ev.Status != push.StatusApproved {
		t.Fatalf("after the lost answer: %s", pushtest.Describe(ev))
	}
	got, err := srv.Store().AuthRequest(r.ID)
	if err != nil || got.Status != push.StatusApproved || got.DecidedBy != a.DeviceID {
		t.Fatalf("the server has %+v %v", got, err)
	}
}
