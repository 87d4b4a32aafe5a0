package server

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/countersign/countersign/push/store"
)

// Administrators of the web console, and the bypass codes they give users.

// Audit kinds of the console's own changes (the others reuse the kinds of
// the store: blocked, unblocked, device_revoked...). Each event's Actor is
// the administrator's name, or "cli" for the admin commands.
const (
	AuditAdminAdded       store.AuditKind = "admin_added"
	AuditAdminRemoved     store.AuditKind = "admin_removed"
	AuditAdminSignIn      store.AuditKind = "admin_sign_in"
	AuditAdminSignInError store.AuditKind = "admin_sign_in_failed"
	AuditRequireMFA       store.AuditKind = "require_mfa_changed"
	AuditBypassCreated    store.AuditKind = "bypass_code_created"
	AuditBypassUsed       store.AuditKind = "bypass_code_used"
	AuditAppAdded         store.AuditKind = "application_added"
	AuditAppKeyRotated    store.AuditKind = "application_key_rotated"
	AuditAppRevoked       store.AuditKind = "application_revoked"
	AuditEnrollmentByAdm  store.AuditKind = "enrollment_link_made"
	AuditExported         store.AuditKind = "audit_exported"
)

// auditBy appends an event made by actor to the audit log.
func (s *Server) auditBy(actor string, kind store.AuditKind, user string, detail map[string]string) error {
	err := s.store.Audit(store.AuditEvent{Time: s.cfg.Now(), Kind: kind, User: user, Actor: actor, Detail: detail})
	if err != nil {
		s.log.Error("writing the audit log", "kind", kind, "user", user, "actor", actor, "err", err)
		return fmt.Errorf("writing the audit log: %w", err)
	}
	return nil
}

// AddAdmin makes name an administrator of the web console with this
// password (at least MinPasswordLength characters), creating the user
// first if there is none (second factor required: they sign in to the
// console with a push to their own device). actor is who does it ("cli").
func (s *Server) AddAdmin(name, password, actor string) error {
	if err := checkName("administrator", name); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	if _, err := s.store.User(name); errors.Is(err, store.ErrNotFound) {
		if err := s.AddUser(name, true); err != nil {
			return fmt.Errorf("adding the user %s: %w", name, err)
		}
	} else if err != nil {
		return err
	}
	if err := s.store.AddAdmin(store.Admin{Name: name, PasswordHash: hash, Created: s.cfg.Now()}); err != nil {
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("%s is an administrator already (countersignd admin remove %s, then add them again, sets a new password)", name, name)
		}
		return err
	}
	s.log.Info("administrator added", "admin", name, "by", actor)
	return s.auditBy(actor, AuditAdminAdded, name, nil)
}

// Admins lists the administrators (without their password hashes).
func (s *Server) Admins() ([]store.Admin, error) { return s.store.Admins() }

// RemoveAdmin takes the administrator role from name (who stays a user);
// their console sessions end.
func (s *Server) RemoveAdmin(name, actor string) error {
	if err := s.store.RemoveAdmin(name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s is not an administrator (countersignd admin list shows them)", name)
		}
		return err
	}
	s.log.Info("administrator removed", "admin", name, "by", actor)
	return s.auditBy(actor, AuditAdminRemoved, name, nil)
}

// bypassTTL is how long a bypass code works; bypassDigits is its length.
const (
	bypassTTL    = 10 * time.Minute
	bypassDigits = 9
)

// bypassHash is what is stored of a user's bypass code.
func bypassHash(user, code string) []byte {
	h := sha256.Sum256([]byte("countersign bypass\x00" + user + "\x00" + code))
	return h[:]
}

// newBypassCode makes a user's one-time bypass code, valid bypassTTL, and
// returns it (it is shown once; only its hash is kept). The user's earlier
// unused code ends.
func (s *Server) newBypassCode(user, admin string) (string, time.Time, error) {
	if _, err := s.store.User(user); err != nil {
		return "", time.Time{}, err
	}
	code := randomDecimal(bypassDigits)
	now := s.cfg.Now()
	expires := now.Add(bypassTTL)
	if err := s.store.AddBypassCode(store.BypassCode{User: user, CodeHash: bypassHash(user, code), Created: now, Expires: expires, CreatedBy: admin}); err != nil {
		return "", time.Time{}, err
	}
	s.log.Info("bypass code made", "user", user, "admin", admin)
	if err := s.auditBy(admin, AuditBypassCreated, user, map[string]string{"expires": expires.UTC().Format(time.RFC3339)}); err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// useBypassCode spends a bypass code of user: true if it was theirs,
// unused and not expired; it then works no more (one conditional UPDATE,
// so two racing uses cannot both pass). A use is audited.
func (s *Server) useBypassCode(user, code string) (bool, error) {
	if len(code) != bypassDigits {
		return false, nil
	}
	ok, err := s.store.UseBypassCode(user, bypassHash(user, code), s.cfg.Now())
	if err != nil || !ok {
		return false, err
	}
	s.log.Info("bypass code used", "user", user)
	return true, s.auditBy("", AuditBypassUsed, user, nil)
}

// randomDecimal returns n uniformly random decimal digits.
func randomDecimal(n int) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, _ := rand.Int(rand.Reader, limit) // crypto/rand does not fail on Linux
	return fmt.Sprintf("%0*d", n, v)
}
