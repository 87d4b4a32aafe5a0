package server

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"net/url"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/duoauth"
	"github.com/countersign/countersign/push/store"
)

// duoSkeyAD is the associated data of a relying party's sealed Duo secret key.
func duoSkeyAD(rp string) string { return "duo-skey:" + rp }

// The shapes of Duo's keys: integration keys are 20 upper-case letters and
// digits starting with DI, secret keys 40 letters and digits.
const (
	ikeyPrefix  = "DI"
	ikeyLength  = 20
	skeyLength  = 40
	ikeyLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	skeyLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString returns n characters drawn uniformly from letters.
func randomString(n int, letters string) string {
	b := make([]byte, n)
	limit := big.NewInt(int64(len(letters)))
	for i := range b {
		k, err := rand.Int(rand.Reader, limit)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported systems
		}
		b[i] = letters[k.Int64()]
	}
	return string(b)
}

// newDuoKeys makes an integration key (about 93 bits, public) and a secret
// key (about 238 bits).
func newDuoKeys() (ikey, skey string) {
	return ikeyPrefix + randomString(ikeyLength-len(ikeyPrefix), ikeyLetters), randomString(skeyLength, skeyLetters)
}

// RelyingPartyOptions are the settings of a new relying party.
type RelyingPartyOptions struct {
	// WebhookURL receives decisions (https, or http on loopback); optional.
	WebhookURL string
	// ApproveOnly: its push requests need no number typed on the device.
	// Weaker: a user who approves without looking at the sign-in screen
	// lets an attacker in. For integrations whose sign-in screen cannot
	// show a number.
	ApproveOnly bool
}

// RelyingPartyCredentials are what a new relying party is given, shown
// once: the server keeps only the API key's hash and the secrets sealed.
type RelyingPartyCredentials struct {
	Name string `json:"name"`
	// APIKey authenticates the native API (Authorization: Bearer KEY).
	APIKey string `json:"api_key"`
	// IKey and SKey are the integration and secret keys of Duo's Auth API
	// (/auth/v2/), at APIHostname.
	IKey        string `json:"ikey"`
	SKey        string `json:"skey"`
	APIHostname string `json:"api_hostname"`
	// WebhookSecret is the HMAC key of the webhook's signatures.
	WebhookSecret string `json:"-"`
}

// NewRelyingParty registers an application with both kinds of credential:
// an API key for the native API and a Duo integration and secret key for
// the Duo-compatible one.
func (s *Server) NewRelyingParty(name string, o RelyingPartyOptions) (RelyingPartyCredentials, error) {
	if err := checkName("relying party", name); err != nil {
		return RelyingPartyCredentials{}, err
	}
	if o.WebhookURL != "" {
		if err := push.CheckEndpoint(o.WebhookURL); err != nil {
			return RelyingPartyCredentials{}, fmt.Errorf("webhook URL %w", err)
		}
	}
	c := RelyingPartyCredentials{Name: name, APIKey: "cs_" + randomToken(32), WebhookSecret: randomToken(32), APIHostname: s.DuoAPIHostname()}
	c.IKey, c.SKey = newDuoKeys()
	hash := sha256.Sum256([]byte(c.APIKey))
	sealedWebhook, err := s.keys.sealSeed(webhookAD(name), []byte(c.WebhookSecret))
	if err != nil {
		return RelyingPartyCredentials{}, err
	}
	sealedSKey, err := s.keys.sealSeed(duoSkeyAD(name), []byte(c.SKey))
	if err != nil {
		return RelyingPartyCredentials{}, err
	}
	err = s.store.AddRelyingParty(store.RelyingParty{Name: name, KeyHash: hash[:], WebhookURL: o.WebhookURL, SealedWebhookSecret: sealedWebhook,
		Created: s.cfg.Now(), IKey: c.IKey, SealedSKey: sealedSKey, ApproveOnly: o.ApproveOnly})
	if err != nil {
		return RelyingPartyCredentials{}, err
	}
	s.log.Info("relying party added", "rp", name, "ikey", c.IKey, "approve_only", o.ApproveOnly)
	return c, nil
}

// DuoAPIHostname is the api_hostname that Duo's clients are given: the
// host (and port) of the public URL.
func (s *Server) DuoAPIHostname() string {
	u, err := url.Parse(s.cfg.PublicURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// DuoCredentials returns a relying party's Duo integration and secret
// keys, for an administrator who must configure an integration again.
func (s *Server) DuoCredentials(name string) (ikey, skey string, err error) {
	rp, err := s.store.RelyingParty(name)
	if err != nil {
		return "", "", fmt.Errorf("relying party %q: %w", name, err)
	}
	secret, err := s.keys.openSeed(duoSkeyAD(name), rp.SealedSKey)
	if err != nil {
		return "", "", err
	}
	return rp.IKey, string(secret), nil
}

// duoSecret is the duoauth.SecretFunc of the server: the secret key of an
// integration key, opened from its seal.
func (s *Server) duoSecret(ikey string) ([]byte, error) {
	rp, err := s.store.RelyingPartyByIKey(ikey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, duoauth.ErrUnknownIKey
	}
	if err != nil {
		return nil, err
	}
	return s.keys.openSeed(duoSkeyAD(rp.Name), rp.SealedSKey)
}

// migrateDuoKeys gives every relying party made before schema 5 its Duo
// integration and secret keys (the administrator reads them with
// DuoCredentials).
func (s *Server) migrateDuoKeys() error {
	rps, err := s.store.RelyingParties()
	if err != nil {
		return err
	}
	for _, rp := range rps {
		if rp.IKey != "" {
			continue
		}
		ikey, skey := newDuoKeys()
		sealed, err := s.keys.sealSeed(duoSkeyAD(rp.Name), []byte(skey))
		if err != nil {
			return err
		}
		if err := s.store.SetDuoKeys(rp.Name, ikey, sealed); err != nil {
			return err
		}
		s.log.Info("relying party given Duo keys", "rp", rp.Name, "ikey", ikey)
	}
	return nil
}

// approveOnly tells whether relying party rp asks for approvals without
// number matching; an unknown one (the server's own requests) does not,
// nor does one that cannot be read (the safer side). A relying party that
// made the request through its key is in the cache (which forgets one that
// changes).
func (s *Server) approveOnly(rp string) bool {
	if rp == "" {
		return false
	}
	if r, ok := s.rps.byName(rp); ok {
		return r.ApproveOnly
	}
	r, err := s.store.RelyingParty(rp)
	return err == nil && r.ApproveOnly
}
