#!/usr/bin/env bash
# What each kind of thing drawn costs in memory: the reference window of
# scripts/idle.sh (cmd/internal/barewindow, 420x640) showing one label,
# and then the same window with one primitive more at a time (-draw), each
# started with a fresh HOME (so Mesa's shader cache is cold, as in
# idle.sh), measured SETTLE seconds (default 20) after its window showed.
#
#   scripts/idle-primitives.sh [DRAW...]   (default: each primitive alone)
#
# Each DRAW is a comma-separated list for barewindow -draw ("-" for none).
# A name may repeat: -draw rect,rect,rect draws three rectangles, e.g.
#   scripts/idle-primitives.sh "$(printf 'rect,%.0s' $(seq 199))rect"
# Columns, from /proc/PID/smaps, MiB: RSS; the C heap (malloc's main
# arena, [heap], and its other arenas); libLLVM's pages in use; the rest
# of the anonymous memory (Go's heap and stacks, large mallocs).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${COUNTERSIGN_IDLE_INNER:-}" != 1 ]; then
  export COUNTERSIGN_IDLE_INNER=1
  exec xvfb-run -a -s "-screen 0 1920x1080x24" "$0" "$@"
fi
[ -x /usr/local/go/bin/go ] && PATH=$PATH:/usr/local/go/bin
settle=${SETTLE:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-prim.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -tags "${TAGS-no_emoji}" -o "$work/barewindow" ./cmd/internal/barewindow
if [ $# -eq 0 ]; then
  set -- - $("$work/barewindow" -h 2>&1 | sed -n 's/.*comma-separated: //p' | tr -d ',')
fi

# smaps PID: prints "rss cheap llvm anon" in MiB.
smaps() {
  awk '
    /^[0-9a-f]+-[0-9a-f]+ / {
      split($1, r, "-"); perm = $2; name = $6
      # 64 MiB boundary: the last six hex digits 0, the seventh a multiple of 4.
      d = index("0123456789abcdef", substr(r[1], length(r[1]) - 6, 1)) - 1
      aligned = substr(r[1], length(r[1]) - 5) == "000000" && d % 4 == 0
      kind = "other"
      if (name == "[heap]") kind = "cheap"
      else if (name ~ /libLLVM/) kind = "llvm"
      # glibc puts its other arenas at 64 MiB boundaries.
      # (Go reserves the address space of its heap first: an aligned rw-p
      # mapping right after a ---p one belongs to Go.)
      else if (name == "" && perm == "rw-p" && aligned && !(prevperm == "---p" && prevend == r[1])) kind = "cheap"
      else if (name == "" && perm == "rw-p") kind = "anon"
      prevperm = perm; prevend = r[2]
      next
    }
    /^Rss:/ { rss += $2; sum[kind] += $2 }
    END { printf "%7.1f %7.1f %7.1f %7.1f\n", rss/1024, sum["cheap"]/1024, sum["llvm"]/1024, sum["anon"]/1024 }
  ' "/proc/$1/smaps"
}

# label DRAW: DRAW, or "N x NAME" when it is one name repeated.
label() {
  local n
  n=$(tr ',' '\n' <<<"$1" | sort -u | wc -l)
  if [ "$n" = 1 ] && [[ $1 == *,* ]]; then
    echo "$(tr ',' '\n' <<<"$1" | wc -l) x ${1%%,*}"
  else
    echo "$1"
  fi
}

printf '%-40s %7s %7s %7s %7s\n' "label window and" "RSS" "C heap" "libLLVM" "anon"
for draw in "$@"; do
  export HOME=$work/home-$RANDOM
  mkdir -p "$HOME"
  args=(-label)
  [ "$draw" != - ] && args+=(-draw "$draw")
  "$work/barewindow" "${args[@]}" "Primitive probe" >"$work/log" 2>&1 &
  pid=$!
  timeout 30 xdotool search --sync --onlyvisible --name "^Primitive probe\$" >/dev/null || { cat "$work/log" >&2; exit 1; }
  sleep "$settle"
  printf '%-40s %s\n' "$(label "$draw")" "$(smaps "$pid")"
  kill -TERM "$pid"
  wait "$pid" || true
done
