package store

// schemaDuo gives relying parties the credentials of Duo's Auth API: an
// integration key (public, unique) and its secret key, sealed with the
// server's seal key (it must be usable to verify signatures, so it cannot
// be a hash), and whether the integration's pushes ask for approval only,
// without number matching.
const schemaDuo = `ALTER TABLE relying_parties ADD COLUMN ikey TEXT;
	ALTER TABLE relying_parties ADD COLUMN sealed_skey BLOB;
	ALTER TABLE relying_parties ADD COLUMN approve_only INTEGER NOT NULL DEFAULT 0;
	CREATE UNIQUE INDEX relying_parties_ikey ON relying_parties(ikey);`
