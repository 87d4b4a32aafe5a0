"""Calls countersignd's Duo Auth API with Duo's own Python client
(duo_client, Debian's python3-duo-client), as an integration does, and
prints one JSON object: what each call answered. Run by cmd/countersignd's
tests (duo_python_test.go) with Debian's /usr/bin/python3.

Environment: DUO_IKEY, DUO_SKEY, DUO_HOST (api_hostname without the port),
DUO_PORT, DUO_CA (the server's certificate, PEM), DUO_USER,
DUO_UNKNOWN_USER, DUO_PASSCODE.
"""
import hashlib
import json
import os
import sys

import duo_client

env = os.environ


def client(skey=None, sig_version=2, digestmod=hashlib.sha1):
    # host, ikey, skey, and ca_certs: the server's CA instead of the ones
    # Duo's client pins. port only because the test server is not on 443.
    return duo_client.Auth(ikey=env['DUO_IKEY'], skey=skey or env['DUO_SKEY'], host=env['DUO_HOST'],
                           ca_certs=env['DUO_CA'], port=int(env['DUO_PORT']),
                           sig_version=sig_version, digestmod=digestmod)


def answer(call):
    """The response, or {"stat": "FAIL", ...} as the server sent it."""
    try:
        return {'stat': 'OK', 'response': call()}
    except RuntimeError as e:
        # The client keeps the FAIL answer, parsed or not, in e.data.
        return e.data if isinstance(e.data, dict) else json.loads(e.data)


# Signature v2 with HMAC-SHA1 (this client's default), v4 with HMAC-SHA512.
v2, v4 = client(), client(sig_version=4, digestmod=hashlib.sha512)
out = {
    'ping': answer(v2.ping),
    'check_v2': answer(v2.check),
    'check_v4': answer(v4.check),
    'check_wrong_skey': answer(client(skey='x' * 40).check),
    'preauth': answer(lambda: v2.preauth(username=env['DUO_USER'])),
    'preauth_unknown': answer(lambda: v4.preauth(username=env['DUO_UNKNOWN_USER'])),
    'auth_passcode': answer(lambda: v4.auth('passcode', username=env['DUO_USER'], passcode=env['DUO_PASSCODE'])),
    'auth_replay': answer(lambda: v2.auth('passcode', username=env['DUO_USER'], passcode=env['DUO_PASSCODE'])),
}
sys.stdout.write(json.dumps(out) + '\n')
