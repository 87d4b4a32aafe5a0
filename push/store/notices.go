package store

import (
	"fmt"
	"time"
)

// Notice is a message to every device of a user about a change to their
// account (a device added or removed), so that a change made by someone
// else does not go unnoticed.
type Notice struct {
	ID   int64
	User string
	Time time.Time
	Kind string
	Text string
}

// AddNotice stores a notice for a user's devices and returns its id.
func (s *Store) AddNotice(n Notice) (int64, error) {
	// In id order: a device is given the notices after the last it saw.
	id, err := s.appendInIDOrder("", "notices", "user, time, kind, text", n.User, n.Time.Unix(), n.Kind, n.Text)
	if err != nil {
		return 0, fmt.Errorf("storing a notice for %s: %w", n.User, err)
	}
	return id, nil
}

// UnseenNotices lists the notices a device has not been given yet: those
// of its user after the last one it saw and after it joined.
func (s *Store) UnseenNotices(deviceID string) ([]Notice, error) {
	rows, err := s.query(`SELECT n.id, n.user, n.time, n.kind, n.text FROM notices n JOIN devices d ON d.user = n.user
		WHERE d.id = ? AND n.id > d.notices_seen AND n.time >= d.created ORDER BY n.id`, deviceID)
	if err != nil {
		return nil, fmt.Errorf("listing notices: %w", err)
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		var n Notice
		var t int64
		if err := rows.Scan(&n.ID, &n.User, &t, &n.Kind, &n.Text); err != nil {
			return nil, err
		}
		n.Time = time.Unix(t, 0)
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkNoticesSeen records that a device was given the notices up to id.
func (s *Store) MarkNoticesSeen(deviceID string, id int64) error {
	_, err := s.exec(`UPDATE devices SET notices_seen = ? WHERE id = ? AND notices_seen < ?`, id, deviceID, id)
	return err
}
