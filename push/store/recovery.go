package store

import (
	"fmt"
	"time"
)

// AuditRecoveryCodesCreated records that a user's recovery codes were
// (re)made: Actor says by whom, and the old codes stopped working.
const AuditRecoveryCodesCreated AuditKind = "recovery_codes_created"

// ReplaceRecoveryCodes makes hashes the user's recovery codes, in one
// transaction: every former code, used or not, is deleted first.
func (s *Store) ReplaceRecoveryCodes(user string, hashes [][]byte, now time.Time) error {
	defer s.lockWrites()()
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("replacing the recovery codes of %q: %w", user, err)
	}
	defer tx.Rollback()
	var exists bool
	if err := tx.QueryRow(`SELECT EXISTS(SELECT 1 FROM users WHERE name = ?)`, user).Scan(&exists); err != nil {
		return fmt.Errorf("replacing the recovery codes of %q: %w", user, err)
	}
	if !exists {
		return fmt.Errorf("user %q: %w", user, ErrNotFound)
	}
	// Two racing replacements, on one server or two, leave one set.
	if err := lockUser(tx, user); err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM recovery_codes WHERE user = ?`, user); err != nil {
		return fmt.Errorf("deleting the old recovery codes of %q: %w", user, err)
	}
	for _, h := range hashes {
		if _, err := tx.Exec(`INSERT INTO recovery_codes (user, code_hash, created) VALUES (?, ?, ?)`, user, h, now.Unix()); err != nil {
			return fmt.Errorf("storing a recovery code of %q: %w", user, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replacing the recovery codes of %q: %w", user, err)
	}
	return nil
}

// UseRecoveryCode spends the user's unused recovery code of this hash, in
// one conditional UPDATE: of racing uses of one code exactly one wins. It
// reports whether this call spent it (false: no such code, or used).
func (s *Store) UseRecoveryCode(user string, hash []byte, now time.Time) (bool, error) {
	res, err := s.exec(`UPDATE recovery_codes SET used = ? WHERE user = ? AND code_hash = ? AND used IS NULL`, now.Unix(), user, hash)
	if err != nil {
		return false, fmt.Errorf("using a recovery code of %q: %w", user, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(user string) (int, error) {
	var n int
	if err := s.queryRow(`SELECT COUNT(*) FROM recovery_codes WHERE user = ? AND used IS NULL`, user).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting the recovery codes of %q: %w", user, err)
	}
	return n, nil
}

// SpendApproval marks an approved request of user, made for subject and
// decided at notBefore or later, as spent (its subject becomes spent), in
// one conditional UPDATE: one approval carries out its change once, even
// when two calls race or the server restarted in between. It reports
// whether this call spent it.
func (s *Store) SpendApproval(id, user, subject, spent string, notBefore time.Time) (bool, error) {
	res, err := s.exec(`UPDATE auth_requests SET subject = ? WHERE id = ? AND user = ? AND rp = '' AND subject = ? AND status = 'approved' AND decided >= ?`,
		spent, id, user, subject, notBefore.Unix())
	if err != nil {
		return false, fmt.Errorf("spending the approval %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
