#!/usr/bin/env bash
# Ask a user to approve a sign-in on their phone, with curl.
#   COUNTERSIGN_URL=https://countersign.example.com COUNTERSIGN_API_KEY=cs_... COUNTERSIGN_USER=ada bash curl.sh
# Prints the number to show on the sign-in page, waits for the answer, and
# exits 0 if the user approved, 1 otherwise.
set -euo pipefail
for v in COUNTERSIGN_URL COUNTERSIGN_API_KEY COUNTERSIGN_USER; do
  [ -n "${!v:-}" ] || { echo "Set $v (the server's URL, the key from countersignd rp add, the user)." >&2; exit 1; }
done
url=${COUNTERSIGN_URL%/}

# call METHOD PATH [JSON]: the server's answer; its refusal ends the script.
call() {
  local out status
  out=$(curl -sS --max-time 90 -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $COUNTERSIGN_API_KEY" \
    ${3:+-H 'Content-Type: application/json' --data "$3"} "$url$2") || { echo "No answer from Countersign at $url." >&2; exit 1; }
  status=${out##*$'\n'} out=${out%$'\n'*}
  case $status in
  2??) printf '%s\n' "$out" ;;
  *) echo "Countersign refused: $(field code <<<"$out"): $(field message <<<"$out")" >&2; exit 1 ;;
  esac
}

# field NAME: the value of the JSON string field NAME on standard input.
field() { sed -nE 's/.*"'"$1"'":"(([^"\\]|\\.)*)".*/\1/p' | sed -E 's/\\(.)/\1/g'; }

user=${COUNTERSIGN_USER//\\/\\\\}
user=${user//\"/\\\"}
# context: what the phone shows of this sign-in (here made up; in your
# application the browser's address and user agent).
state=$(call POST /v1/auth-requests "{\"user\":\"$user\",\"method\":\"push\",\"context\":{\"app\":\"Sign-in example\",\"ip\":\"203.0.113.7\"}}")
id=$(field id <<<"$state")
echo "Number: $(field number <<<"$state")"

status=$(field status <<<"$state")
while [ "$status" = pending ]; do
  state=$(call GET "/v1/auth-requests/$id?wait=30s")
  status=$(field status <<<"$state")
done
reason=$(field reason <<<"$state")
echo "Status: $status${reason:+ ($reason)}"
[ "$status" = approved ]
