package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Device kinds.
const (
	// KindApp is a Countersign app: push sign-ins and one-time codes.
	KindApp = "app"
	// KindOTP is another authenticator app, given a plain otpauth:// seed:
	// one-time codes only.
	KindOTP = "otp"
)

// Device is an authenticator bound to a user by activation.
type Device struct {
	ID   string
	User string
	Name string
	// Kind is KindApp or KindOTP.
	Kind string
	// PublicKey is the app's Ed25519 key (empty for KindOTP).
	PublicKey []byte
	// SealedSeed is this device's own TOTP seed, sealed with the server's
	// seal key and bound to the device id.
	SealedSeed []byte
	// Pending: the device joined a user who already had one, and waits for
	// an approval from one of those. It cannot sign in until then.
	Pending bool
	Created time.Time
	Revoked time.Time // zero while not revoked
}

// Active reports whether the device may sign its user in: approved and not
// revoked.
func (d Device) Active() bool { return d.Revoked.IsZero() && !d.Pending }

const deviceColumns = `id, user, name, kind, public_key, sealed_seed, pending, created, revoked`

func scanDevice(scan func(...any) error) (Device, error) {
	var d Device
	var created int64
	var revoked sql.NullInt64
	if err := scan(&d.ID, &d.User, &d.Name, &d.Kind, &d.PublicKey, &d.SealedSeed, &d.Pending, &created, &revoked); err != nil {
		return Device{}, err
	}
	d.Created, d.Revoked = time.Unix(created, 0), fromUnix(revoked)
	return d, nil
}

// Device returns the device with this id, or ErrNotFound.
func (s *Store) Device(id string) (Device, error) {
	d, err := scanDevice(s.queryRow(`SELECT `+deviceColumns+` FROM devices WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return Device{}, fmt.Errorf("device %q: %w", id, ErrNotFound)
	}
	return d, err
}

// Devices lists the devices of a user, oldest first.
func (s *Store) Devices(user string) ([]Device, error) {
	rows, err := s.query(`SELECT `+deviceColumns+` FROM devices WHERE user = ? ORDER BY created, rowid`, user)
	if err != nil {
		return nil, fmt.Errorf("listing the devices of %q: %w", user, err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("listing the devices of %q: %w", user, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the devices of %q: %w", user, err)
	}
	return out, nil
}

// ErrAlreadyRevoked is returned when revoking a revoked device.
var ErrAlreadyRevoked = errors.New("already revoked")

// RevokeDevice revokes a device: it can no longer connect, answer or sign
// in with its codes.
func (s *Store) RevokeDevice(id string, now time.Time) error {
	res, err := s.exec(`UPDATE devices SET revoked = ? WHERE id = ? AND revoked IS NULL`, now.Unix(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Device(id); err != nil {
			return err
		}
		return fmt.Errorf("device %q: %w", id, ErrAlreadyRevoked)
	}
	return nil
}

// RevokeUnlessLast revokes a device only if its user keeps another active
// device, in one conditional UPDATE while holding the user (lockUser): two
// racing removals, on one server or two, cannot leave the user with none.
// It reports whether it did.
func (s *Store) RevokeUnlessLast(id string, now time.Time) (bool, error) {
	defer s.lockWrites()()
	tx, err := s.db.Begin()
	if err != nil {
		return false, fmt.Errorf("revoking device %s: %w", id, err)
	}
	defer tx.Rollback()
	var user string
	if err := tx.QueryRow(`SELECT user FROM devices WHERE id = ?`, id).Scan(&user); errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("revoking device %s: %w", id, err)
	}
	// Two removals of a user's two last devices, racing on two servers,
	// each see the other device active: they take turns on the user.
	if err := lockUser(tx, user); err != nil {
		return false, err
	}
	res, err := tx.Exec(`UPDATE devices SET revoked = ? WHERE id = ? AND revoked IS NULL
		AND EXISTS (SELECT 1 FROM devices o WHERE o.user = devices.user AND o.id <> devices.id AND o.revoked IS NULL AND o.pending = 0)`,
		now.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("revoking device %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, tx.Commit()
}

// ApproveDevice makes a pending device active; it reports false if the
// device is not pending (approved before, revoked, or unknown).
func (s *Store) ApproveDevice(id string) (bool, error) {
	res, err := s.exec(`UPDATE devices SET pending = 0 WHERE id = ? AND pending = 1 AND revoked IS NULL`, id)
	if err != nil {
		return false, fmt.Errorf("approving device %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RevokedSince lists the devices revoked at or after t.
func (s *Store) RevokedSince(t time.Time) ([]string, error) {
	ids, err := s.strings(`SELECT id FROM devices WHERE revoked >= ?`, t.Unix())
	if err != nil {
		return nil, fmt.Errorf("listing revoked devices: %w", err)
	}
	return ids, nil
}

// UseDeviceOTPStep records that time step of device's seed was accepted;
// false if that step or a later one of this device was used before (a
// replay), or the device may not sign in.
func (s *Store) UseDeviceOTPStep(deviceID string, step int64) (bool, error) {
	res, err := s.exec(`UPDATE devices SET last_step = ? WHERE id = ? AND last_step < ? AND revoked IS NULL AND pending = 0`, step, deviceID, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddDevice stores a device directly (data migrations; activations go
// through SpendActivation).
func (s *Store) AddDevice(d Device) error {
	_, err := s.exec(`INSERT INTO devices (id, user, name, kind, public_key, sealed_seed, pending, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.User, d.Name, d.Kind, d.PublicKey, d.SealedSeed, d.Pending, d.Created.Unix())
	if err != nil {
		return fmt.Errorf("adding device %s: %w", d.ID, err)
	}
	return nil
}
