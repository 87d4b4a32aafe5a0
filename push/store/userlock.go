package store

import (
	"database/sql"
	"fmt"
)

// lockUser makes the transaction tx the only one changing the user's
// devices until it ends, in both databases: it writes the user's row
// without changing it. SQLite has one writer at a time anyway; PostgreSQL
// locks the row, and a transaction that waited for it sees, in its next
// statement, what the other one committed. Rules across a user's rows
// (keep one active device; a second device waits for an approval) need it:
// a single conditional UPDATE guards only its own row there.
func lockUser(tx *sql.Tx, user string) error {
	if _, err := tx.Exec(`UPDATE users SET blocked = blocked WHERE name = ?`, user); err != nil {
		return fmt.Errorf("locking user %q: %w", user, err)
	}
	return nil
}
