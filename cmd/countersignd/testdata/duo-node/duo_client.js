// Calls countersignd's Duo Auth API with Duo's own Node client
// (@duosecurity/duo_api), as an integration does, and prints one JSON
// object: what each call answered. Run by cmd/countersignd's tests
// (duo_node_test.go) with NODE_PATH at the installed node_modules.
//
// Environment: DUO_IKEY, DUO_SKEY, DUO_HOST (api_hostname), DUO_CA (the
// server's certificate, PEM), DUO_PORT (the test server's port), DUO_USER,
// DUO_UNKNOWN_USER, DUO_PASSCODE.
'use strict'
const fs = require('fs')
const https = require('https')
const duo = require('@duosecurity/duo_api')
const constants = require('@duosecurity/duo_api/lib/constants')

// The client pins Duo's CAs (lib/constants.js, DUO_PINNED_CERT, read at
// each call): trust the server's CA instead. This is the line a Node user
// of a self-hosted Countersign adds.
constants.DUO_PINNED_CERT = fs.readFileSync(process.env.DUO_CA, 'utf8')
// The client always connects to port 443 (it passes the host alone to
// https.request); the test server listens elsewhere.
https.globalAgent.defaultPort = Number(process.env.DUO_PORT)

const env = process.env
const v2 = new duo.Client(env.DUO_IKEY, env.DUO_SKEY, env.DUO_HOST)
const v5 = new duo.Client(env.DUO_IKEY, env.DUO_SKEY, env.DUO_HOST, duo.SIGNATURE_VERSION_5)
const wrong = new duo.Client(env.DUO_IKEY, 'x'.repeat(40), env.DUO_HOST)

function call (client, method, path, params) {
  return new Promise(resolve => client.jsonApiCall(method, path, params, resolve))
}

async function main () {
  const out = {}
  out.check_v2 = await call(v2, 'GET', '/auth/v2/check', {})
  out.check_v5 = await call(v5, 'GET', '/auth/v2/check', {})
  out.check_wrong_skey = await call(wrong, 'GET', '/auth/v2/check', {})
  out.preauth = await call(v2, 'POST', '/auth/v2/preauth', { username: env.DUO_USER })
  out.preauth_unknown = await call(v5, 'POST', '/auth/v2/preauth', { username: env.DUO_UNKNOWN_USER })
  out.auth_passcode = await call(v5, 'POST', '/auth/v2/auth', { username: env.DUO_USER, factor: 'passcode', passcode: env.DUO_PASSCODE })
  out.auth_replay = await call(v2, 'POST', '/auth/v2/auth', { username: env.DUO_USER, factor: 'passcode', passcode: env.DUO_PASSCODE })
  process.stdout.write(JSON.stringify(out) + '\n')
}

main().catch(err => { console.error(err); process.exit(1) })
