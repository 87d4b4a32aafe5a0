package store

// schemaConsole adds the administrators of the web console (each is also a
// user, with an Argon2id password hash), their sessions (kept as hashes of
// the cookie), one-time bypass codes, and revocation of applications.
const schemaConsole = `CREATE TABLE admins (
		name          TEXT PRIMARY KEY REFERENCES users(name),
		password_hash TEXT NOT NULL,
		created       INTEGER NOT NULL
	);
	CREATE TABLE admin_sessions (
		id_hash    BLOB PRIMARY KEY,
		admin      TEXT NOT NULL REFERENCES admins(name) ON DELETE CASCADE,
		csrf       TEXT NOT NULL,
		created    INTEGER NOT NULL,
		last_seen  INTEGER NOT NULL,
		reauth     INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE bypass_codes (
		user       TEXT NOT NULL REFERENCES users(name),
		code_hash  BLOB NOT NULL,
		created    INTEGER NOT NULL,
		expires    INTEGER NOT NULL,
		created_by TEXT NOT NULL,
		used       INTEGER,
		PRIMARY KEY (user, code_hash)
	);
	ALTER TABLE relying_parties ADD COLUMN revoked INTEGER;`
