package store

// pgCompat defines in PostgreSQL the SQLite functions the store's queries
// use, with SQLite's meaning for the uses the store makes of them, so that
// one query text serves both databases:
//
//   - strftime(format, t, 'unixepoch'): the Unix time t in UTC, formatted
//     with %Y %m %d %H %M %S;
//   - json_extract(json, '$.a.b'): the text at that path, or NULL.
//
// And one of the store's own, countersign_request_room (see
// AddAuthRequestWithin).
//
// The migration runs it, under its lock, at every start (CREATE OR
// REPLACE: a newer server may have newer definitions).
const pgCompat = `CREATE OR REPLACE FUNCTION strftime(format text, t bigint, modifier text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT CASE WHEN modifier = 'unixepoch' THEN to_char(to_timestamp(t) AT TIME ZONE 'UTC',
		replace(replace(replace(replace(replace(replace(format, '%Y', 'YYYY'), '%m', 'MM'), '%d', 'DD'), '%H', 'HH24'), '%M', 'MI'), '%S', 'SS')) END
	$$;
CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT doc::jsonb #>> string_to_array(substr(path, 3), '.')
	$$;
CREATE OR REPLACE FUNCTION countersign_request_room(u text, party text, now_unix bigint, max_pending bigint, since_unix bigint, max_recent bigint) RETURNS boolean
	LANGUAGE plpgsql VOLATILE AS $$
	BEGIN
		-- The user's row, locked as lockUser's UPDATE locks it (without
		-- writing a new version of it at every sign-in): a request racing
		-- this one waits here until this transaction ends. Each statement
		-- of a VOLATILE function reads a new snapshot, so the counts below
		-- see what the transaction that held the row before committed.
		PERFORM 1 FROM users WHERE name = u FOR NO KEY UPDATE;
		RETURN (SELECT COUNT(*) FROM auth_requests WHERE "user" = u AND rp = party AND status = 'pending' AND expires > now_unix) < max_pending
			AND (SELECT COUNT(*) FROM auth_requests WHERE "user" = u AND rp = party AND created >= since_unix) < max_recent;
	END
	$$;`
