#!/usr/bin/env bash
# The .deb as `cpack -G DEB` builds it from this tree (deploy/package.cmake): its files, modes,
# conffiles and Depends; then its own gigcxd, extracted (never installed), run with --config
# against a private redis-server on loopback: /readyz says 200 and the expert console comes
# from the package's static files. Skipped (77) without dpkg-deb, cpack's DEB generator,
# redis-server or objdump, and in sanitizer builds (not what gets packaged).
set -euo pipefail
: "${GX_BUILD_DIR:?the build tree to package}"
CPACK=${CPACK:-cpack}
src=$(cd "$(dirname "$0")/../.." && pwd)

skip() { echo "$*: skipped"; exit 77; }
[ -z "${GX_SANITIZED:-}" ] || skip "sanitizer build"
[ -f "$GX_BUILD_DIR/CPackConfig.cmake" ] || skip "no CPackConfig.cmake in $GX_BUILD_DIR"
for t in dpkg-deb dpkg-query "$CPACK" redis-server objdump ldd timeout; do
  command -v "$t" >/dev/null || skip "$t not installed"
done
"$CPACK" --help | grep -q '^ *DEB ' || skip "cpack has no DEB generator"
for v in $(compgen -e | grep '^GIGCX_' || true); do unset "$v"; done # only the file configures

dir=$(mktemp -d)
gx_pid="" redis_pid=""
cleanup() {
  for p in $gx_pid $redis_pid; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$dir"/*.log; do [ -f "$log" ] && { echo "== $log"; tail -n 30 "$log"; }; done >&2
  exit 1
}

# --- the package
(cd "$GX_BUILD_DIR" && timeout 150 "$CPACK" -G DEB -B "$dir/pkg") >"$dir/cpack.log" 2>&1 ||
  fail "cpack -G DEB"
debs=("$dir"/pkg/*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then fail "expected one .deb: ${debs[*]}"; fi
deb=${debs[0]}

dpkg-deb -c "$deb" >"$dir/contents"
has() { # has PATH [MODE]: the package holds PATH (with that ls mode)
  awk -v p="./${1#/}" -v m="${2:-}" '$NF == p && (m == "" || $1 == m) {f = 1} END {exit !f}' \
    "$dir/contents" || fail "package lacks $1 ${2:-}"
}
has /usr/bin/gigcxd -rwxr-xr-x
has /usr/bin/gigcx-loadtest -rwxr-xr-x
has /usr/share/gigcx/scenarios/smoke.json
has /lib/systemd/system/gigcxd.service -rw-r--r--
has /etc/gigcx/gigcxd.conf -rw-r-----
has /etc/gigcx/gigcxd.env -rw-------
while IFS= read -r f; do has "/usr/share/gigcx/static/${f#./}"; done < <(cd "$src/static" && find . -type f)
conffiles=$(dpkg-deb -I "$deb" conffiles)
for f in /etc/gigcx/gigcxd.conf /etc/gigcx/gigcxd.env; do
  grep -qx "$f" <<<"$conffiles" || fail "$f is not a conffile"
done
dpkg-deb -I "$deb" postinst | grep -q 'adduser --system' || fail "postinst makes no gigcx user"

# Depends: what lws loads by dlopen, the maintainer scripts' adduser, and the package of every
# library the binaries link (found through ldd and dpkg, so a new library cannot be missed).
[ "$(dpkg-deb -f "$deb" Package)" = gigcx ] || fail "Package field"
dpkg-deb -f "$deb" Recommends | grep -qw redis-server || fail "Recommends lacks redis-server"
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (].*//')
needs() { grep -qx "$1" <<<"$depends" || fail "Depends lacks $1 ($2)"; }
needs libwebsockets-evlib-uv "lws's libuv event library"
needs adduser "postinst"
owner() { # the package that holds a library, across the /lib -> /usr/lib merge
  local p o
  for p in "$1" "/usr$1" "$(readlink -f "$1")"; do
    o=$(dpkg-query -S "$p" 2>/dev/null | head -n1 | cut -d: -f1) || true
    [ -n "$o" ] && { echo "$o"; return 0; }
  done
  return 1
}
dpkg-deb -x "$deb" "$dir/root"
root=$dir/root
for bin in "$root/usr/bin/gigcxd" "$root/usr/bin/gigcx-loadtest"; do
  for so in $(objdump -p "$bin" | awk '$1 == "NEEDED" {print $2}'); do
    path=$(ldd "$bin" | awk -v s="$so" '$1 == s {print $3}')
    [ -n "$path" ] || fail "$so of $bin not found"
    pkg=$(owner "$path") || fail "no Debian package holds $path"
    needs "$pkg" "$so of ${bin##*/}"
  done
done

# The unit starts what the package holds, with the config the package holds.
unit=$root/lib/systemd/system/gigcxd.service
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
[ -x "$root$exe" ] || fail "ExecStart $exe is not in the package"
conf=$(sed -n 's/^ExecStart=.*--config \([^ ]*\).*/\1/p' "$unit")
if [ -z "$conf" ] || [ ! -f "$root$conf" ]; then fail "the unit's --config '$conf' is not packaged"; fi
envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
[ -f "$root$envfile" ] || fail "the unit's EnvironmentFile $envfile is not in the package"

# The packaged gigcxd says which version it is, the project's.
"$root/usr/bin/gigcxd" --version | grep -Eq "^gigcxd $(dpkg-deb -f "$deb" Version) \(" ||
  fail "gigcxd --version does not say the package's version"

# The shipped example parses, and names every key gigcxd has (commented or not).
"$root/usr/bin/gigcxd" --config "$root$conf" --help >"$dir/help" 2>"$dir/conf.log" ||
  fail "gigcxd refuses the shipped $conf"
while read -r key; do
  [ "$key" = help ] || [ "$key" = version ] || [ "$key" = config ] || grep -Eq "^#? ?$key *=" "$root$conf" ||
    fail "the shipped $conf does not mention '$key' (deploy/gigcxd.conf)"
done < <(awk '$1 ~ /^--/ {print substr($1, 3)}' "$dir/help")

# --- the extracted gigcxd, configured by a file, against its own redis-server
lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # below the ephemeral range, as the C harness picks them
  local _ p
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % (lo - 10000)))
    in_use "$p" || { echo "$p"; return 0; }
  done
  return 1
}
rport=$(free_port) || fail "no free port"
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
  --daemonize no >"$dir/redis.log" 2>&1 &
redis_pid=$!
pong() {
  # shellcheck disable=SC2016 # the inner script's own $0 and $l
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "PING\r\n" >&3 &&
    read -r l <&3 && [[ $l == +PONG* ]]' "$rport" 2>/dev/null
}
for _ in $(seq 1 100); do pong && break; kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
pong || fail "redis-server did not answer on 127.0.0.1:$rport"

port=$(free_port) || fail "no free port"
static=$root/usr/share/gigcx/static
echo "<!-- deb_package $$ -->" >>"$static/expert/index.html" # proves where the page comes from
cat >"$dir/test.conf" <<EOF
# written by tests/integration/deb_package.sh
listen = 127.0.0.1:$port
redis = "redis://127.0.0.1:$rport"
static = $static
data = $dir/data
admin-key = deb-package-admin-key   # the secret comes from the environment
node-id = deb-package
drain-s = 0
log-level = warn
EOF
(cd "$dir" && GIGCX_SECRET=deb-package-secret-0123456789 exec "$root/usr/bin/gigcxd" \
  --config "$dir/test.conf") >"$dir/gigcxd.log" 2>&1 &
gx_pid=$!

get() { # get PATH: the status code; the body into $dir/body
  # shellcheck disable=SC2016 # the inner script's own $0 and $1
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" "$1" >&3
    cat <&3' "$port" "$1" >"$dir/resp" 2>/dev/null || { echo 000; return 0; }
  sed '1,/^\r$/d' "$dir/resp" >"$dir/body"
  head -n1 "$dir/resp" | awk '{print $2}'
}
code=000
for _ in $(seq 1 100); do
  code=$(get /readyz)
  [ "$code" = 200 ] && break
  kill -0 "$gx_pid" 2>/dev/null || fail "gigcxd exited"
  sleep 0.1
done
[ "$code" = 200 ] || fail "/readyz answered $code"
[ "$(get /expert/)" = 200 ] || fail "/expert/ not served"
cmp -s "$dir/body" "$static/expert/index.html" || fail "/expert/ is not the package's page"
[ "$(get /widget.js)" = 200 ] || fail "/widget.js not served"

# --- stop what this test started, each within a bounded wait
stop() { # stop PID NAME: SIGTERM, then up to 5 s for it to go
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$1" 2>/dev/null || fail "$2 still running 5 s after SIGTERM"
  wait "$1" || fail "$2 exited with status $?"
}
stop "$gx_pid" gigcxd
gx_pid=""
stop "$redis_pid" redis-server
redis_pid=""
echo "ok: ${deb##*/}"
