#!/usr/bin/env bash
# End-to-end test runner.  Each tests/e2e/NN-area.sh file defines test
# functions and registers them with `t "title" function`; the runner runs
# each in a fresh temporary directory and counts passes and failures.
#   CZ_BUILD=build tests/e2e/run.sh [PATTERN]
set -u
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
BUILD=${CZ_BUILD:-build}
[[ $BUILD = /* ]] || BUILD="$ROOT/$BUILD"
export COZYPKG="$BUILD/cozypkg"
export FIXTURES="$ROOT/../shared/fixtures"
export SOURCES="$FIXTURES/cozystack-platform/sources"
export ROOT E2E_DIR BUILD
pattern=${1:-}

source "$E2E_DIR/lib.sh"

tests=()
titles=()
t() { titles+=("$1"); tests+=("$2"); }

for f in "$E2E_DIR"/[0-9][0-9]-*.sh; do
  [[ -n $pattern && $f != *$pattern* ]] && continue
  source "$f"
done

passed=0
failed=0
for i in "${!tests[@]}"; do
  work=$(mktemp -d)
  log="$work/.log"
  # Not inside an `if`: bash ignores set -e in a tested context, and every
  # failing check in a test must end it.
  (cd "$work" || exit 1; set -e; "${tests[$i]}") >"$log" 2>&1
  status=$?
  if ((status == 0)); then
    passed=$((passed + 1))
    echo "ok   ${titles[$i]}"
  else
    failed=$((failed + 1))
    echo "FAIL ${titles[$i]}"
    sed 's/^/     | /' "$log" | tail -25
  fi
  rm -rf "$work"
done
echo "e2e: $passed passed, $failed failed"
