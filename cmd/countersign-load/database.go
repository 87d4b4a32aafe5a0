package main

import (
	"fmt"
	"os"

	"github.com/countersign/countersign/internal/pgtest"
)

// databases gives each measured set-up its database: SQLite in a new
// temporary directory, a new database in a private PostgreSQL cluster
// (-db pg), or the one PostgreSQL database given, with the names of each
// set-up prefixed so that they do not meet.
type databases struct {
	label   string // for the report; never the URL, which may hold a password
	url     string // -db URL
	cluster *pgtest.Cluster
	dirs    []string
}

// pushDB is one set-up's database.
type pushDB struct {
	dir    string // the instances' data directory (their key files, and SQLite's file)
	url    string // PostgreSQL; empty for SQLite
	prefix string // the users' and relying party's name prefix
}

func openDatabases(db string) (*databases, error) {
	switch db {
	case "":
		return &databases{label: "SQLite"}, nil
	case "pg":
		c, err := pgtest.Start()
		if err != nil {
			return nil, fmt.Errorf("starting a private PostgreSQL cluster for -db pg: %w", err)
		}
		return &databases{label: "PostgreSQL (a private cluster on loopback)", cluster: c}, nil
	}
	return &databases{label: "PostgreSQL (-db URL)", url: db}, nil
}

// next returns the database of set-up number phase.
func (d *databases) next(phase int) (pushDB, error) {
	if d.url != "" && len(d.dirs) > 0 {
		// One PostgreSQL database keeps one pair of server keys: every
		// set-up uses the first one's data directory.
		return pushDB{dir: d.dirs[0], url: d.url, prefix: fmt.Sprintf("p%d-", phase)}, nil
	}
	dir, err := os.MkdirTemp("", "countersign-load-")
	if err != nil {
		return pushDB{}, fmt.Errorf("making a data directory: %w", err)
	}
	d.dirs = append(d.dirs, dir)
	p := pushDB{dir: dir, url: d.url}
	if d.url != "" {
		p.prefix = fmt.Sprintf("p%d-", phase)
	}
	if d.cluster != nil {
		if p.url, err = d.cluster.NewDatabase(); err != nil {
			return pushDB{}, fmt.Errorf("making a database in the private PostgreSQL cluster: %w", err)
		}
	}
	return p, nil
}

// close removes the data directories and stops the private cluster.
func (d *databases) close() {
	for _, dir := range d.dirs {
		os.RemoveAll(dir)
	}
	if d.cluster != nil {
		if err := d.cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "countersign-load: stopping the private PostgreSQL cluster:", err)
		}
	}
}
