#!/usr/bin/env bash
# docs/protocol.md carries a copy of the shared wire contract between two markers: it must
# match ../shared/PROTOCOL.md word for word when that file is there (skipped, 77, when not).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared/PROTOCOL.md
[ -f "$shared" ] || { echo "no ../shared/PROTOCOL.md here: skipped"; exit 77; }
copy=$(sed -n '/^<!-- contract:begin -->$/,/^<!-- contract:end -->$/p' "$root/docs/protocol.md" | sed '1d;$d')
if [ "$copy" != "$(cat "$shared")" ]; then
  echo "docs/protocol.md's copy of the contract differs from ../shared/PROTOCOL.md:"
  diff <(printf '%s\n' "$copy") "$shared" || true
  exit 1
fi
echo "docs/protocol.md carries the contract as it is"
