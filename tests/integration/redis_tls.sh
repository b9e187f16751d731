#!/usr/bin/env bash
# deploy/redis-tls.cfg: gigcxd reaches a TLS-only redis-server (port 0, tls-port) through
# HAProxy on loopback, which checks the server's certificate. gigcxd is ready (/readyz needs a
# write stored within 3 s) and a brand is created and read back; the Redis refuses plain
# text, so everything went over TLS. Skipped (77) without haproxy or a TLS-built Redis.
set -euo pipefail
[ -x /usr/sbin/haproxy ] || { echo "haproxy not installed: skipped"; exit 77; }
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rport=$(port); lport=$(port); gport=$(port)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 \
  -subj "/CN=redis.test" -addext "subjectAltName=DNS:redis.test" 2>/dev/null
redis-server --port 0 --tls-port "$rport" --bind 127.0.0.1 --tls-cert-file "$dir/cert.pem" \
  --tls-key-file "$dir/key.pem" --tls-ca-cert-file "$dir/cert.pem" --tls-auth-clients no \
  --save '' --dir "$dir" >"$dir/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "Ready to accept" "$dir/redis.log" && break; sleep 0.1; done
grep -q "Ready to accept" "$dir/redis.log" || { echo "redis-server has no TLS: skipped"; exit 77; }
sed -e "s|127.0.0.1:6380|127.0.0.1:$lport|" -e "s|10.0.0.5:6379|127.0.0.1:$rport|" \
  -e "s|/etc/gigcx/redis-ca.pem|$dir/cert.pem|" -e "s|redis.internal|redis.test|" \
  "$(dirname "$0")/../../deploy/redis-tls.cfg" >"$dir/haproxy.cfg"
/usr/sbin/haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
pids+=($!)
"$GIGCXD" --listen "127.0.0.1:$gport" --redis "redis://127.0.0.1:$lport" --secret tls-test-secret-0123456789 \
  --admin-key adminkey --log-level warn --drain-s 0 >"$dir/gigcxd.log" 2>&1 &
pids+=($!)
ok=0
for _ in $(seq 100); do
  if curl -sf "http://127.0.0.1:$gport/readyz" >/dev/null; then ok=1; break; fi
  sleep 0.1
done
[ "$ok" = 1 ] || { echo "gigcxd not ready through the TLS listener"; cat "$dir/gigcxd.log" "$dir/haproxy.log"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Authorization: Bearer adminkey' \
  -H 'Content-Type: application/json' -d '{"name":"TLS","pay":{"amount":1,"currency":"EUR"}}' \
  "http://127.0.0.1:$gport/api/v1/brands/tlsb")
[ "$code" = 201 ] || { echo "PUT brand: $code"; exit 1; }
curl -sf -H 'Authorization: Bearer adminkey' "http://127.0.0.1:$gport/api/v1/brands/tlsb" | grep -q '"TLS"'
# plain text to the Redis itself is refused: the bytes above went over TLS
if printf 'PING\r\n' | timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$rport; cat >&3; timeout 1 cat <&3" | grep -q PONG; then
  echo "the Redis answered plain text"; exit 1
fi
echo ok
