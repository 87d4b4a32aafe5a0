package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/countersign/countersign/push/server"
	"github.com/countersign/countersign/push/store"
)

// cmdCopyDB copies the SQLite database of --data into the empty PostgreSQL
// database of --db, moving a deployment from one machine to several: the
// devices, applications and everything else carry on, with the same key
// files in --data.
func cmdCopyDB(args []string, stdout io.Writer) error {
	flags, data := newFlags("copy-db")
	if _, err := parse(flags, args, 0, ""); err != nil {
		return err
	}
	dbURL := databaseURL(*data)
	if dbURL == "" {
		return usagef("copy-db needs --db postgres://USER@HOST:5432/DB: the empty PostgreSQL database to copy the SQLite database of --data into")
	}
	path := filepath.Join(*data, server.DatabaseFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no SQLite database in %s (%s is missing): give the --data of the server to copy", *data, server.DatabaseFile)
	}
	src, err := store.Open(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer src.Close()
	dst, err := store.OpenURL(dbURL)
	if err != nil {
		return err
	}
	defer dst.Close()
	n, err := src.CopyTo(dst)
	if err != nil {
		return fmt.Errorf("copying %s into %s: %w", path, store.RedactURL(dbURL), err)
	}
	fmt.Fprintf(stdout, "copied %d rows from %s into %s; start the instances with --db and the key files of %s\n", n, path, store.RedactURL(dbURL), *data)
	return nil
}
