#!/usr/bin/env bash
# Runs a command with a private D-Bus session bus and an unlocked gnome-keyring
# (the real Secret Service), as the keyring tests need:
#
#   scripts/with-keyring.sh go test ./...
#
# The keyring lives in a temporary XDG_DATA_HOME, so the user's own login
# keyring is neither touched nor needed; it is deleted afterwards.
set -euo pipefail
data=$(mktemp -d "${TMPDIR:-/tmp}/countersign-keyring.XXXXXX")
# gnome-keyring-daemon may still be writing for a moment after the bus is gone.
trap 'rm -rf "$data" 2>/dev/null || { sleep 1; rm -rf "$data"; }' EXIT
export XDG_DATA_HOME=$data
status=0
dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' with-keyring "$@" || status=$?
exit "$status"
