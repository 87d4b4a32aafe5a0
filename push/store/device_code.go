package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// DeviceCodeAccepted reports whether a one-time code of the device was ever
// accepted (UseDeviceOTPStep): whatever holds its seed, an app or another
// authenticator, has shown that it does. The enrollment page calls a
// device added by another authenticator app done only then.
func (s *Store) DeviceCodeAccepted(id string) (bool, error) {
	var step int64
	err := s.queryRow(`SELECT last_step FROM devices WHERE id = ?`, id).Scan(&step)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("device %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("reading the last code step of device %s: %w", id, err)
	}
	return step >= 0, nil
}
