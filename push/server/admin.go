package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// seedEncoding writes seeds as otpauth URIs do: base32 without padding.
var seedEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// seedBytes is the size of the TOTP seeds the server makes (160 bits, as
// RFC 4226 recommends).
const seedBytes = 20

// checkName accepts user and relying-party names: 1–128 printable
// characters, no spaces at either end, no format (bidi) characters.
func checkName(kind, name string) error {
	if name == "" || len(name) > 128 || strings.TrimSpace(name) != name {
		return fmt.Errorf("%s name %q: use 1 to 128 characters, no spaces at the ends", kind, name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%s name %q has a control or formatting character", kind, name)
		}
	}
	return nil
}

// AddUser creates a user. Seeds belong to devices: a user has none until a
// device is activated.
func (s *Server) AddUser(name string, requireMFA bool) error {
	if err := checkName("user", name); err != nil {
		return err
	}
	if err := s.store.AddUser(store.User{Name: name, RequireMFA: requireMFA, Created: s.cfg.Now()}); err != nil {
		return err
	}
	s.log.Info("user added", "user", name, "require_mfa", requireMFA)
	return s.audit(store.AuditUserAdded, name, map[string]string{"require_mfa": fmt.Sprint(requireMFA)})
}

// audit appends to the audit log; a failure to do so is returned, never
// dropped (callers that cannot return it log it).
func (s *Server) audit(kind store.AuditKind, user string, detail map[string]string) error {
	if err := s.store.Audit(store.AuditEvent{Time: s.cfg.Now(), Kind: kind, User: user, Detail: detail}); err != nil {
		s.log.Error("writing the audit log", "kind", kind, "user", user, "err", err)
		return fmt.Errorf("writing the audit log: %w", err)
	}
	return nil
}

// SetBlocked blocks or unblocks a user, as an administrator.
func (s *Server) SetBlocked(name string, blocked bool) error {
	if blocked {
		return s.block(name, "administrator", nil)
	}
	if err := s.store.SetBlocked(name, false); err != nil {
		return err
	}
	s.log.Info("user unblocked", "user", name)
	return s.audit(store.AuditUnblocked, name, map[string]string{"by": "admin"})
}

// block is the one way a user is blocked: it records why, ends their
// self-service sessions and refuses their pushes, codes, enrollments and
// activations until an administrator unblocks them.
func (s *Server) block(user, reason string, detail map[string]string) error {
	if err := s.store.SetBlocked(user, true); err != nil {
		return err // names the user already
	}
	s.selfSessions.endUser(user)
	s.log.Warn("user blocked", "user", user, "reason", reason)
	d := map[string]string{"reason": reason}
	for k, v := range detail {
		d[k] = v
	}
	return s.audit(store.AuditBlocked, user, d)
}

// Enrollment is a new activation for a user: what to show them.
type Enrollment struct {
	ActivationURI string    `json:"activation_uri"`
	EnrollURL     string    `json:"enroll_url"`
	ExpiresAt     time.Time `json:"expires_at"`
	token         string
}

// activationCodeBytes is the entropy of activation codes (256 bits).
const activationCodeBytes = 32

// Enroll creates a single-use activation code for user as an
// administrator: the device that spends it joins at once, even when the
// user has devices already.
func (s *Server) Enroll(user string) (Enrollment, error) {
	return s.enroll(user, "admin")
}

// enroll creates a single-use activation code for user, valid for the
// configured time. Only hashes of the code and of the page's token are
// stored. approvedBy is "admin", or "" when a device joining a user who
// has one must be approved from one of those.
func (s *Server) enroll(user, approvedBy string) (Enrollment, error) {
	u, err := s.store.User(user)
	if err != nil {
		return Enrollment{}, fmt.Errorf("%w (add the user first: countersignd user add %s)", err, user)
	}
	if u.Blocked {
		return Enrollment{}, errorf("user_blocked", "%s is blocked; unblock them first (countersignd user unblock %s)", user, user)
	}
	if s.cfg.PublicURL == "" {
		return Enrollment{}, fmt.Errorf("the server has no public URL: give --public-url")
	}
	code := randomToken(activationCodeBytes)
	hash := sha256.Sum256([]byte(code))
	now := s.cfg.Now()
	act := push.Activation{
		URL:         s.cfg.PublicURL + "/v1/activate",
		Code:        code,
		Issuer:      s.cfg.Issuer,
		Account:     user,
		Fingerprint: push.Fingerprint(s.PublicKey()),
	}
	a := store.Activation{CodeHash: hash[:], User: user, Token: randomToken(24), Created: now, Expires: now.Add(s.cfg.ActivationTTL), ApprovedBy: approvedBy}
	if a.SealedURI, err = s.keys.sealSeed(activationAD(a.Token), []byte(act.URI())); err != nil {
		return Enrollment{}, err
	}
	if a.SealedToken, err = s.keys.sealSeed(enrollTokenAD(user), []byte(a.Token)); err != nil {
		return Enrollment{}, err
	}
	if err := s.store.AddActivation(a); err != nil {
		return Enrollment{}, err
	}
	by := approvedBy
	if by == "" {
		by = "user"
	}
	if err := s.audit(store.AuditEnrollmentCreated, user, map[string]string{"by": by, "expires": a.Expires.UTC().Format(time.RFC3339)}); err != nil {
		return Enrollment{}, err
	}
	s.log.Info("activation created", "user", user, "expires", a.Expires, "by", by)
	return Enrollment{
		ActivationURI: act.URI(),
		EnrollURL:     s.cfg.PublicURL + "/enroll/" + a.Token,
		ExpiresAt:     a.Expires.Truncate(time.Second), // stored in seconds
		token:         a.Token,
	}, nil
}

// otpauthURI returns the plain otpauth:// URI of a seed, for other
// authenticator apps. It holds the seed.
func (s *Server) otpauthURI(user string, seed []byte) string {
	label := url.PathEscape(s.cfg.Issuer) + ":" + url.PathEscape(user)
	q := url.Values{"secret": {seedEncoding.EncodeToString(seed)}, "issuer": {s.cfg.Issuer}}
	return "otpauth://totp/" + label + "?" + q.Encode() + "&algorithm=SHA1&digits=6&period=30"
}

// AddRelyingParty registers an application and returns its API key and
// webhook secret, which are shown once: only the key's hash is stored, and
// the webhook secret is sealed like the seeds. It gets Duo keys as well
// (NewRelyingParty returns them).
func (s *Server) AddRelyingParty(name, webhookURL string) (apiKey, webhookSecret string, err error) {
	c, err := s.NewRelyingParty(name, RelyingPartyOptions{WebhookURL: webhookURL})
	return c.APIKey, c.WebhookSecret, err
}

// RevokeDevice revokes a device as an administrator (even a user's last
// one), closes its connection, ends the sessions it opened, and tells the
// user's other devices and the audit log.
func (s *Server) RevokeDevice(id string) error {
	return s.revokeDevice(id, "admin")
}

// revokeDevice revokes a device and does what follows (deviceGone).
func (s *Server) revokeDevice(id, by string) error {
	d, err := s.store.Device(id)
	if err != nil {
		return err
	}
	if err := s.store.RevokeDevice(id, s.cfg.Now()); err != nil {
		if errors.Is(err, store.ErrAlreadyRevoked) {
			return errorf("already_revoked", "device %s is already revoked", id)
		}
		return err
	}
	s.deviceGone(d, by)
	return nil
}

// deviceGone does what follows a revocation: the device is disconnected,
// its sessions end, and the user's devices and the audit log are told. (A
// device that approved its own removal is disconnected by its read loop,
// after it is told the result.)
func (s *Server) deviceGone(d store.Device, by string) {
	if by != byOwnApproval {
		s.hub.disconnectDevice(d.ID)
	}
	s.selfSessions.endDevice(d.ID)
	s.log.Info("device revoked", "device", d.ID, "user", d.User, "by", by)
	s.audit(store.AuditDeviceRevoked, d.User, map[string]string{"device": d.ID, "name": d.Name, "by": by})
	s.notify(d.User, d.ID, "device_removed", fmt.Sprintf("The device %q was removed from your account (by %s). If this was not you, contact your administrator.", d.Name, by))
}

// byOwnApproval is who removed a device that approved its own removal.
const byOwnApproval = "its own approval"

// migrateSecrets brings data written before schema 3 to today's model:
// each device of a user gets its own copy of the user's former shared seed
// (so that its codes keep working), and webhook secrets stored in clear are
// sealed.
func (s *Server) migrateSecrets() error {
	users, err := s.store.UsersWithSharedSeed()
	if err != nil {
		return err
	}
	for _, u := range users {
		seed, err := s.keys.openSeed(u.Name, u.SealedSeed)
		if err != nil {
			return err
		}
		devices, err := s.store.Devices(u.Name)
		if err != nil {
			clear(seed)
			return err
		}
		if !hasActive(devices) {
			// Perhaps scanned as a plain otpauth:// code from an enrollment
			// page into another authenticator app: keep it working as a
			// device of its own, which an administrator can revoke.
			if had, err := s.store.HadActivation(u.Name); err != nil {
				clear(seed)
				return err
			} else if had {
				id := randomID()
				sealedSeed, err := s.keys.sealSeed(deviceSeedAD(id), seed)
				if err == nil {
					err = s.store.AddDevice(store.Device{ID: id, User: u.Name, Name: "authenticator app (enrolled before per-device seeds)", Kind: store.KindOTP, PublicKey: []byte{}, SealedSeed: sealedSeed, Created: s.cfg.Now()})
				}
				if err != nil {
					clear(seed)
					return err
				}
			}
		}
		sealed := map[string][]byte{}
		for _, d := range devices {
			if d.Revoked.IsZero() && len(d.SealedSeed) == 0 {
				if sealed[d.ID], err = s.keys.sealSeed(deviceSeedAD(d.ID), seed); err != nil {
					clear(seed)
					return err
				}
			}
		}
		clear(seed)
		if err := s.store.GiveDevicesOwnSeeds(u.Name, sealed); err != nil {
			return err
		}
		if len(sealed) > 1 {
			s.log.Warn("devices enrolled before per-device seeds share one seed: revoking one of them does not end the others' codes; enroll them again", "user", u.Name, "devices", len(sealed))
		}
	}
	rps, err := s.store.RelyingParties()
	if err != nil {
		return err
	}
	for _, rp := range rps {
		if rp.ClearWebhookSecret == "" {
			continue
		}
		sealed, err := s.keys.sealSeed(webhookAD(rp.Name), []byte(rp.ClearWebhookSecret))
		if err != nil {
			return err
		}
		if err := s.store.SealWebhookSecret(rp.Name, sealed); err != nil {
			return err
		}
	}
	return nil
}

// newDeviceSeed makes a device's TOTP seed and seals it for the device.
func (s *Server) newDeviceSeed(deviceID string) (seed, sealed []byte, err error) {
	seed = make([]byte, seedBytes)
	if _, err := rand.Read(seed); err != nil {
		return nil, nil, err
	}
	sealed, err = s.keys.sealSeed(deviceSeedAD(deviceID), seed)
	return seed, sealed, err
}

// ApproveDevice lets a pending device join, as an administrator would who
// has checked who holds it: its approval request is closed as approved.
func (s *Server) ApproveDevice(id string) error {
	d, err := s.store.Device(id)
	if err != nil {
		return err
	}
	if !d.Pending || !d.Revoked.IsZero() {
		return errorf("not_pending", "device %s does not wait for an approval", id)
	}
	ok, err := s.store.ApproveDevice(id)
	if err != nil {
		return err
	}
	if !ok {
		return errorf("not_pending", "device %s does not wait for an approval", id)
	}
	now := s.cfg.Now()
	if req, err := s.store.PendingRequestAbout(id, now); err == nil {
		if won, err := s.store.Decide(req.ID, push.StatusApproved, "approved by an administrator", "admin", now); err == nil && won {
			s.unschedule(req.ID)
			s.hub.closed(req.ID)
			if req, err = s.store.AuthRequest(req.ID); err == nil {
				s.hub.resolved(req, "")
			}
		}
	}
	s.audit(store.AuditDeviceApproved, d.User, map[string]string{"device": d.ID, "name": d.Name, "by": "admin"})
	s.deviceJoined(d)
	s.hub.notifyEnrollment(d.User)
	return nil
}
