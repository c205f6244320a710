#!/usr/bin/env bash
# Installs every Debian package that building, testing, fuzzing and
# benchmarking cozypkg needs. Safe to run again: apt-get skips what is there.
set -euo pipefail

packages=(
  build-essential pkg-config clang
  libjansson-dev libyaml-dev libsqlite3-dev libmicrohttpd-dev
  libcurl4-openssl-dev libgit2-dev libarchive-dev libssl-dev libcmocka-dev
  zlib1g-dev
  graphviz valgrind time curl wrk
  docker-registry skopeo apache2-utils git tmux
  chromium
)

# The browser tests' harness is installed with npm. A machine whose Node.js
# comes from elsewhere (NodeSource's nodejs carries its own npm) would have
# Debian's npm refused as a conflict, so Debian's are added only when
# there is no npm at all.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

# The end-to-end tests drive cozypkgd with the real kubectl. Debian's own
# kubernetes-client is too old (1.20); the kubectl package comes from the
# Kubernetes or Google Cloud apt repositories when the machine has them.
if ! command -v kubectl >/dev/null 2>&1; then
  packages+=(kubectl)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=sudo
  else
    echo "cozypkg needs these Debian packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
