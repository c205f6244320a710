#!/usr/bin/env bash
# Runs the unit tests (cmocka binaries) and the end-to-end tests, then
# prints one closing line: "N passed, N failed".
#   tests/run-all.sh BUILD_DIR [unit|e2e]
set -u
build=${1:?usage: run-all.sh BUILD_DIR [unit|e2e]}
only=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
failures=()

run_unit() {
  local bin out p f
  for bin in "$build"/tests/test_*; do
    [[ -x $bin ]] || continue
    out=$("$bin" 2>&1)
    local status=$?
    printf '%s\n' "$out" | grep -E '^\[  (FAILED|ERROR) ' >&2
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    p=${p:-0}
    f=${f:-0}
    if ((status != 0 && f == 0)); then
      # Crashed (sanitizer report, abort) before cmocka could count.
      printf '%s\n' "$out" | tail -20 >&2
      f=1
    fi
    echo "unit $(basename "$bin"): $p passed, $f failed"
    passed=$((passed + p))
    failed=$((failed + f))
    ((f)) && failures+=("$(basename "$bin")")
  done
}

run_e2e() {
  local out
  out=$(mktemp)
  CZ_BUILD="$build" bash "$root/tests/e2e/run.sh" | tee "$out"
  local p f
  p=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out" | tail -1)
  f=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out" | tail -1)
  if [[ -z $p ]]; then
    echo "e2e: the runner did not finish" >&2
    p=0 f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  ((f)) && failures+=("e2e")
  rm -f "$out"
}

[[ -z $only || $only == unit ]] && run_unit
[[ -z $only || $only == e2e ]] && run_e2e

((${#failures[@]})) && echo "failing: ${failures[*]}" >&2
echo "$passed passed, $failed failed"
((failed == 0))
