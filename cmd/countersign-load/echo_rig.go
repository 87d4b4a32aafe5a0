package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// echoRig is the floor: as many websocket connections to an echo server,
// and a message round trip for each sign-in.
type echoRig struct {
	c      *child
	conns  []*websocket.Conn
	locks  []sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
	m      measurement
}

var echoMsg = []byte(`{"type":"request","request":{"id":"0123456789abcdef0123456789abcdef","user":"user00001"}}`)

func startEcho(devices int) (_ *echoRig, err error) {
	r := &echoRig{m: measurement{name: echoName}}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if r.c, err = startChild("echo", ""); err != nil {
		return nil, err
	}
	if r.m.rssIdle, err = r.c.rss(); err != nil {
		return nil, err
	}
	r.conns = make([]*websocket.Conn, 0, devices)
	r.locks = make([]sync.Mutex, devices)
	for i := range devices {
		conn, _, err := websocket.Dial(r.ctx, "ws://"+r.c.setup.Addr+"/", nil)
		if err != nil {
			return nil, fmt.Errorf("connection %d: %w", i, err)
		}
		r.conns = append(r.conns, conn)
	}
	r.m.held = len(r.conns)
	time.Sleep(2 * time.Second)
	if r.m.rssHeld, err = r.c.rss(); err != nil {
		return nil, err
	}
	memProfiles([]*child{r.c})
	r.m.bytesPerConn = float64(r.m.rssHeld-r.m.rssIdle) / float64(r.m.held)
	return r, nil
}

func (r *echoRig) figures() measurement { return r.m }

func (r *echoRig) roundTrip(i int) (time.Duration, error) {
	k := i % len(r.conns)
	r.locks[k].Lock()
	defer r.locks[k].Unlock()
	start := time.Now()
	if err := r.conns[k].Write(r.ctx, websocket.MessageText, echoMsg); err != nil {
		return 0, err
	}
	_, data, err := r.conns[k].Read(r.ctx)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(data, echoMsg) {
		return 0, errors.New("echo differs")
	}
	return time.Since(start), nil
}

func (r *echoRig) close() {
	for _, c := range r.conns {
		c.CloseNow()
	}
	r.cancel()
	if r.c != nil {
		r.c.stop()
	}
}

// profile: the floor is not profiled.
func (r *echoRig) profile() {}

func (r *echoRig) cpu() time.Duration { return childrenCPU([]*child{r.c}) }
