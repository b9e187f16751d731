#!/usr/bin/env bash
# deploy/gigcxd.service as systemd reads it, with ExecStart pointed at the built gigcxd
# (systemd-analyze checks that the binary exists). Skipped (77) without systemd-analyze.
set -euo pipefail
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/bin/gigcxd|$GIGCXD|" "$(dirname "$0")/../../deploy/gigcxd.service" > "$dir/gigcxd.service"
out=$(cd "$dir" && systemd-analyze verify ./gigcxd.service 2>&1 || true)
echo "$out"
# users and the environment file exist only where it is installed
if echo "$out" | grep -v -e "EnvironmentFile" -e "User" -e "Group" -e "^$" | grep -q .; then
  exit 1
fi
echo "ok"
