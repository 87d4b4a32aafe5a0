package authenticator

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/countersign/countersign/internal/textsafe"
	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/device"
	"github.com/countersign/countersign/vault"
)

// NewPushClient returns the websocket client of a push account; onEvent
// receives its events from the client's goroutine.
func NewPushClient(v *vault.Vault, a vault.Account, onEvent func(device.Event)) (*device.Client, error) {
	if a.Push == nil {
		return nil, fmt.Errorf("%s is not a push account", a.Label())
	}
	key, err := v.DeviceKey(a.ID)
	if err != nil {
		return nil, err
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("the device key of %s is damaged; activate the account again", a.Label())
	}
	enr := device.Enrollment{DeviceID: a.Push.DeviceID, ServerKey: a.Push.ServerKey, WebsocketURL: a.Push.WebsocketURL, Issuer: a.Issuer, Account: a.Name}
	return device.NewClient(enr, ed25519.PrivateKey(key), onEvent), nil
}

// Sessions are the push sessions of a vault: one device client per push
// account, connected to its server, with the events of every client routed,
// tagged with their account, to one function. It follows each account's
// connection and the server's verdicts on answers, so that a caller can
// wait for them. The app and `countersign requests/approve/deny/fraud`
// both use it. Its methods are safe from any goroutine.
type Sessions struct {
	v       *vault.Vault
	ctx     context.Context
	onEvent func(accountID string, ev device.Event)
	changed chan struct{}

	mu       sync.Mutex
	clients  map[string]*device.Client // by account id
	accounts map[string]vault.Account  // by account id
	states   map[string]device.State   // by account id
	errs     map[string]error          // by account id: why it last disconnected
	results  map[string]device.Event   // the server's verdicts, by request id
}

// NewSessions returns the push sessions of v, none connected yet (see
// Start). The clients run until ctx ends. onEvent, if not nil, receives
// every event of every client, on the client's goroutine, after Sessions
// has taken it into account.
func NewSessions(ctx context.Context, v *vault.Vault, onEvent func(accountID string, ev device.Event)) *Sessions {
	return &Sessions{v: v, ctx: ctx, onEvent: onEvent, changed: make(chan struct{}, 1),
		clients: map[string]*device.Client{}, accounts: map[string]vault.Account{}, states: map[string]device.State{},
		errs: map[string]error{}, results: map[string]device.Event{}}
}

// ErrNoPushAccount is returned by Start when the vault has no push account.
var ErrNoPushAccount = errors.New("the vault has no push account")

// Start connects every push account of the vault that has no client yet
// (an account activated since the last Start, say). It returns the
// accounts whose client could not be made, joined (their device key is
// missing or damaged: activate them again); the others are started all the
// same. With no push account at all, it returns ErrNoPushAccount.
func (s *Sessions) Start() error {
	// The device keys come from the keyring, which may be slow: events of
	// running clients are not held up meanwhile.
	var todo []vault.Account
	s.mu.Lock()
	for _, a := range s.v.Accounts() {
		if a.Push != nil && s.clients[a.ID] == nil {
			todo = append(todo, a)
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, a := range todo {
		id := a.ID
		client, err := NewPushClient(s.v, a, func(ev device.Event) { s.event(id, ev) })
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.mu.Lock()
		started := s.clients[id] != nil // by a Start running at the same time
		if !started {
			s.clients[id], s.accounts[id] = client, a
		}
		s.mu.Unlock()
		if !started {
			go client.Run(s.ctx)
		}
	}
	s.mu.Lock()
	none := len(s.clients) == 0
	s.mu.Unlock()
	if none && len(errs) == 0 {
		return ErrNoPushAccount
	}
	return errors.Join(errs...)
}

// event takes in an event of account accountID's client, passes it on,
// and wakes those waiting on Changed.
func (s *Sessions) event(accountID string, ev device.Event) {
	s.mu.Lock()
	switch ev.Kind {
	case device.EventState:
		s.states[accountID] = ev.State
		if ev.State == device.Connected {
			delete(s.errs, accountID)
		} else if ev.Err != nil && ev.State == device.Disconnected {
			s.errs[accountID] = ev.Err
		}
	case device.EventResult:
		s.results[ev.RequestID] = ev
	}
	s.mu.Unlock()
	if s.onEvent != nil {
		s.onEvent(accountID, ev)
	}
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// Changed receives a value after events: a connection, a request, a
// verdict. It is for one waiter at a time (a command's loop).
func (s *Sessions) Changed() <-chan struct{} { return s.changed }

// Len is the number of push accounts started.
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Account returns the push account accountID as it was when started.
func (s *Sessions) Account(accountID string) (vault.Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[accountID]
	return a, ok
}

// WaitConnected waits until every started account is connected (and so
// has its pending requests), or fails naming the first account that could
// not connect. An account whose device waits for an approval on another
// device fails at once: it cannot connect before the user approves it.
func (s *Sessions) WaitConnected(ctx context.Context) error {
	for {
		s.mu.Lock()
		all := true
		for id := range s.clients {
			if s.states[id] != device.Connected {
				all = false
			}
		}
		var firstErr, waits error
		for id, err := range s.errs {
			e := fmt.Errorf("%s: %w", textsafe.Clean(s.accounts[id].Label()), err)
			if firstErr == nil {
				firstErr = e
			}
			if errors.Is(err, device.ErrPendingApproval) {
				waits = e
			}
		}
		s.mu.Unlock()
		if all {
			return nil
		}
		if waits != nil {
			return waits
		}
		select {
		case <-ctx.Done():
			if firstErr != nil {
				return firstErr
			}
			return errors.New("the server did not answer in time")
		case <-s.changed:
		}
	}
}

// Pending is a request waiting for an answer, and the account it is for.
type Pending struct {
	Account vault.Account
	Request push.Request
}

// Pending returns every request waiting for an answer, the soonest to
// expire first.
func (s *Sessions) Pending() []Pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Pending
	for id, client := range s.clients {
		for _, r := range client.Pending() {
			out = append(out, Pending{Account: s.accounts[id], Request: r})
		}
	}
	slices.SortFunc(out, func(a, b Pending) int { return a.Request.ExpiresAt.Compare(b.Request.ExpiresAt) })
	return out
}

// Find returns the pending request with the server's id requestID.
func (s *Sessions) Find(requestID string) (Pending, bool) {
	for _, p := range s.Pending() {
		if p.Request.ID == requestID {
			return p, true
		}
	}
	return Pending{}, false
}

// ErrNotConnected is returned by Answer for an account with no session.
var ErrNotConnected = errors.New("this account is not connected to its server")

// Answer sends the answer to request r of account accountID through that
// account's client. The server's verdict comes later, as an event (see
// Result).
func (s *Sessions) Answer(ctx context.Context, accountID string, r push.Request, decision push.Decision, reason push.Reason, number string) error {
	s.mu.Lock()
	client := s.clients[accountID]
	s.mu.Unlock()
	if client == nil {
		return ErrNotConnected
	}
	return client.Answer(ctx, r, decision, reason, number)
}

// Result waits for the server's verdict on request requestID, answered
// here, until ctx ends.
func (s *Sessions) Result(ctx context.Context, requestID string) (device.Event, error) {
	for {
		s.mu.Lock()
		ev, ok := s.results[requestID]
		s.mu.Unlock()
		if ok {
			return ev, nil
		}
		select {
		case <-ctx.Done():
			return device.Event{}, errors.New("the server did not confirm the answer in time")
		case <-s.changed:
		}
	}
}
