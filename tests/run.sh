#!/usr/bin/env bash
# The whole test suite: unit and integration tests, built twice (release, and ASan+UBSan),
# each tree run through CTest. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
run_tree() {
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure --timeout 300 -j 2
}
echo "== release build =="
run_tree build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== ASan+UBSan build =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_tree build-asan -DCMAKE_BUILD_TYPE=Debug -DGX_SANITIZE=ON
