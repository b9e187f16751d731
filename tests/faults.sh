#!/usr/bin/env bash
# The fault tests, on their own: a Sentinel failover under chat (0 acknowledged messages
# lost), a Redis restart that loads a large dataset (LOADING), a drain through the real
# HAProxy and nginx, and running out of descriptors. They carry the CTest label "faults";
# tests/run.sh runs them in each tree after the rest. Two at a time (each has its own Redis,
# nodes, balancers and ports; most of their time is waiting on failover and health-check
# timers). Usage: tests/faults.sh [build dir...] (default: build-test), each already
# configured and built.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- build-test
for dir in "$@"; do
  echo "== fault tests in $dir =="
  ctest --test-dir "$dir" --output-on-failure --timeout 300 -j 2 -L faults
done
