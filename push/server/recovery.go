package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/countersign/countersign/push"
	"github.com/countersign/countersign/push/store"
)

// Recovery codes: ten single-use codes per user, for the day every device
// is lost. Each is 80 random bits, shown once as xxxx-xxxx-xxxx-xxxx
// (lower-case base32) and kept only as its SHA-256: with 80 bits a code
// cannot be found from its hash by trying them all, so no salt or slow
// hash is needed. Making new ones deletes the old ones. A code is typed
// where an app code goes (POST /v1/otp/verify); each use is audited and
// told to the user's devices, with the number of codes left.

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// recoveryCodeLen is the length of a recovery code without its dashes:
// 16 base32 characters, 80 bits.
const recoveryCodeLen = 16

// recoveryEncoding writes 10 random bytes as 16 base32 characters.
var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Notice kinds about recovery codes.
const (
	noticeRecoveryCodesMade = "recovery_codes_made"
	noticeRecoveryCodeUsed  = "recovery_code_used"
)

// newRecoveryCode returns a fresh code as shown: xxxx-xxxx-xxxx-xxxx.
func newRecoveryCode() string {
	b := make([]byte, recoveryCodeLen*5/8)
	rand.Read(b)
	c := strings.ToLower(recoveryEncoding.EncodeToString(b))
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
}

// normalizeRecoveryCode returns a typed recovery code in the form that is
// hashed (16 lower-case base32 characters): any case, with or without
// dashes and spaces. ok is false for anything else.
func normalizeRecoveryCode(typed string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range typed {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r >= 'a' && r <= 'z', r >= '2' && r <= '7':
		default:
			return "", false
		}
		if b.Len() == recoveryCodeLen {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != recoveryCodeLen {
		return "", false
	}
	return b.String(), true
}

// isAppCode reports whether a typed code has the shape of an app's
// one-time code (6 to 8 digits, spaces around allowed).
func isAppCode(typed string) bool {
	typed = strings.TrimSpace(typed)
	if len(typed) < 6 || len(typed) > 8 {
		return false
	}
	for _, r := range typed {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// recoveryCodeHash is what is stored of a normalized code.
func recoveryCodeHash(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// NewRecoveryCodes makes the user's ten recovery codes, replacing any
// former ones, and returns them as shown to the user; they are never
// shown again. actor says who asked (an administrator's name, "cli",
// "self-service"). The user's devices are told.
func (s *Server) NewRecoveryCodes(user, actor string) ([]string, error) {
	if _, err := s.store.User(user); err != nil {
		return nil, err
	}
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		c, _ := normalizeRecoveryCode(codes[i])
		hashes[i] = recoveryCodeHash(c)
	}
	now := s.cfg.Now()
	if err := s.store.ReplaceRecoveryCodes(user, hashes, now); err != nil {
		return nil, err
	}
	s.log.Info("recovery codes made", "user", user, "actor", actor)
	if err := s.store.Audit(store.AuditEvent{Time: now, Kind: store.AuditRecoveryCodesCreated, User: user, Actor: actor, Detail: map[string]string{"count": fmt.Sprint(RecoveryCodeCount)}}); err != nil {
		return nil, fmt.Errorf("writing the audit log: %w", err)
	}
	s.notify(user, "", noticeRecoveryCodesMade, fmt.Sprintf("New recovery codes were made for your account (by %s); the old ones no longer work.", actor))
	return codes, nil
}

// codeMethod is the method a typed code is checked as: recovery for the
// shape of a recovery code, otp (an app code) for anything else.
func codeMethod(typed string) push.Method {
	if _, ok := bypassCodeOf(typed); ok {
		return "bypass"
	}
	if _, ok := normalizeRecoveryCode(typed); ok && !isAppCode(typed) {
		return "recovery"
	}
	return "otp"
}

// bypassCodeOf returns the digits of a typed administrator's bypass code
// (spaces and dashes left out), if it has that shape: longer than any app
// code.
func bypassCodeOf(typed string) (string, bool) {
	digits := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(typed))
	if len(digits) != bypassDigits || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	return digits, true
}

// matchCodeOrRecovery checks a typed code against the user's app codes
// (matchCode) or, when it has the shape of a recovery code or of an
// administrator's bypass code, spends that code (useRecoveryCode,
// useBypassCode). It reports whether the code was right.
func (s *Server) matchCodeOrRecovery(user, typed string) (bool, error) {
	switch codeMethod(typed) {
	case "recovery":
		return s.useRecoveryCode(user, typed)
	case "bypass":
		code, _ := bypassCodeOf(typed)
		ok, err := s.useBypassCode(user, code)
		if ok {
			s.notify(user, "", "bypass_code_used", "An administrator's one-time bypass code was used to sign in to your account. If this was not you, report it to your administrator.")
		}
		return ok, err
	}
	d, err := s.matchCode(user, "", typed)
	return d.ID != "", err
}

// useRecoveryCode spends one of the user's recovery codes, typed in any
// case with or without dashes and spaces. It reports whether the code was
// one of the user's unused codes; a use is told to the user's devices with
// the number of codes left. The caller audits the check (method recovery,
// result code-ok or code-wrong), and counts a wrong code like a wrong app
// code.
func (s *Server) useRecoveryCode(user, typed string) (bool, error) {
	code, ok := normalizeRecoveryCode(typed)
	if !ok {
		return false, nil
	}
	used, err := s.store.UseRecoveryCode(user, recoveryCodeHash(code), s.cfg.Now())
	if err != nil || !used {
		return false, err
	}
	left, err := s.store.RecoveryCodesLeft(user)
	if err != nil {
		return false, err
	}
	s.log.Info("recovery code used", "user", user, "left", left)
	text := fmt.Sprintf("A recovery code was used to sign in to your account; %d left.", left)
	if left == 0 {
		text = "A recovery code was used to sign in to your account; none left: make new ones on the self-service page."
	}
	s.notify(user, "", noticeRecoveryCodeUsed, text)
	return true, nil
}

// subjectRecoveryCodes marks the server's own request that asks a device
// to approve new recovery codes; subjectRecoveryCodesSpent marks it once
// the codes were made.
const (
	subjectRecoveryCodes      = "recovery_codes"
	subjectRecoveryCodesSpent = "recovery_codes:spent"
)

// recoveryApprovalTTL is how long after its approval the codes may be
// fetched.
const recoveryApprovalTTL = 5 * time.Minute

// selfRecoveryBody is the body of POST /v1/self-service/recovery-codes.
type selfRecoveryBody struct {
	// RequestID is the approved request; empty asks for one.
	RequestID string `json:"request_id"`
}

// SelfRecoveryCodes are new recovery codes, shown once.
type SelfRecoveryCodes struct {
	Codes []string `json:"codes"`
}

// handleSelfRecoveryCodes renews the user's recovery codes from the
// self-service page, in two calls: the first ({}) pushes an approval to
// the user's devices and answers 202 with it; once it is approved
// (GET /v1/self-service/requests/{id}), the second ({"request_id": id})
// makes the codes and answers them, once. The approval is needed because
// a self-service sign-in takes one app code, which can be phished: new
// recovery codes would then be a lasting way in.
func (s *Server) handleSelfRecoveryCodes(w http.ResponseWriter, r *http.Request, user string) {
	var body selfRecoveryBody
	if err := decodeBody(w, r, &body); err != nil {
		s.writeError(w, err)
		return
	}
	if body.RequestID == "" {
		// The limits of relying parties' pushes hold for these too: a
		// stolen session cannot flood the user's devices.
		if err := s.checkFatigue(user, "", s.cfg.Now()); err != nil {
			s.writeError(w, err)
			return
		}
		ctx := browserContext(r)
		ctx.App = "Make new recovery codes"
		req, err := s.newRequest(user, "", countersignApp, push.KindSignIn, subjectRecoveryCodes, ctx)
		if err != nil {
			s.writeError(w, err)
			return
		}
		writeJSON(w, http.StatusAccepted, Approval{Status: "approval_pending", RequestID: req.ID, Number: req.Number, ExpiresAt: req.ExpiresAt})
		return
	}
	spent, err := s.store.SpendApproval(body.RequestID, user, subjectRecoveryCodes, subjectRecoveryCodesSpent, s.cfg.Now().Add(-recoveryApprovalTTL))
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !spent {
		s.writeError(w, s.whyNotSpent(body.RequestID, user))
		return
	}
	codes, err := s.NewRecoveryCodes(user, "self-service")
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, SelfRecoveryCodes{Codes: codes})
}

// whyNotSpent says why an approval for new recovery codes could not be
// spent.
func (s *Server) whyNotSpent(id, user string) error {
	req, err := s.store.AuthRequest(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (req.User != user || req.RP != "" || (req.Subject != subjectRecoveryCodes && req.Subject != subjectRecoveryCodesSpent))) {
		return errorf("not_found", "no such request for new recovery codes of yours; ask again")
	}
	if err != nil {
		return err
	}
	switch {
	case req.Subject == subjectRecoveryCodesSpent:
		return errorf("not_found", "these recovery codes were made already; ask again for new ones")
	case req.Status == push.StatusPending:
		return errorf("approval_pending", "approve the request on one of your devices first")
	case req.Status == push.StatusApproved:
		return errorf("forbidden", "the approval is over %s old; ask again", recoveryApprovalTTL)
	}
	return errorf("forbidden", "the request was %s, not approved; ask again", req.Status)
}
