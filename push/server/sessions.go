package server

import (
	"crypto/sha256"
	"errors"
	"log/slog"
	"time"

	"github.com/countersign/countersign/push/store"
)

// sessions are the self-service sign-ins, by bearer token. They live in
// the database (as hashes of their tokens), so a session opened through
// one server instance works through another behind the same load balancer.
type sessions struct {
	st  *store.Store
	log *slog.Logger
}

// session is one self-service sign-in: the user, and the device whose code
// opened it.
type session struct {
	user    string
	device  string
	expires time.Time
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// open starts a session and returns its token ("" if it could not be
// stored, which the caller reports).
func (s *sessions) open(user, device string, now time.Time) (string, error) {
	if err := s.st.PruneSelfSessions(now); err != nil {
		s.log.Error("pruning self-service sessions", "err", err)
	}
	token := randomToken(32)
	if err := s.st.AddSelfSession(tokenHash(token), store.SelfSession{User: user, Device: device, Expires: now.Add(sessionTTL)}); err != nil {
		return "", err
	}
	return token, nil
}

func (s *sessions) get(token string, now time.Time) (session, bool) {
	if token == "" {
		return session{}, false
	}
	ses, err := s.st.SelfSessionByHash(tokenHash(token))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("reading a self-service session", "err", err)
		}
		return session{}, false
	}
	if now.After(ses.Expires) {
		return session{}, false
	}
	return session{user: ses.User, device: ses.Device, expires: ses.Expires}, true
}

// endUser ends every session of a user (who was just blocked).
func (s *sessions) endUser(user string) {
	if err := s.st.EndSelfSessions(user, ""); err != nil {
		s.log.Error("ending self-service sessions", "user", user, "err", err)
	}
}

// endDevice ends the sessions opened with a device's code (it was just
// revoked).
func (s *sessions) endDevice(device string) {
	if err := s.st.EndSelfSessions("", device); err != nil {
		s.log.Error("ending self-service sessions", "device", device, "err", err)
	}
}
