package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
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
// characters, no spaces at either end.
func checkName(kind, name string) error {
	if name == "" || len(name) > 128 || strings.TrimSpace(name) != name {
		return fmt.Errorf("%s name %q: use 1 to 128 characters, no spaces at the ends", kind, name)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%s name %q has a control character", kind, name)
		}
	}
	return nil
}

// AddUser creates a user with a fresh TOTP seed, sealed at rest.
func (s *Server) AddUser(name string, requireMFA bool) error {
	if err := checkName("user", name); err != nil {
		return err
	}
	seed := make([]byte, seedBytes)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	sealed, err := s.keys.sealSeed(name, seed)
	if err != nil {
		return err
	}
	if err := s.store.AddUser(store.User{Name: name, RequireMFA: requireMFA, SealedSeed: sealed, Created: s.cfg.Now()}); err != nil {
		return err
	}
	s.log.Info("user added", "user", name, "require_mfa", requireMFA)
	return nil
}

// SetBlocked blocks or unblocks a user.
func (s *Server) SetBlocked(name string, blocked bool) error {
	if err := s.store.SetBlocked(name, blocked); err != nil {
		return err
	}
	kind := "unblocked"
	if blocked {
		kind = "blocked"
	}
	s.log.Info("user "+kind, "user", name)
	return s.store.Audit(store.AuditEvent{Time: s.cfg.Now(), Kind: kind, User: name, Detail: map[string]string{"by": "admin"}})
}

// Enrollment is a new activation for a user: what to show them.
type Enrollment struct {
	ActivationURI string    `json:"activation_uri"`
	EnrollURL     string    `json:"enroll_url"`
	ExpiresAt     time.Time `json:"expires_at"`
	// OTPAuthURI is the plain otpauth:// URI for other authenticator apps.
	// It holds the seed: show it only on the enrollment page, on request.
	OTPAuthURI string `json:"-"`
	token      string
}

// activationCodeBytes is the entropy of activation codes (256 bits).
const activationCodeBytes = 32

// Enroll creates a single-use activation code for user, valid for the
// configured time. Only its hash is stored.
func (s *Server) Enroll(user string) (Enrollment, error) {
	if _, err := s.store.User(user); err != nil {
		return Enrollment{}, fmt.Errorf("%w (add the user first: countersignd user add %s)", err, user)
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
	a := store.Activation{CodeHash: hash[:], User: user, Token: randomToken(24), Created: now, Expires: now.Add(s.cfg.ActivationTTL)}
	sealed, err := s.keys.sealSeed("activation:"+a.Token, []byte(act.URI()))
	if err != nil {
		return Enrollment{}, err
	}
	a.SealedURI = sealed
	if err := s.store.AddActivation(a); err != nil {
		return Enrollment{}, fmt.Errorf("storing the activation: %w", err)
	}
	s.log.Info("activation created", "user", user, "expires", a.Expires)
	return Enrollment{
		ActivationURI: act.URI(),
		EnrollURL:     s.cfg.PublicURL + "/enroll/" + a.Token,
		ExpiresAt:     a.Expires.Truncate(time.Second), // stored in seconds
		token:         a.Token,
	}, nil
}

// OTPAuthURI returns the plain otpauth:// URI of a user's seed, for other
// authenticator apps. It holds the seed.
func (s *Server) OTPAuthURI(user string) (string, error) {
	u, err := s.store.User(user)
	if err != nil {
		return "", err
	}
	seed, err := s.keys.openSeed(user, u.SealedSeed)
	if err != nil {
		return "", err
	}
	label := url.PathEscape(s.cfg.Issuer) + ":" + url.PathEscape(user)
	q := url.Values{"secret": {seedEncoding.EncodeToString(seed)}, "issuer": {s.cfg.Issuer}}
	return "otpauth://totp/" + label + "?" + q.Encode() + "&algorithm=SHA1&digits=6&period=30", nil
}

// AddRelyingParty registers an application and returns its API key and
// webhook secret, which are shown once: only the key's hash is stored.
func (s *Server) AddRelyingParty(name, webhookURL string) (apiKey, webhookSecret string, err error) {
	if err := checkName("relying party", name); err != nil {
		return "", "", err
	}
	if webhookURL != "" {
		if err := push.CheckEndpoint(webhookURL); err != nil {
			return "", "", fmt.Errorf("webhook URL %w", err)
		}
	}
	apiKey, webhookSecret = "cs_"+randomToken(32), randomToken(32)
	hash := sha256.Sum256([]byte(apiKey))
	err = s.store.AddRelyingParty(store.RelyingParty{Name: name, KeyHash: hash[:], WebhookURL: webhookURL, WebhookSecret: webhookSecret, Created: s.cfg.Now()})
	if err != nil {
		return "", "", err
	}
	s.log.Info("relying party added", "rp", name)
	return apiKey, webhookSecret, nil
}

// RevokeDevice revokes a device and closes its connection.
func (s *Server) RevokeDevice(id string) error {
	if err := s.store.RevokeDevice(id, s.cfg.Now()); err != nil {
		return err
	}
	s.hub.disconnectDevice(id)
	s.log.Info("device revoked", "device", id)
	return nil
}
