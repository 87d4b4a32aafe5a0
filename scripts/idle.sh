#!/usr/bin/env bash
# Idle cost of the GUI: CPU and memory of the real binary under Xvfb with a
# vault of N accounts (default 200) in the real keyring, next to the same
# binary with an empty vault measured in the same run.
#
#   scripts/idle.sh [N]        (make test's packages must be installed)
#
# For each vault: start the GUI, wait for its window, let it settle for
# SETTLE seconds (default 10), then sample utime+stime from /proc/PID/stat
# over WINDOW seconds (default 60) and VmRSS at the end. It runs itself under
# its own Xvfb and private gnome-keyring, so it never touches your keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
settle=${SETTLE:-10}
window=${WINDOW:-60}

if [ "${COUNTERSIGN_IDLE_INNER:-}" != 1 ]; then
  export COUNTERSIGN_IDLE_INNER=1
  exec xvfb-run -a -s "-screen 0 1920x1080x24" scripts/with-keyring.sh "$0" "$@"
fi

[ -x /usr/local/go/bin/go ] && PATH=$PATH:/usr/local/go/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-idle.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/countersign" ./cmd/countersign
cs=$work/countersign
export HOME=$work/home # fresh Fyne preferences: the default window size
mkdir -p "$HOME"

# A vault of N TOTP accounts with distinct random seeds, added in one command.
mkdir -p "$work/full" "$work/empty"
uris=()
for i in $(seq 1 "$n"); do
  secret=$(head -c 20 /dev/urandom | base32 | tr -d '=')
  uris+=("otpauth://totp/Issuer$i:user$i@example.com?secret=$secret&issuer=Issuer$i")
done
"$cs" --vault "$work/full" add "${uris[@]}" >/dev/null
[ "$("$cs" --vault "$work/full" list | wc -l)" -eq "$n" ] || { echo "idle.sh: the vault does not hold $n accounts" >&2; exit 1; }

tck=$(getconf CLK_TCK)
# measure VAULT: prints "cpu_percent rss_mib"
measure() {
  "$cs" --vault "$1" >"$work/gui.log" 2>&1 &
  local pid=$!
  if ! timeout 30 xdotool search --sync --onlyvisible --name '^Countersign$' >/dev/null; then
    echo "idle.sh: no Countersign window within 30 s; its output:" >&2
    cat "$work/gui.log" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  sleep "$settle"
  local t0 t1
  t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  sleep "$window"
  t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  local rss
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"
  wait "$pid" || { echo "idle.sh: the app exited with status $? after SIGTERM" >&2; exit 1; }
  awk -v d="$((t1 - t0))" -v tck="$tck" -v w="$window" -v rss="$rss" \
    'BEGIN { printf "%.2f %.1f\n", 100 * d / tck / w, rss / 1024 }'
}

read -r cpu_full rss_full < <(measure "$work/full")
read -r cpu_empty rss_empty < <(measure "$work/empty")

echo "Idle cost of countersign under Xvfb (1920x1080x24), ${settle} s settle, ${window} s sample, $(nproc) CPUs:"
printf '  %-22s %8s %10s\n' "vault" "CPU %" "RSS MiB"
printf '  %-22s %8s %10s\n' "$n accounts" "$cpu_full" "$rss_full"
printf '  %-22s %8s %10s\n' "empty (reference)" "$cpu_empty" "$rss_empty"
awk -v cf="$cpu_full" -v ce="$cpu_empty" -v rf="$rss_full" -v re="$rss_empty" 'BEGIN {
  if (ce > 0) printf "  ratio %d accounts / empty: CPU %.2fx, RSS %.2fx\n", '"$n"', cf / ce, rf / re
  else printf "  ratio %d accounts / empty: CPU n/a (empty used no measurable CPU), RSS %.2fx\n", '"$n"', rf / re
}'
