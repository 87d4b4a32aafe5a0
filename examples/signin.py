#!/usr/bin/env python3
"""Ask a user to approve a sign-in on their phone, with Python's standard library.

  COUNTERSIGN_URL=https://countersign.example.com COUNTERSIGN_API_KEY=cs_... COUNTERSIGN_USER=ada python3 signin.py

Prints the number to show on the sign-in page, waits for the answer, and
exits 0 if the user approved, 1 otherwise.
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

for v in ("COUNTERSIGN_URL", "COUNTERSIGN_API_KEY", "COUNTERSIGN_USER"):
    if not os.environ.get(v):
        sys.exit(f"Set {v} (the server's URL, the key from countersignd rp add, the user).")
URL = os.environ["COUNTERSIGN_URL"].rstrip("/")
KEY = os.environ["COUNTERSIGN_API_KEY"]


def call(method, path, body=None):
    """The server's answer; its refusal ends the script."""
    req = urllib.request.Request(
        URL + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=90) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        try:
            err = json.load(e)["error"]
        except (ValueError, KeyError, TypeError):
            err = {"code": f"HTTP {e.code}", "message": "not Countersign's answer"}
        sys.exit(f"Countersign refused: {err['code']}: {err['message']}")
    except urllib.error.URLError as e:
        sys.exit(f"No answer from Countersign at {URL}: {e.reason}")


# context: what the phone shows of this sign-in (here made up; in your
# application the browser's address and user agent).
state = call("POST", "/v1/auth-requests", {
    "user": os.environ["COUNTERSIGN_USER"],
    "method": "push",
    "context": {"app": "Sign-in example", "ip": "203.0.113.7"},
})
print(f"Number: {state['number']}", flush=True)

while state["status"] == "pending":
    state = call("GET", f"/v1/auth-requests/{urllib.parse.quote(state['id'])}?wait=30s")
reason = f" ({state['reason']})" if state.get("reason") else ""
print(f"Status: {state['status']}{reason}")
sys.exit(0 if state["status"] == "approved" else 1)
