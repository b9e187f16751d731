#!/usr/bin/env python3
"""Redis cost of a load-test scenario: Redis CPU seconds and command counts, robust to a
noisy machine (docs/scaling.md).

Starts a fresh redis-server (no persistence) and one gigcxd on loopback ports of their
own, runs gigcx-loadtest against them, and reports Redis CPU (INFO cpu deltas: the main
thread, which is the one that sets the ceiling, and the whole process) and INFO
commandstats over the measured window (CONFIG RESETSTAT at its start), as JSON.

  loadtest/bench/redis_cost.py [--redis-port 6531] [--port 8531] [--window FROM TO]
      [--subscribers N] [--scripts] [--webhook-port P] [--out DIR]
      SCENARIO [gigcx-loadtest flags ...]
  loadtest/bench/redis_cost.py --publish N [--payload BYTES] [--pipeline P] [--subscribers K]

--window FROM TO  measure from FROM to TO seconds after the tester starts (default: the
                  whole tester run)
--subscribers N   N more connections SUBSCRIBEd to gigcxd's channels, reading and
                  discarding: the other nodes of an N+1 node deployment, for the pub/sub
                  fan-out cost
--scripts         also sample SLOWLOG (every command logged) to split Redis time by script and
                  command ("share": of the sampled time of commands clients sent; the
                  commands scripts called are listed apart, their time inside their
                  script's), and by key family (a script by its first key); this costs Redis
                  CPU itself, so take totals from a run without it
--webhook-port P  answer webhooks with 204 on 127.0.0.1:P (gigcxd gets
                  --webhook-allow-private; pass --webhook-url to the tester)
--publish N       no gigcxd, no tester: redis-benchmark PUBLISHes N messages of --payload
                  bytes (default 400) to gx:ev:task, and the per-publish Redis CPU is reported
Stdlib only. Every wait is bounded; every process started is stopped.
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CHANNELS = ["gx:ev:task", "gx:ev:offer", "gx:ev:sess"]  # include/gigcx/server.h


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Resp:
    """A minimal blocking RESP2 client."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rb")

    def read(self):
        line = self.f.readline()
        if not line:
            raise EOFError("redis closed the connection")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            try:
                return data.decode()
            except UnicodeDecodeError:
                return data
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def cmd(self, *args):
        self.s.sendall(enc(*args))
        return self.read()


def info(r, section):
    out = {}
    for line in r.cmd("INFO", section).splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def cpu(r):
    i = info(r, "cpu")
    return {"main": float(i["used_cpu_sys_main_thread"]) + float(i["used_cpu_user_main_thread"]),
            "all": float(i["used_cpu_sys"]) + float(i["used_cpu_user"])}


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def commandstats(r):
    out = {}
    for k, v in info(r, "commandstats").items():
        d = dict(p.split("=") for p in v.split(","))
        out[k[len("cmdstat_"):]] = {"calls": int(d["calls"]), "usec": int(d["usec"])}
    return out


def script_names():
    """sha1 -> script name, as server/embed_scripts.cmake builds each one (lib.lua first)."""
    d = os.path.join(REPO, "server", "scripts")
    lib = open(os.path.join(d, "lib.lua"), "rb").read()
    out = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".lua") and f != "lib.lua":
            out[hashlib.sha1(lib + open(os.path.join(d, f), "rb").read()).hexdigest()] = f[:-4]
    return out


class Subscribers(threading.Thread):
    """n connections subscribed to gigcxd's channels, reading and dropping every byte."""

    def __init__(self, port, n):
        super().__init__(daemon=True)
        self.sel, self.socks, self.bytes, self.stop = selectors.DefaultSelector(), [], 0, False
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(enc("SUBSCRIBE", *CHANNELS))
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ)
            self.socks.append(s)

    def run(self):
        while not self.stop:
            for key, _ in self.sel.select(0.2):
                try:
                    b = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                if not b:
                    self.sel.unregister(key.fileobj)
                self.bytes += len(b)

    def close(self):
        self.stop = True
        self.join(2)
        for s in self.socks:
            s.close()


WORDS = {"presence", "expiry", "waves", "brands", "experts", "nodestats", "ev", "task", "chat",
         "cids", "q", "all", "esc", "rk", "rkw", "rkown", "decl", "u", "tasks", "declined", "pres",
         "expert", "brand", "sess", "audit", "revoked", "b", "apikey", "widgetkey", "node", "probe",
         "bud", "{wh}", "due", "log", "offer"}


def family(key):
    """gx:{b:acme}:rk:1:billing:en -> gx:{b:*}:rk:*:*:*, gx:u:e1:tasks -> gx:u:*:tasks"""
    key = re.sub(r"\{([bt]):[^}]*\}", r"{\1:*}", str(key))
    parts = re.split(r":(?![^{]*\})", key)  # not inside a {tag}
    return ":".join(p if i == 0 or p in WORDS or p.startswith("{") else "*"
                    for i, p in enumerate(parts))


class SlowlogSampler(threading.Thread):
    """Every 0.5 s takes the slow log (every command, with its duration) and empties it."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.r, self.names, self.stop, self.on = Resp(port), script_names(), False, False
        self.by, self.keys = {}, {}
        self.r.cmd("CONFIG", "SET", "slowlog-max-len", "20000")
        self.r.cmd("CONFIG", "SET", "slowlog-log-slower-than", "0")

    def run(self):
        while not self.stop:
            time.sleep(0.5)
            entries = self.r.cmd("SLOWLOG", "GET", "-1")
            self.r.cmd("SLOWLOG", "RESET")
            if not self.on:
                continue
            for e in entries:
                argv = e[3]
                name = str(argv[0]).lower()
                if name in ("slowlog", "config", "info"):
                    continue
                if name == "evalsha" and len(argv) > 1:
                    name = self.names.get(str(argv[1]), "evalsha:" + str(argv[1])[:8])
                inner = e[4] in ("", "?:0")  # no peer: a script's call, inside its time
                if inner:
                    name = "(in scripts) " + name
                n, us = self.by.get(name, (0, 0))
                self.by[name] = (n + 1, us + int(e[2]))
                key = argv[3] if str(argv[0]).lower() == "evalsha" and len(argv) > 3 and \
                    str(argv[2]) != "0" else argv[1] if len(argv) > 1 else ""
                k = ("(in scripts) " if inner else "") + family(key)
                n, us = self.keys.get(k, (0, 0))
                self.keys[k] = (n + 1, us + int(e[2]))

    def result(self):
        self.stop = True
        self.join(3)
        self.r.cmd("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        def table(by):
            total = sum(us for k, (_, us) in by.items() if not k.startswith("(")) or 1
            rows = [{"name": k, "sampled": n, "us_per_call": round(us / n, 2),
                     "share": round(us / total, 4)} for k, (n, us) in by.items()]
            return sorted(rows, key=lambda x: (x["name"].startswith("("), -x["share"]))
        return table(self.by), table(self.keys)


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def wait_for(what, fn, limit_s):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        try:
            if fn():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise SystemExit("redis_cost: %s not ready in %d s" % (what, limit_s))


def publish_bench(args, out, r, rs, extra):
    """The pub/sub fan-out alone: redis-benchmark PUBLISHes to gx:ev:task (4 connections,
    --pipeline commands in flight on each) with --subscribers readers."""
    subs = Subscribers(args.redis_port, args.subscribers) if args.subscribers else None
    if subs:
        subs.start()
        extra.append(subs.close)
    time.sleep(0.5)
    r.cmd("CONFIG", "RESETSTAT")
    c0, t0 = cpu(r), time.monotonic()
    subprocess.run(["redis-benchmark", "-p", str(args.redis_port), "-n", str(args.publish), "-c",
                    "4", "-P", str(args.pipeline), "-q", "PUBLISH", CHANNELS[0], "x" * args.payload],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=args.max_s)
    time.sleep(0.5)  # the last deliveries
    c1, t1 = cpu(r), time.monotonic()
    pub = commandstats(r).get("publish", {"calls": 0, "usec": 0})
    res = {"publish": args.publish, "payload": args.payload, "pipeline": args.pipeline, "subscribers": args.subscribers,
           "window_s": round(t1 - t0, 2), "redis_main_cpu_s": round(c1["main"] - c0["main"], 4),
           "publish_calls": pub["calls"], "publish_usec": pub["usec"],
           "us_per_publish": round((c1["main"] - c0["main"]) * 1e6 / max(1, pub["calls"]), 2),
           "subscriber_bytes": subs.bytes if subs else 0}
    json.dump(res, open(os.path.join(out, "summary.json"), "w"), indent=1)
    print(json.dumps(res, indent=1))


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--redis-port", type=int, default=6531)
    ap.add_argument("--port", type=int, default=8531)
    ap.add_argument("--window", type=float, nargs=2)
    ap.add_argument("--subscribers", type=int, default=0)
    ap.add_argument("--scripts", action="store_true")
    ap.add_argument("--webhook-port", type=int)
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--out")
    ap.add_argument("--max-s", type=float, default=900, help="kill the tester after this")
    ap.add_argument("--publish", type=int, help="no gigcxd: PUBLISH this many messages")
    ap.add_argument("--payload", type=int, default=400, help="--publish: bytes per message")
    ap.add_argument("--pipeline", type=int, default=16, help="--publish: in flight per connection")
    ap.add_argument("scenario", nargs="?")
    args, lt_flags = ap.parse_known_args()
    out = args.out or tempfile.mkdtemp(prefix="gx-redis-cost-")
    os.makedirs(out, exist_ok=True)
    procs, extra = [], []
    try:
        rs = subprocess.Popen(["redis-server", "--port", str(args.redis_port), "--bind",
                               "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", out,
                               "--client-output-buffer-limit", "pubsub 0 0 0"],
                              stdout=open(os.path.join(out, "redis.log"), "w"),
                              stderr=subprocess.STDOUT)
        procs.append(rs)
        wait_for("redis-server", lambda: Resp(args.redis_port).cmd("PING") == "PONG", 10)
        r = Resp(args.redis_port)
        if args.publish:
            return publish_bench(args, out, r, rs, extra)
        gx_cmd = [os.path.join(args.build, "server", "gigcxd"), "--listen",
                  "127.0.0.1:%d" % args.port, "--redis", "redis://127.0.0.1:%d" % args.redis_port,
                  "--secret", "s3cr3t-s3cr3t-s3cr3t", "--admin-key", "adminkey",
                  "--ws-rate", "5000", "--node-id", "cost-a", "--log-level", "warn",
                  "--drain-s", "1"]
        if args.webhook_port:
            gx_cmd.append("--webhook-allow-private")
            hs = http.server.ThreadingHTTPServer(("127.0.0.1", args.webhook_port), Hook)
            threading.Thread(target=hs.serve_forever, daemon=True).start()
            extra.append(hs.shutdown)
        gx = subprocess.Popen(gx_cmd, stdout=open(os.path.join(out, "gigcxd.log"), "w"),
                              stderr=subprocess.STDOUT)
        procs.append(gx)
        wait_for("gigcxd", lambda: urllib.request.urlopen(
            "http://127.0.0.1:%d/healthz" % args.port, timeout=1).status == 200, 15)
        subs = Subscribers(args.redis_port, args.subscribers) if args.subscribers else None
        if subs:
            subs.start()
            extra.append(subs.close)
        sampler = SlowlogSampler(args.redis_port) if args.scripts else None
        if sampler:
            sampler.start()
        lt_cmd = [os.path.join(args.build, "loadtest", "gigcx-loadtest"), args.scenario, "--url",
                  "ws://127.0.0.1:%d" % args.port, "--admin-key", "adminkey", "--quiet",
                  "--json", os.path.join(out, "loadtest.json")] + lt_flags

        def start_window():
            r.cmd("CONFIG", "RESETSTAT")
            if sampler:
                sampler.on = True
            return cpu(r), proc_cpu(rs.pid), proc_cpu(gx.pid), time.monotonic()

        t0 = time.monotonic()
        if not args.window:
            w0 = start_window()
        lt = subprocess.Popen(lt_cmd, stdout=open(os.path.join(out, "loadtest.out"), "w"),
                              stderr=subprocess.STDOUT)
        procs.append(lt)
        if args.window:
            time.sleep(max(0, t0 + args.window[0] - time.monotonic()))
            w0 = start_window()
            time.sleep(max(0, t0 + args.window[1] - time.monotonic()))
        else:
            try:
                lt.wait(args.max_s)
            except subprocess.TimeoutExpired:
                lt.kill()
        c1, p1, g1, t1 = cpu(r), proc_cpu(rs.pid), proc_cpu(gx.pid), time.monotonic()
        stats = commandstats(r)
        scripts = sampler.result() if sampler else None
        if args.window:
            try:
                lt.wait(max(5, args.max_s - (time.monotonic() - t0)))
            except subprocess.TimeoutExpired:
                lt.kill()
        rep = {}
        try:
            rep = json.load(open(os.path.join(out, "loadtest.json")))
        except (OSError, ValueError):
            pass
        c0, p0, g0, tw = w0
        top = sorted(({"cmd": k, **v, "usec_per_call": round(v["usec"] / v["calls"], 2)}
                      for k, v in stats.items()), key=lambda x: -x["usec"])
        res = {"scenario": args.scenario, "flags": lt_flags, "subscribers": args.subscribers,
               "window_s": round(t1 - tw, 2),
               "redis_main_cpu_s": round(c1["main"] - c0["main"], 4),
               "redis_cpu_s": round(c1["all"] - c0["all"], 4),
               "redis_proc_cpu_s": round(p1 - p0, 2), "gigcxd_proc_cpu_s": round(g1 - g0, 2),
               "commands": top[:20], "all_commands": stats,
               "counts": rep.get("counts"), "tester_pass": rep.get("pass"),
               "violations": {k: v for k, v in (rep.get("violations") or {}).items() if v}}
        # chat_append calls XLEN once and XADD once; task_create XADDs the opening text
        msgs = stats.get("xlen", {}).get("calls", 0)
        tasks = stats.get("xadd", {}).get("calls", 0) - msgs
        main_us = (c1["main"] - c0["main"]) * 1e6
        res["per_op"] = {"chat_messages": msgs, "tasks_created": tasks,
                         "publishes": stats.get("publish", {}).get("calls", 0),
                         "us_per_second": round(main_us / max(t1 - tw, 1e-9), 1)}
        if tasks > 0:
            res["per_op"]["us_per_task_all_in"] = round(main_us / tasks, 1)
        elif msgs > 0:
            res["per_op"]["us_per_chat_message"] = round(main_us / msgs, 2)
        if scripts is not None:
            res["scripts_sampled"], res["keys_sampled"] = scripts
        if subs:
            res["subscriber_bytes"] = subs.bytes
        json.dump(res, open(os.path.join(out, "summary.json"), "w"), indent=1)
        res.pop("all_commands")
        print(json.dumps(res, indent=1))
        print("redis_cost: files in %s" % out, file=sys.stderr)
    finally:
        for f in extra:
            f()
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)


if __name__ == "__main__":
    main()
