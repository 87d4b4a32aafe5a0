package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL through database/sql: pgx's driver, wrapped so that every
// query, however it reaches the database (a prepared statement, a
// transaction, s.db directly), is rewritten from the store's SQLite
// dialect (pgQuery), and Go booleans are passed as the 0 and 1 that the
// store's INTEGER columns hold (as SQLite stores them).

// pgConnector makes wrapped pgx connections.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("pgx gave a %T, not a *stdlib.Conn", conn)
	}
	return &pgConn{pc}, nil
}

// pgConn is a pgx connection that speaks the store's dialect.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(pgQueryCached(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, pgQueryCached(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, pgQueryCached(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, pgQueryCached(query), args)
}

// CheckNamedValue converts arguments as database/sql would by default,
// then a bool to 0 or 1: PostgreSQL puts no boolean into an integer.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	v := nv.Value
	if valuer, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = valuer.Value(); err != nil {
			return err
		}
	}
	v, err := driver.DefaultParameterConverter.ConvertValue(v)
	if err != nil {
		return err
	}
	if b, ok := v.(bool); ok {
		v = int64(0)
		if b {
			v = int64(1)
		}
	}
	nv.Value = v
	return nil
}

// rewritten caches pgQuery: the store's queries are a fixed set of texts
// (plus the audit filter's few combinations).
var rewritten sync.Map

func pgQueryCached(q string) string {
	if r, ok := rewritten.Load(q); ok {
		return r.(string)
	}
	r := pgQuery(q)
	rewritten.Store(q, r)
	return r
}

// openPostgres opens a PostgreSQL database by URL (postgres://...).
func openPostgres(url string) (*sql.DB, error) {
	cfg, err := pgConfig(url)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)}), nil
}

// defaultConnectTimeout bounds a connection attempt whose URL sets no
// connect_timeout: an unreachable database is an error, not a hang.
const defaultConnectTimeout = 10 * time.Second

// pgConfig reads a database URL, with the password from PGPASSWORD or the
// password file when the URL has none (as psql does).
func pgConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("reading the database URL: %w (the form is postgres://user:password@host:5432/database)", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	return cfg, nil
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
