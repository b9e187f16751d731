#!/bin/bash
# Runs one load-test scenario against a fresh redis-server and gigcxd, with gigcxd and the
# load tester each pinned to a CPU of their own (Redis is left to the scheduler).
#
#   loadtest/bench/pinned.sh [--build DIR] [--server-cpu N] [--tester-cpu N] [--rps]
#                            SCENARIO [gigcx-loadtest flags...]
#
# Why pin: a socket's data wakes its reader with a "sync" wake-up, which tells the
# scheduler the waker is about to sleep, so the woken load tester is put on gigcxd's CPU.
# gigcxd is not about to sleep: it is in the middle of a fan-out, and the tester waits
# for it (or preempts it) while the other CPU idles. Traced on the 2-core machine, that
# cost 2-3 ms on a third of the 2,000-expert fan-outs. Pinning is what an operator does
# on a box shared with other work anyway (taskset, systemd's CPUAffinity=).
#
# --rps runs everything in a network namespace of its own (loopback only, gone when the
# run ends) whose lo hands receive processing to the tester's CPU (receive packet
# steering). On plain loopback the sender's system call also runs the receiver's TCP
# stack, so gigcxd's CPU per offer includes the load tester's receive path, which a real
# network runs on the client's machine; with --rps it does not. Needs root.
set -euo pipefail

build=build
server_cpu=0
tester_cpu=1
rps=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --tester-cpu) tester_cpu=$2; shift 2 ;;
    --rps) rps=1; shift ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || { sed -n '2,8p' "$0" >&2; exit 2; }

if [ "$rps" = 1 ] && [ -z "${GIGCX_IN_NETNS:-}" ]; then
    # All receive processing then queues on one CPU's backlog: a fan-out's burst overflows
    # the default 1,000 packets, and every dropped offer waits 200 ms for its retransmit.
    # The limit is the machine's (no namespace has its own): raised for the run, put back.
    backlog=$(sysctl -n net.core.netdev_max_backlog)
    trap 'sysctl -qw net.core.netdev_max_backlog=$backlog' EXIT
    sysctl -qw net.core.netdev_max_backlog=65536
    mask=$(printf '%x' $((1 << tester_cpu)))
    unshare -n -m env GIGCX_IN_NETNS=1 bash -c \
        'mount -t sysfs sysfs /sys && ip link set lo up &&
         echo "$0" > /sys/class/net/lo/queues/rx-0/rps_cpus && exec "$@"' \
        "$mask" "$0" --build "$build" --server-cpu "$server_cpu" --tester-cpu "$tester_cpu" \
        --rps "$@"
    exit $?
fi

port=8181
redis_port=6399
dir=$(mktemp -d)
cleanup() {
    [ -n "${gx:-}" ] && kill "$gx" 2>/dev/null && wait "$gx" 2>/dev/null
    redis-cli -p $redis_port shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

redis-server --port $redis_port --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --dir "$dir" >/dev/null
for _ in $(seq 50); do redis-cli -p $redis_port ping >/dev/null 2>&1 && break; sleep 0.1; done

# --send-threads 0: a helper would inherit gigcxd's one CPU and only take turns with it.
taskset -c "$server_cpu" "$build/server/gigcxd" --listen 127.0.0.1:$port \
    --redis redis://127.0.0.1:$redis_port --secret s3cr3t-s3cr3t-s3cr3t \
    --admin-key adminkey --ws-rate 5000 --send-threads 0 >"$dir/gigcxd.log" 2>&1 &
gx=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done

ulimit -n 65536 2>/dev/null || true
taskset -c "$tester_cpu" "$build/loadtest/gigcx-loadtest" "$@" \
    --url ws://127.0.0.1:$port --admin-key adminkey
