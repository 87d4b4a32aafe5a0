#!/usr/bin/env bash
# Idle cost of the GUI: CPU and memory of the real binary under Xvfb with a
# vault of N accounts (default 200) in the real keyring, next to the same
# binary with an empty vault, and next to a bare Fyne window (an empty window
# of the same size, cmd/internal/barewindow, built the same way) and the
# same window showing one label (the least any window shows), all
# measured in the same run. The goal (issue 12): with N accounts, at most
# 1.3x the bare window's RSS, and idle CPU under 1 %.
#
#   scripts/idle.sh [N]        (make test's packages must be installed)
#   TAGS= scripts/idle.sh      (Fyne's default build, with its emoji font)
#
# For each: start the GUI, wait for its window, let it settle for
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
# Built as make builds bin/countersign (TAGS=no_emoji); TAGS= measures
# Fyne's default build. The bare window is built with the same tags.
tags=${TAGS-no_emoji}
go build -tags "$tags" -o "$work/countersign" ./cmd/countersign
go build -tags "$tags" -o "$work/barewindow" ./cmd/internal/barewindow
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
# measure TITLE COMMAND...: runs the GUI COMMAND, whose window is TITLE;
# prints "cpu_percent rss_mib"
measure() {
  local title=$1
  shift
  "$@" >"$work/gui.log" 2>&1 &
  local pid=$!
  if ! timeout 30 xdotool search --sync --onlyvisible --name "^$title\$" >/dev/null; then
    echo "idle.sh: no $title window within 30 s; its output:" >&2
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
  # An app that does not exit is a bug to report, not a reason to wait forever.
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 150 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -QUIT "$pid" # Go prints every goroutine's stack to the log
    sleep 1
    echo "idle.sh: $title did not exit within 15 s of SIGTERM; its output:" >&2
    cat "$work/gui.log" >&2
    kill -KILL "$pid" 2>/dev/null || true
    exit 1
  fi
  wait "$pid" || { echo "idle.sh: the app exited with status $? after SIGTERM" >&2; exit 1; }
  awk -v d="$((t1 - t0))" -v tck="$tck" -v w="$window" -v rss="$rss" \
    'BEGIN { printf "%.2f %.1f\n", 100 * d / tck / w, rss / 1024 }'
}

# measure runs in a process substitution: a failure there (it said why on
# standard error) leaves the figures empty, which ends the run here.
read -r cpu_full rss_full < <(measure Countersign "$cs" --vault "$work/full")
[ -n "${rss_full:-}" ] || exit 1
read -r cpu_empty rss_empty < <(measure Countersign "$cs" --vault "$work/empty")
[ -n "${rss_empty:-}" ] || exit 1
read -r cpu_bare rss_bare < <(measure "Bare Fyne window" "$work/barewindow" "Bare Fyne window")
[ -n "${rss_bare:-}" ] || exit 1
read -r cpu_label rss_label < <(measure "Fyne window with a label" "$work/barewindow" -label "Fyne window with a label")
[ -n "${rss_label:-}" ] || exit 1

echo "Idle cost of countersign under Xvfb (1920x1080x24), built with tags '${tags}', ${settle} s settle, ${window} s sample, $(nproc) CPUs, $(date -u +%F):"
printf '  %-30s %8s %10s\n' "window" "CPU %" "RSS MiB"
printf '  %-30s %8s %10s\n' "$n accounts" "$cpu_full" "$rss_full"
printf '  %-30s %8s %10s\n' "empty vault" "$cpu_empty" "$rss_empty"
printf '  %-30s %8s %10s\n' "bare Fyne window (reference)" "$cpu_bare" "$rss_bare"
printf '  %-30s %8s %10s\n' "Fyne window with one label" "$cpu_label" "$rss_label"
awk -v n="$n" -v cf="$cpu_full" -v ce="$cpu_empty" -v cb="$cpu_bare" -v cl="$cpu_label" -v rf="$rss_full" -v re="$rss_empty" -v rb="$rss_bare" -v rl="$rss_label" '
function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "n/a (the bare window used no measurable CPU)" }
BEGIN {
  printf "  %d accounts / bare window: CPU %s, RSS %.2fx\n", n, ratio(cf, cb), rf / rb
  printf "  empty vault / bare window: CPU %s, RSS %.2fx\n", ratio(ce, cb), re / rb
  printf "  window with one label / bare window: CPU %s, RSS %.2fx\n", ratio(cl, cb), rl / rb
  ok = rf / rb <= 1.3 && cf < 1
  printf "  goal (RSS at most 1.3x the bare window, idle CPU under 1 %%) with %d accounts: %s\n", n, ok ? "met" : "NOT met"
}'
