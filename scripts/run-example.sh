#!/usr/bin/env bash
# `make run`: renders the bundled example platform and draws its graph.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cozypkg="$build/cozypkg"
echo "# cozypkg render -f examples/platform"
"$cozypkg" render -f "$root/examples/platform"
echo
echo "# cozypkg dot -f examples/platform"
"$cozypkg" dot -f "$root/examples/platform"
if command -v dot >/dev/null; then
  "$cozypkg" dot -f "$root/examples/platform" | dot -Tsvg >"$build/example-graph.svg"
  echo "# graph written to $build/example-graph.svg"
fi
