package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestDatabasesArePrivateAndSeparate starts the cluster, makes two
// schemas and a database, and shows that a table made in one is in
// neither of the others, and that a wrong password is refused.
func TestDatabasesArePrivateAndSeparate(t *testing.T) {
	a := URL(t)
	for _, b := range []string{URL(t), DatabaseURL(t)} {
		separate(t, a, b)
	}
}

func separate(t *testing.T, a, b string) {
	ctx := context.Background()
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, `CREATE TABLE IF NOT EXISTS only_here (x int)`); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var there, here bool
	if err := cb.QueryRow(ctx, `SELECT to_regclass('only_here') IS NOT NULL`).Scan(&there); err != nil || there {
		t.Fatalf("%s sees the table of %s: %v, %v", b, a, there, err)
	}
	if err := ca.QueryRow(ctx, `SELECT to_regclass('only_here') IS NOT NULL`).Scan(&here); err != nil || !here {
		t.Fatalf("%s does not see its own table: %v, %v", a, here, err)
	}
	var user string
	if err := ca.QueryRow(ctx, `SELECT current_user`).Scan(&user); err != nil || user != "postgres" {
		t.Fatalf("current_user = %q, %v", user, err)
	}
	cfg, _ := pgx.ParseConfig(a)
	cfg.Password = "wrong"
	if c, err := pgx.ConnectConfig(ctx, cfg); err == nil {
		c.Close(ctx)
		t.Fatal("a wrong password was accepted")
	}
}
