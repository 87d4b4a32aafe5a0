package store

// schemaMethods adds what the phone methods need: a user's phone number and
// default method, the methods each user has, the sealed one-time code of a
// text-message sign-in, the telephony messages sent (for the abuse limits),
// recovery codes kept as hashes, and audit columns that the usage report
// counts by.
const schemaMethods = `ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN default_method TEXT NOT NULL DEFAULT '';
	CREATE TABLE user_methods (
		user    TEXT NOT NULL REFERENCES users(name),
		method  TEXT NOT NULL,
		added   INTEGER NOT NULL,
		PRIMARY KEY (user, method)
	);
	ALTER TABLE auth_requests ADD COLUMN method TEXT NOT NULL DEFAULT 'push';
	ALTER TABLE auth_requests ADD COLUMN sealed_code BLOB;
	ALTER TABLE auth_requests ADD COLUMN code_failures INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE telephony_messages (
		id         TEXT PRIMARY KEY,
		time       INTEGER NOT NULL,
		user       TEXT NOT NULL,
		kind       TEXT NOT NULL,
		to_number  TEXT NOT NULL,
		country    TEXT NOT NULL,
		purpose    TEXT NOT NULL,
		request_id TEXT NOT NULL DEFAULT '',
		status     TEXT NOT NULL
	);
	CREATE INDEX telephony_to ON telephony_messages(to_number, time);
	CREATE INDEX telephony_user ON telephony_messages(user, time);
	CREATE INDEX telephony_time ON telephony_messages(time);
	CREATE TABLE phone_proofs (
		id          TEXT PRIMARY KEY,
		user        TEXT NOT NULL REFERENCES users(name),
		phone       TEXT NOT NULL,
		method      TEXT NOT NULL,
		sealed_code BLOB NOT NULL,
		created     INTEGER NOT NULL,
		expires     INTEGER NOT NULL,
		failures    INTEGER NOT NULL DEFAULT 0,
		used        INTEGER
	);
	CREATE TABLE recovery_codes (
		user      TEXT NOT NULL REFERENCES users(name),
		code_hash BLOB NOT NULL,
		created   INTEGER NOT NULL,
		used      INTEGER,
		PRIMARY KEY (user, code_hash)
	);
	ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT '';
	ALTER TABLE audit ADD COLUMN application TEXT NOT NULL DEFAULT '';
	ALTER TABLE audit ADD COLUMN method TEXT NOT NULL DEFAULT '';
	ALTER TABLE audit ADD COLUMN result TEXT NOT NULL DEFAULT '';
	CREATE INDEX audit_time ON audit(time);
	CREATE INDEX audit_kind_time ON audit(kind, time);`
