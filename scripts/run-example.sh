#!/usr/bin/env bash
# `make run`: renders the bundled example platform and draws its graph.
# Only sources/ and packages.yaml are manifests: examples/platform/repo/ is
# the chart tree the PackageSources point at, not input for cozypkg.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cozypkg="$build/cozypkg"
ex="$root/examples/platform"
input=(-f "$ex/sources" -f "$ex/packages.yaml")
echo "# cozypkg render -f examples/platform/sources -f examples/platform/packages.yaml"
"$cozypkg" render "${input[@]}"
echo
echo "# cozypkg dot -f examples/platform/sources -f examples/platform/packages.yaml"
"$cozypkg" dot "${input[@]}"
if command -v dot >/dev/null; then
  "$cozypkg" dot "${input[@]}" | dot -Tsvg >"$build/example-graph.svg"
  echo "# graph written to $build/example-graph.svg"
fi
