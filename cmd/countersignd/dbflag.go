package main

import (
	"flag"
	"sync"

	"github.com/countersign/countersign/push/store"
)

// The --db flag of every command (newFlags): a PostgreSQL database URL
// that several countersignd instances share. A command's --db goes with
// its --data (the key files stay there): parse records the pair, and
// openAdmin and serve look the database up by the --data they were given.
var databases struct {
	sync.Mutex
	byData map[string]string
}

const dbUsage = "PostgreSQL database, postgres://USER@HOST:5432/DB (its password from PGPASSWORD or ~/.pgpass), that several instances share (default: the SQLite file in --data); the key files stay in --data"

// checkDB checks a --db value: a PostgreSQL URL, or nothing.
func checkDB(v string) error {
	if v != "" && !store.IsPostgresURL(v) {
		return usagef("--db %q is not a PostgreSQL URL: give postgres://USER@HOST:5432/DB (its password from PGPASSWORD or ~/.pgpass), or leave --db out for the SQLite file in --data", store.RedactURL(v))
	}
	return nil
}

// recordDB remembers the --db that goes with fs's --data, once fs is parsed.
func recordDB(fs *flag.FlagSet) error {
	data, db := fs.Lookup("data"), fs.Lookup("db")
	if data == nil || db == nil {
		return nil
	}
	if err := checkDB(db.Value.String()); err != nil {
		return err
	}
	databases.Lock()
	defer databases.Unlock()
	if databases.byData == nil {
		databases.byData = map[string]string{}
	}
	databases.byData[data.Value.String()] = db.Value.String()
	return nil
}

// databaseURL returns the --db given with --data dir, or "" (SQLite).
func databaseURL(dir string) string {
	databases.Lock()
	defer databases.Unlock()
	return databases.byData[dir]
}
