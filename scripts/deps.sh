#!/usr/bin/env bash
# Checks what `make run` or `make test` needs and installs what is missing.
#
#   scripts/deps.sh run    Go, a C compiler and Fyne's OpenGL/X11 headers
#   scripts/deps.sh test   the above, plus the keyring, Xvfb, Chromium and the peer tools the tests run
#
# As root the missing Debian packages are installed with apt-get; otherwise the
# exact command to run is printed and the script fails.
set -euo pipefail

run_pkgs=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
  libxinerama-dev libxi-dev libxxf86vm-dev)
test_pkgs=(gnome-keyring dbus dbus-x11 xvfb xauth oathtool zbar-tools zxing-cpp-tools
  qrencode xdotool xclip webp libsecret-tools x11-xserver-utils imagemagick # imagemagick: display, to show a QR code on screen
  chromium # chromium: the server's web pages are tested in a headless browser (internal/browsertest)
  nodejs npm python3 curl # Duo's Node client and the README's curl, Python and Node examples are run against a real server
  haproxy # two countersignd instances behind a real load balancer (cmd/countersignd/cluster_test.go)
  postgresql # a private PostgreSQL cluster for the store and server tests (internal/pgtest)
  python3-duo-client) # Duo's Python client, run against a real server

case "${1:-}" in
run) want=("${run_pkgs[@]}") ;;
test) want=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
*)
  echo "usage: $0 run|test" >&2
  exit 2
  ;;
esac

cd "$(dirname "$0")/.."

# Go: the version go.mod asks for, or newer.
need_go=$(awk '$1 == "go" { print $2; exit }' go.mod)
if ! command -v go >/dev/null 2>&1; then
  echo "countersign: Go $need_go or newer is needed and 'go' is not on PATH." >&2
  echo "  Install it from https://go.dev/dl/ (unpack into /usr/local) and add /usr/local/go/bin to PATH." >&2
  exit 1
fi
have_go=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -n 1)" != "$need_go" ]; then
  echo "countersign: Go $need_go or newer is needed; $(command -v go) is Go $have_go." >&2
  echo "  Install a newer Go from https://go.dev/dl/ and put its bin directory first on PATH." >&2
  exit 1
fi

missing=()
for p in "${want[@]}"; do
  # NodeSource's nodejs package carries npm and conflicts with Debian's.
  [ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "countersign: missing system packages: ${missing[*]}" >&2
  echo "  This script knows Debian and Ubuntu (apt-get); install the equivalents with your package manager." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "countersign: missing system packages: ${missing[*]}" >&2
  echo "  Install them, then run make again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing missing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
