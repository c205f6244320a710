#!/usr/bin/env bash
# Builds each fuzz target with clang's libFuzzer, ASan and UBSan, and runs
# it for a bounded time on a corpus seeded from tests/bad and the fixtures.
#   tests/fuzz/run.sh SECONDS
set -euo pipefail
seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/fuzz"
mkdir -p "$out"
flags=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1
       -DCZ_VERSION="\"$(cat "$root/VERSION")\""
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -I"$root/src/lib")
libs="$(pkg-config --libs jansson yaml-0.1 sqlite3 libcrypto libcurl libgit2 libarchive zlib) -pthread"
srcs=$(ls "$root"/src/lib/*/*.c)
for target in "$root"/tests/fuzz/fuzz_*.c; do
  name=$(basename "$target" .c)
  clang "${flags[@]}" -o "$out/$name" "$target" $srcs $libs -lm
  corpus="$out/$name-corpus"
  mkdir -p "$corpus"
  cp "$root"/tests/bad/* "$corpus"/ 2>/dev/null || true
  cp "$root"/tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null || true
  if [[ -d $root/../shared/fixtures/cozystack-platform/sources ]]; then
    cp "$root"/../shared/fixtures/cozystack-platform/sources/*.yaml "$corpus"/
  fi
  echo "fuzzing $name for ${seconds}s"
  "$out/$name" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -print_final_stats=1 "$corpus" 2>&1 | tail -15
done
