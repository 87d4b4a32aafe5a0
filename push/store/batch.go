package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite commits one transaction at a time, and each commit appends the
// pages it changed to the write-ahead log. Under load most of a commit's
// cost is that append (and the system calls around it), not the statement:
// many sign-ins a second, each committing alone, rewrite the same few
// pages over and over. So on SQLite the single-statement writes (exec) go
// to one writer, which runs whatever has queued up while it was busy in one
// transaction: group commit. Each caller still gets its own result, after
// the commit, exactly as if its statement had run alone:
//
//   - the statements run in the order they arrived, each seeing the ones
//     before it, as they would have one after the other;
//   - a statement refused by a constraint (a duplicate key, a missing
//     parent row) is undone by SQLite alone, and the others go on;
//   - any other failure rolls the whole batch back and runs its
//     statements again one by one, so that a failure is only its own.
//
// With nothing else waiting, a statement runs alone, as before.

// maxBatch bounds the statements of one transaction, so that a burst
// cannot hold SQLite's write lock (and delay another process sharing the
// file) for long.
const maxBatch = 256

// writeOp is one statement waiting for the writer.
type writeOp struct {
	query string
	args  []any
	// dest, if any, takes the one row the statement returns (RETURNING);
	// no row is sql.ErrNoRows, the statement's own result.
	dest []any
	res  execResult
	err  error
	done chan struct{}
}

// execResult is a statement's result, read before its transaction ends.
type execResult struct{ lastID, rows int64 }

func (r execResult) LastInsertId() (int64, error) { return r.lastID, nil }
func (r execResult) RowsAffected() (int64, error) { return r.rows, nil }

// errClosed is the error of a write sent to a closed store.
var errClosed = errors.New("the database is closed")

// writer runs the SQLite store's single-statement writes on one connection.
type writer struct {
	ops chan *writeOp
	// sending is held (read) while a statement is handed over, and taken
	// by Close, so that nothing is handed over once the writer stops.
	sending sync.RWMutex
	closed  bool
	stop    chan struct{}
	stopped chan struct{}

	conn  *sql.Conn
	stmts map[string]*sql.Stmt // prepared on conn

	// What the writer ran: transactions, statements, and batches run
	// again one by one after a failure.
	batches, statements, fallbacks atomic.Int64
}

// writerCounts says what the writer ran so far (zero on PostgreSQL).
type writerCounts struct{ batches, statements, fallbacks int64 }

func (s *Store) writerCounts() writerCounts {
	if s.w == nil {
		return writerCounts{}
	}
	return writerCounts{s.w.batches.Load(), s.w.statements.Load(), s.w.fallbacks.Load()}
}

// startWriter opens the writer's connection and starts it.
func (s *Store) startWriter() error {
	conn, err := s.writerConn()
	if err != nil {
		return err
	}
	s.w = &writer{
		ops:     make(chan *writeOp, maxBatch),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
		conn:    conn,
		stmts:   map[string]*sql.Stmt{},
	}
	go s.writeLoop()
	return nil
}

// writerConn opens a connection for the writer. Its page cache stays
// valid across its own commits: it gets 8 MB of it, where the readers
// get 512 KiB (Open).
func (s *Store) writerConn() (*sql.Conn, error) {
	conn, err := s.db.Conn(context.Background())
	if err != nil {
		return nil, fmt.Errorf("opening the writer's connection: %w", err)
	}
	if _, err := conn.ExecContext(context.Background(), "PRAGMA cache_size = -8000"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sizing the writer's cache: %w", err)
	}
	return conn, nil
}

// stopWriter ends the writer after the statements already queued.
func (s *Store) stopWriter() {
	if s.w == nil {
		return
	}
	s.w.sending.Lock()
	if !s.w.closed {
		s.w.closed = true
		close(s.w.stop)
	}
	s.w.sending.Unlock()
	<-s.w.stopped
}

// writeRow runs a writing statement that returns one row (RETURNING)
// into dest; sql.ErrNoRows when it returns none.
func (s *Store) writeRow(query string, args []any, dest ...any) error {
	if s.w == nil {
		defer s.lockWrites()()
		return s.queryRow(query, args...).Scan(dest...)
	}
	_, err := s.write(query, args, dest...)
	return err
}

// write hands a statement to the writer and waits for its result.
func (s *Store) write(query string, args []any, dest ...any) (sql.Result, error) {
	op := &writeOp{query: query, args: args, dest: dest, done: make(chan struct{})}
	s.w.sending.RLock()
	if s.w.closed {
		s.w.sending.RUnlock()
		return nil, errClosed
	}
	s.w.ops <- op
	s.w.sending.RUnlock()
	<-op.done
	if op.err != nil {
		return nil, op.err
	}
	return op.res, nil
}

func (s *Store) writeLoop() {
	w := s.w
	defer close(w.stopped)
	defer func() {
		for _, st := range w.stmts {
			st.Close()
		}
		w.conn.Close()
	}()
	batch := make([]*writeOp, 0, maxBatch)
	for {
		var first *writeOp
		select {
		case first = <-w.ops:
		case <-w.stop:
			// Finish what was queued before the stop (nothing is handed
			// over after it).
			for {
				select {
				case op := <-w.ops:
					s.runBatch([]*writeOp{op})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
		// Let the goroutines that are about to write hand their statements
		// over, so that they join this transaction.
		runtime.Gosched()
	drain:
		for len(batch) < maxBatch {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		s.runBatch(batch)
		clear(batch) // let the finished ops' arguments go
	}
}

// runBatch runs a batch under the process's write turn (transactions of
// several statements, such as RevokeDevice's, take the same turn).
func (s *Store) runBatch(batch []*writeOp) {
	w := s.w
	defer s.lockWrites()()
	w.batches.Add(1)
	w.statements.Add(int64(len(batch)))
	if len(batch) == 1 || !s.runInOneTransaction(batch) {
		if len(batch) > 1 {
			w.fallbacks.Add(1)
		}
		for _, op := range batch {
			op.res, op.err = s.runAlone(op)
		}
	}
	for _, op := range batch {
		close(op.done)
	}
}

// stmt returns query prepared on the writer's connection.
func (w *writer) stmt(query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = st
	return st, nil
}

// runAlone runs one statement in a transaction of its own.
func (s *Store) runAlone(op *writeOp) (execResult, error) {
	st, err := s.w.stmt(op.query)
	if err != nil {
		return execResult{}, err
	}
	return run(st, op)
}

// run runs op's statement, prepared as st.
func run(st *sql.Stmt, op *writeOp) (execResult, error) {
	if op.dest != nil {
		// On an error (sql.ErrNoRows included) dest may hold what a
		// rolled-back run scanned: the callers read it only without one.
		return execResult{rows: 1}, st.QueryRow(op.args...).Scan(op.dest...)
	}
	r, err := st.Exec(op.args...)
	if err != nil {
		return execResult{}, err
	}
	return resultOf(r), nil
}

// runInOneTransaction runs the batch in one transaction. It reports false,
// having rolled everything back, when something other than a constraint
// failed: the caller then runs the statements one by one.
func (s *Store) runInOneTransaction(batch []*writeOp) bool {
	w := s.w
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return false
	}
	for _, op := range batch {
		st, err := w.stmt(op.query)
		if err != nil {
			s.rollback()
			return false
		}
		res, err := run(st, op)
		if err != nil {
			if isConstraint(err) || errors.Is(err, sql.ErrNoRows) {
				// SQLite undid this statement alone (or it changed
				// nothing); the transaction goes on.
				op.res, op.err = execResult{}, err
				continue
			}
			s.rollback()
			return false
		}
		op.res, op.err = res, nil
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		s.rollback()
		return false
	}
	return true
}

// rollback ends the writer's transaction. Should that fail (other than
// for having no transaction: SQLite may have rolled back already), the
// connection may still be inside it, and every later statement would be
// part of a transaction never committed: the writer takes a new
// connection.
func (s *Store) rollback() {
	w := s.w
	_, err := w.conn.ExecContext(context.Background(), "ROLLBACK")
	if err == nil || strings.Contains(err.Error(), "no transaction is active") {
		return
	}
	conn, cerr := s.writerConn()
	if cerr != nil {
		return // keep the old one: nothing better to write with
	}
	for _, st := range w.stmts {
		st.Close()
	}
	w.conn.Raw(func(any) error { return driver.ErrBadConn }) // discard it from the pool
	w.conn.Close()
	w.conn, w.stmts = conn, map[string]*sql.Stmt{}
}

func resultOf(r sql.Result) execResult {
	id, _ := r.LastInsertId()
	n, _ := r.RowsAffected()
	return execResult{lastID: id, rows: n}
}

// isConstraint reports whether SQLite refused a statement for a
// constraint (UNIQUE, PRIMARY KEY, FOREIGN KEY, NOT NULL, CHECK): SQLite
// then undoes that statement only.
func isConstraint(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
