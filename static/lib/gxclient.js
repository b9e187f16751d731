// gigcx.v1 WebSocket client shared by the browser clients (see shared PROTOCOL.md).
// One socket to same-origin /ws, hello with resume, reconnect with backoff and jitter,
// request/reply matching by `ref`, and an outbox of chat messages that is sent again
// after a reconnect (the server deduplicates by cid, so a resend never doubles a message).
//
// Liveness: a socket whose network froze stays "open" for minutes (the server's pings
// go nowhere and the browser only gives up at the TCP timeout). So the client checks for
// itself: after LIVE.IDLE_MS without a frame it sends a `ping` with a ref and expects a
// frame back within LIVE.DEADLINE_MS. gigcx.v1 has no ping frame; the contract answers any
// unknown type with `error bad_request` carrying the ref, without touching storage, and a
// future `pong` carrying the ref is taken just as well. Any frame proves the line is alive.
// The browser's `offline` event drops the socket at once, `online` reconnects at once.

export const CLOSE = Object.freeze({
  UNAUTHORIZED: 4401,
  HELLO_TIMEOUT: 4408,
  REPLACED: 4409,
  ABUSE: 1008,
  GOING_AWAY: 1001,
});

export const LIVE = Object.freeze({
  IDLE_MS: 3000, // quiet this long: ask
  DEADLINE_MS: 3500, // no frame this long after asking: the connection is dead
  TICK_MS: 500, // how often to look (worst case to "lost": IDLE + DEADLINE + 2 ticks)
  HELLO_MS: 10000, // socket opened but no welcome this long: try again
});

/** Random id for cids and refs: 16 url-safe characters. */
export function randomId(n = 16) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = '';
  for (const b of bytes) s += abc[b & 63];
  return s;
}

/** Compares two Redis stream ids ("ms-seq"): negative, zero or positive. */
export function compareIds(a, b) {
  const [am, as = '0'] = String(a).split('-');
  const [bm, bs = '0'] = String(b).split('-');
  if (am !== bm) return am.length !== bm.length ? am.length - bm.length : am < bm ? -1 : 1;
  if (as === bs) return 0;
  return as.length !== bs.length ? as.length - bs.length : as < bs ? -1 : 1;
}

/** The claims of a JWT, unverified (for display and expiry only), or null. */
export function decodeToken(token) {
  try {
    const part = String(token).split('.')[1];
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(atob(b64 + '==='.slice((b64.length + 3) % 4)), (c) =>
        '%' + c.charCodeAt(0).toString(16).padStart(2, '0'),
      ).join(''),
    );
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

export function wsUrl(base = location.href) {
  const u = new URL('/ws', base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

/**
 * Events (EventTarget): "state" {detail: {state, code?, reason?}}, "welcome" {detail: msg},
 * "message" {detail: msg} for every frame after welcome (replies included).
 * States: idle, connecting, online, reconnecting, replaced, unauthorized, closed.
 */
export class GxClient extends EventTarget {
  constructor({ token, url = wsUrl(), resume = () => ({}), requestTimeoutMs = 15000 } = {}) {
    super();
    this.token = token;
    this.url = url;
    this.resume = resume;
    this.requestTimeoutMs = requestTimeoutMs;
    this.state = 'idle';
    this.ws = null;
    this.attempt = 0;
    this.timer = 0;
    this.pending = new Map(); // ref -> {resolve, reject, timer}
    this.outbox = new Map(); // cid -> chat.send frame, until chat.ack
    this.welcome = null;
    this.lastRx = 0; // when the current socket last delivered a frame
    this.pingRef = null; // the ref of the ping in flight
    this.pingAt = 0;
    this.pingSeq = 0;
    this.openedAt = 0; // when the current socket was made (for the hello deadline)
    this.lostAt = 0; // when the connection was last found lost (0 while online)
    this.liveTimer = setInterval(() => this.checkLive(), LIVE.TICK_MS);
    this.onOffline = () => this.lost('offline');
    this.onOnline = () => this.state === 'reconnecting' && this.reconnectNow(true);
    addEventListener('offline', this.onOffline);
    addEventListener('online', this.onOnline);
  }

  setState(state, extra = {}) {
    this.state = state;
    const lost = state === 'reconnecting' ? { lostAt: this.lostAt } : {};
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...lost, ...extra } }));
  }

  connect() {
    clearTimeout(this.timer);
    if (this.ws) return;
    this.setState(this.attempt ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(this.url, 'gigcx.v1');
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.openedAt = Date.now();
    this.pingRef = null;
    ws.onopen = () => {
      const hello = { type: 'hello', token: this.token };
      const resume = this.resume();
      if (resume && Object.keys(resume).length) hello.resume = resume;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (ev) => this.onFrame(ws, ev.data);
    ws.onclose = (ev) => this.onClose(ws, ev);
    ws.onerror = () => {}; // onclose follows and decides
  }

  onFrame(ws, data) {
    if (ws !== this.ws) return;
    this.lastRx = Date.now();
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (!msg || typeof msg.type !== 'string') return;
    if (msg.ref && msg.ref === this.pingRef) {
      this.pingRef = null; // our liveness probe: answered, nothing else to do
      return;
    }
    if (msg.type === 'welcome') {
      this.attempt = 0;
      this.lostAt = 0;
      this.welcome = msg;
      this.setState('online');
      this.dispatchEvent(new CustomEvent('welcome', { detail: msg }));
      for (const frame of this.outbox.values()) this.raw(frame);
      return;
    }
    if (msg.type === 'chat.ack') this.outbox.delete(msg.cid);
    if (msg.ref && this.pending.has(msg.ref)) {
      const p = this.pending.get(msg.ref);
      this.pending.delete(msg.ref);
      clearTimeout(p.timer);
      if (msg.type === 'error') p.reject(Object.assign(new Error(msg.message || msg.code), { code: msg.code, msg }));
      else p.resolve(msg);
    }
    const frame = msg.type === 'error' && msg.ref ? [...this.outbox.values()].find((f) => f.ref === msg.ref) : null;
    if (frame && (msg.code === 'rate_limited' || msg.code === 'unavailable')) {
      // Not performed, worth another try: the chat.send stays in the outbox and goes out
      // again shortly (or with the next connection).
      setTimeout(() => this.outbox.has(frame.cid) && this.raw(frame), 500 + Math.random() * 1000);
    } else if (frame) {
      // Refused for good (the task ended, not ours, bad text): stop resending it.
      this.outbox.delete(frame.cid);
      this.dispatchEvent(new CustomEvent('chatfailed', { detail: { task: frame.task, cid: frame.cid, code: msg.code, message: msg.message } }));
    }
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
  }

  onClose(ws, ev) {
    if (ws !== this.ws) return;
    this.pingRef = null;
    this.ws = null;
    this.welcome = null;
    for (const [ref, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(Object.assign(new Error('connection lost'), { code: 'disconnected' }));
      this.pending.delete(ref);
    }
    if (this.state === 'closed') return;
    if (ev.code === CLOSE.REPLACED) {
      this.setState('replaced', { code: ev.code, reason: ev.reason });
      return;
    }
    if (ev.code === CLOSE.UNAUTHORIZED) {
      this.setState('unauthorized', { code: ev.code, reason: ev.reason });
      return;
    }
    this.lostAt ||= Date.now();
    this.scheduleReconnect(ev.code === CLOSE.ABUSE ? 5000 : 0);
    this.setState('reconnecting', { code: ev.code, reason: ev.reason, retryInMs: this.retryIn });
  }

  /** Called every tick: probes a quiet socket, gives up on one that stopped answering. */
  checkLive() {
    const ws = this.ws;
    if (!ws || this.state === 'closed') return;
    const now = Date.now();
    if (!this.welcome) {
      if (now - this.openedAt > LIVE.HELLO_MS) this.lost('no welcome');
      return;
    }
    if (this.pingRef) {
      if (now - this.pingAt > LIVE.DEADLINE_MS) this.lost('no answer');
      return;
    }
    if (now - this.lastRx >= LIVE.IDLE_MS && ws.readyState === WebSocket.OPEN) this.ping();
  }

  ping() {
    this.pingRef = `ping-${++this.pingSeq}`;
    this.pingAt = Date.now();
    this.ws.send(JSON.stringify({ type: 'ping', ref: this.pingRef }));
  }

  /**
   * The connection is dead though the socket may not know it yet (frozen network, or the
   * browser says offline): drop it without waiting for its close, and reconnect (with
   * backoff; the browser's `online` event cuts the wait short).
   */
  lost(why) {
    const ws = this.ws;
    if (this.state === 'closed' || this.state === 'replaced' || this.state === 'unauthorized') return;
    if (!ws && this.state === 'reconnecting') return; // already waiting to retry
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close(4000, why); // frees the browser's side; the peer may never hear it
      } catch {}
    }
    this.onClose(ws, { code: 0, reason: why });
  }

  scheduleReconnect(floorMs = 0) {
    this.attempt++;
    // Exponential backoff (0.5 s .. 30 s) with full jitter around it, never below floorMs.
    const base = Math.min(30000, 500 * 2 ** Math.min(this.attempt - 1, 6));
    this.retryIn = Math.max(floorMs, Math.round(base * (0.5 + Math.random())));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), this.retryIn);
  }

  /** Reconnect now (e.g. the user clicked "retry", took over from another tab, or the
   *  browser is back online: then the backoff starts over). */
  reconnectNow(fresh = false) {
    if (this.ws || this.state === 'closed') return;
    if (fresh) this.attempt = Math.min(this.attempt, 1);
    clearTimeout(this.timer);
    this.connect();
  }

  close() {
    clearTimeout(this.timer);
    clearInterval(this.liveTimer);
    removeEventListener('offline', this.onOffline);
    removeEventListener('online', this.onOnline);
    this.setState('closed');
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try {
        ws.close(1000, 'bye');
      } catch {}
    }
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(Object.assign(new Error('closed'), { code: 'disconnected' }));
    }
    this.pending.clear();
  }

  get online() {
    return this.state === 'online' && this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  raw(frame) {
    if (!this.online) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Fire and forget; false when not connected. */
  send(frame) {
    return this.raw(frame);
  }

  /** Sends with a ref; resolves with the direct reply, rejects with the error (err.code). */
  request(frame, timeoutMs = this.requestTimeoutMs) {
    const ref = frame.ref || randomId(12);
    const out = { ...frame, ref };
    return new Promise((resolve, reject) => {
      if (!this.raw(out)) {
        reject(Object.assign(new Error('not connected'), { code: 'disconnected' }));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(Object.assign(new Error('no answer in time'), { code: 'timeout' }));
      }, timeoutMs);
      this.pending.set(ref, { resolve, reject, timer });
    });
  }

  /** Queues a chat message until acked; sent now if online, else after the next welcome. */
  sendChat(task, text, cid = randomId()) {
    const frame = { type: 'chat.send', task, text, cid, ref: 'c' + cid.slice(0, 20) };
    this.outbox.set(cid, frame);
    this.raw(frame);
    return cid;
  }
}
