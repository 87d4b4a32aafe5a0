package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen returns a channel that receives when a process appends to the
// event log (AddEvent), through PostgreSQL's LISTEN/NOTIFY, so that a
// follower reads it at once instead of at its next poll. Notifications
// carry nothing but the wake-up (the log is the truth), and a missed one
// costs only the poll interval. With SQLite the channel is nil: the
// follower polls. The listening connection lives until ctx ends and is
// made again, with back-off, when it breaks.
func (s *Store) Listen(ctx context.Context) (<-chan struct{}, error) {
	if !s.pg {
		return nil, nil
	}
	conn, err := s.listen(ctx)
	if err != nil {
		return nil, err
	}
	wake := make(chan struct{}, 1)
	go func() {
		for backoff := time.Second; ; {
			if conn != nil {
				if _, err := conn.WaitForNotification(ctx); err == nil {
					select {
					case wake <- struct{}{}:
					default:
					}
					backoff = time.Second
					continue
				}
				conn.Close(context.Background())
				conn = nil
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			conn, _ = s.listen(ctx)
		}
	}()
	return wake, nil
}

// listen opens a connection listening on the event log's channel, which
// is named after the schema (processes of another schema in the same
// database are not woken).
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgConfig(s.url)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to listen for events: %w", err)
	}
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("listening for events: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{"countersign_events_" + schema}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("listening for events: %w", err)
	}
	return conn, nil
}
