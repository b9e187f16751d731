// Shared pieces of the browser tests (run.mjs, console.mjs, liveness.mjs, issues.mjs):
// reporting, a gigcxd of their own, a shop page on another origin, a TCP proxy whose network
// can be frozen, and Chromium. Each test is its own process, so ADMIN_KEY is the key of the
// gigcxd that process started.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const OUT = path.join(HERE, 'out');
export const STATIC = path.join(ROOT, 'static');
export const ADMIN_KEY = `adm_${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(24).toString('hex');
export const STEP_MS = 10000; // default bound of every single wait
export const W = 'gigcx-widget';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* ------------------------------------------------------------ reporting */

const R = { passed: 0, failed: 0, failures: [], skipped: [], t0: Date.now(), file: 'lib.mjs' };

// each line says how long since the one before it: where a suite's time goes
let lastLine = Date.now();
const took = () => {
  const ms = Date.now() - lastLine;
  lastLine += ms;
  return `${(ms / 1000).toFixed(1)} s`;
};
export function ok(name) {
  R.passed++;
  console.log(`  ok    ${name}  (${took()})`);
}
export function fail(name, err) {
  R.failed++;
  let msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  const at = err instanceof Error && (err.stack || '').split('\n').find((l) => l.includes(`${R.file}:`));
  if (at) msg += ` (at ${R.file}:${at.split(`${R.file}:`)[1].replace(/\)$/, '')})`;
  R.failures.push(`${name}: ${msg}`);
  console.log(`  FAIL  ${name}: ${msg}  (${took()})`);
}
/** A check that cannot run against this server (not a failure; listed at the end). */
export function skip(name, why) {
  R.skipped.push(`${name}: ${why}`);
  console.log(`  skip  ${name}: ${why}`);
}
export function check(name, cond, detail = '') {
  if (cond) ok(name);
  else fail(name, detail || 'condition not met');
  return !!cond;
}
/** Runs one test; false (and recorded) when it throws. */
export async function test(name, fn) {
  try {
    await fn();
    ok(name);
    return true;
  } catch (e) {
    fail(name, e);
    return false;
  }
}
export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
export function pct(arr, p) {
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/* ----------------------------------------------------------- processes */

const cleanups = [];
export function onCleanup(fn) {
  cleanups.push(fn);
}
async function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {}
  }
  cleanups.length = 0;
}

function findServer() {
  if (process.env.GIGCXD) {
    const p = path.resolve(process.env.GIGCXD);
    try {
      fs.accessSync(p, fs.constants.X_OK);
    } catch {
      throw new Error(`GIGCXD=${process.env.GIGCXD}: not an executable file`);
    }
    return p;
  }
  const cands = fs
    .readdirSync(ROOT)
    .filter((d) => d.startsWith('build'))
    .map((d) => path.join(ROOT, d, 'server', 'gigcxd'))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!cands.length) throw new Error('no gigcxd found: build it (cmake) or set GIGCXD');
  return cands[0];
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * gigcxd on a free port of 127.0.0.1 with a fresh data directory; its log in out/gigcxd-NAME.log.
 * dev (the default) adds --dev (demo brand, alice, bob, carol, staff sam) and waits for its
 * seeding; dev: false is a production server (no demo data, no /api/v1/dev routes), ready
 * once /healthz answers 200 (with live: once /livez does, for a server that is not to be healthy,
 * such as one whose Redis is unreachable). extra: more flags.
 */
export async function startGigcxd(name, extra = [], { dev = true, live = false } = {}) {
  fs.mkdirSync(OUT, { recursive: true });
  const bin = findServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `gigcx-${name}-`));
  onCleanup(() => !process.env.KEEP && fs.rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const log = fs.createWriteStream(path.join(OUT, `gigcxd-${name}.log`));
  const args = [...(dev ? ['--dev'] : []), '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--admin-key', ADMIN_KEY, '--secret', SECRET, '--log-level', 'warn', '--drain-s', '0', ...extra];
  const child = spawn(bin, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(() => stopChild(child));
  let out = '';
  let spawnError = null;
  child.on('error', (e) => (spawnError = e));
  child.stdout.on('data', (d) => ((out += d), log.write(d)));
  child.stderr.on('data', (d) => log.write(d));
  // --dev prints its demo tokens once seeded; a production server is ready when healthy.
  const ready = dev
    ? async () => /customer dana token/.test(out)
    : live
      ? async () => (await fetch(`${origin}/livez`, { signal: AbortSignal.timeout(1000) }).catch(() => null))?.status === 200
      : async () => (await healthz(origin))?.status === 200;
  const deadline = Date.now() + 15000;
  while (!(await ready())) {
    if (spawnError) throw new Error(`cannot start ${bin}: ${spawnError.message}`);
    if (child.exitCode != null) throw new Error(`gigcxd exited with ${child.exitCode}; see out/gigcxd-${name}.log`);
    if (Date.now() > deadline) throw new Error(dev ? 'gigcxd did not finish its --dev seeding within 15 s' : `gigcxd was not ${live ? 'live' : 'healthy'} within 15 s`);
    await sleep(50);
  }
  console.log(`gigcxd: ${path.relative(ROOT, bin)} on 127.0.0.1:${port}${dev ? '' : ' (production: no --dev)'} ${extra.join(' ')}`);
  return { port, origin };
}

/** SIGTERM, and SIGKILL if it has not gone within 5 s: no gigcxd outlives its test. */
function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode != null) return resolve();
    const timer = setTimeout(() => (child.kill('SIGKILL'), resolve()), 5000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}

/** GET /healthz; null while nothing answers. */
export function healthz(origin) {
  return fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
}

export async function api(base, method, p, body, key = ADMIN_KEY) {
  const r = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  });
  let data = null;
  try {
    data = await r.json();
  } catch {}
  return { status: r.status, data };
}

/** An expert of the demo brand with a token for the console. */
export async function makeExpert(base, id, name) {
  const e = await api(base, 'PUT', `/api/v1/experts/${id}`, { name, skills: ['billing'], languages: ['en'], tier: 1, brands: ['demo'], capacity: 3 });
  assert(e.status < 300, `PUT expert ${id}: ${e.status}`);
  const t = await api(base, 'POST', '/api/v1/tokens', { sub: id, role: 'expert', name, ttl_s: 3600 });
  assert(t.status < 300 && t.data?.token, `token for ${id}: ${t.status}`);
  return t.data.token;
}

/** The demo shop's page as a brand would serve it: its widget tag loads widget.js from apiOrigin. */
export function shopHtml(apiOrigin, demo = fs.readFileSync(path.join(STATIC, 'demo', 'index.html'), 'utf8')) {
  return demo.replace('src="/widget.js"', `src="${apiOrigin}/widget.js"`);
}

/** An HTTP server on host:port, closed at clean-up; null when that address cannot be had. */
export function listenHttp(handler, port, host) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.once('error', () => resolve(null));
    server.listen(port, host, () => {
      onCleanup(() => new Promise((r) => (server.closeAllConnections?.(), server.close(() => r()))));
      resolve(server);
    });
  });
}

/** The brand's shop on its own origin: /shop.html?api=ORIGIN loads the widget from ORIGIN. */
export async function startShop() {
  const demo = fs.readFileSync(path.join(STATIC, 'demo', 'index.html'), 'utf8');
  const port = await freePort();
  const server = await listenHttp((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/demo.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      return res.end(fs.readFileSync(path.join(STATIC, 'demo', 'demo.css')));
    }
    if (url.pathname !== '/shop.html') {
      res.writeHead(404);
      return res.end();
    }
    const apiOrigin = new URL(url.searchParams.get('api')).origin;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(shopHtml(apiOrigin, demo));
  }, port, '127.0.0.1');
  if (!server) throw new Error(`the shop cannot listen on 127.0.0.1:${port}`);
  return `http://127.0.0.1:${port}`;
}

/**
 * A TCP proxy to gigcxd whose "network" can freeze: while frozen it forwards nothing either
 * way and hides the server's hang-ups from the browser (as a dead Wi-Fi or a stuck NAT would);
 * thaw() cuts the connections that lived through the freeze (their streams lost bytes) and
 * forwards again.
 */
export async function startProxy(targetPort) {
  const pairs = new Set();
  let frozen = false;
  const server = net.createServer((c) => {
    const up = net.connect(targetPort, '127.0.0.1');
    const pair = { c, up, frozen };
    pairs.add(pair);
    c.on('data', (d) => !frozen && up.write(d));
    up.on('data', (d) => !frozen && c.write(d));
    const end = () => {
      if (frozen) return; // the browser must not learn of it
      c.destroy();
      up.destroy();
      pairs.delete(pair);
    };
    for (const s of [c, up]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  onCleanup(() => {
    for (const p of pairs) p.c.destroy(), p.up.destroy();
    server.close();
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    freeze() {
      frozen = true;
      return Date.now();
    },
    thaw() {
      if (!frozen) return;
      frozen = false;
      for (const p of pairs) p.c.destroy(), p.up.destroy();
      pairs.clear();
    },
  };
}

/* -------------------------------------------------------------- browser */

export const problems = [];

// Headless Chromium gives every context (a window) an omnibox popup of WebUI in a renderer
// of its own: about 0.7 CPU-s a context, a third of the browser tests' CPU on two cores. Off,
// with the features playwright-core turns off itself (a --disable-features of ours replaces
// its list rather than adding to it).
const DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades', 'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay', 'MediaRouter', 'PaintHolding', 'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect',
  'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch',
  'WebUIOmniboxPopup', 'WebUIOmniboxAimPopup', 'WebUIOmniboxFullPopup',
];
export async function launch() {
  const args = ['--no-sandbox', `--disable-features=${DISABLED_FEATURES.join(',')}`];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args, headless: !process.env.HEADED });
  onCleanup(() => browser.close());
  return browser;
}

/**
 * A page in a fresh context (or in ctx); its console errors (but those matching allow) and page
 * errors are recorded. init: a function run in every page of the context before its scripts
 * (test-only instrumentation such as a socket spy).
 */
export async function newPage(browser, name, { viewport = { width: 1280, height: 800 }, allow = [], ctx = null, init = null } = {}) {
  ctx ||= await browser.newContext({ viewport });
  ctx.setDefaultTimeout(STEP_MS);
  if (init) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !allow.some((re) => re.test(m.text()))) problems.push(`${name}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  return { ctx, page };
}

/**
 * Records requests to an origin not in origins (a Set), and with wsHost WebSockets to any
 * other host: a client must talk to no one but the test's local servers.
 */
export function watchOrigins(page, name, origins, wsHost = null) {
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:') return; // the page's own
    if (!origins.has(u.origin)) problems.push(`${name}: request to a foreign origin: ${r.url()}`);
  });
  if (wsHost)
    page.on('websocket', (ws) => {
      if (new URL(ws.url()).host !== wsHost) problems.push(`${name}: WebSocket to a foreign host: ${ws.url()}`);
    });
}

/** Records failed requests and error responses (>= 400): for a page that must load cleanly. */
export function watchFailures(page, name) {
  page.on('requestfailed', (r) => problems.push(`${name}: request failed: ${r.url()} ${r.failure()?.errorText || ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${name}: ${r.status()} for ${r.url()}`);
  });
}

/** The console signed in with a token (as if pasted: the token goes in sessionStorage). */
export async function openConsole(browser, origin, token, name, opts = {}) {
  const { ctx, page } = await newPage(browser, name, opts);
  await page.addInitScript((t) => sessionStorage.setItem('gigcx.console.token', t), token);
  await page.goto(`${origin}/expert/`);
  await page.waitForSelector('#conn[data-state="online"]');
  return { ctx, page };
}

/** Texts in the widget's shadow root. */
export const shadowTexts = (page, sel) =>
  page.evaluate((sel) => [...document.querySelector('gigcx-widget').shadowRoot.querySelectorAll(sel)].map((e) => e.textContent), sel);

/**
 * Runs main under a time cap, cleans up, prints the summary and exits. After the clean-up it
 * calls what main returned (a function, when main got that far) and report (always), so
 * measurements print after the servers' shutdown noise.
 */
export async function run(file, totalMs, main, report = null) {
  R.file = file;
  // Never leave a gigcxd behind: on a signal or a closed pipe, clean up and go.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(sig, async () => {
      await Promise.race([cleanup(), sleep(5000)]);
      process.exit(130);
    });
  process.stdout.on('error', () => {});
  const watchdog = setTimeout(async () => {
    console.log(`\nFAIL: the run took longer than ${totalMs / 1000} s`);
    await Promise.race([cleanup(), sleep(3000)]);
    process.exit(1);
  }, totalMs);
  let after = null;
  try {
    after = await main();
  } catch (e) {
    fail('setup', e);
  }
  await Promise.race([cleanup(), sleep(8000)]);
  clearTimeout(watchdog);
  if (typeof after === 'function') after();
  report?.();
  summary();
  process.exit(R.failed ? 1 : 0);
}

function summary() {
  if (R.skipped.length) console.log(`\nskipped (server support missing):\n  ${R.skipped.join('\n  ')}`);
  if (R.failures.length) console.log(`\nfailures:\n  ${R.failures.join('\n  ')}`);
  console.log(`\n${((Date.now() - R.t0) / 1000).toFixed(1)} s`);
  console.log(`${R.passed} passed, ${R.failed} failed${R.skipped.length ? `, ${R.skipped.length} skipped` : ''}`);
}

/** A customer on the shop with the panel open who writes `text` (opens a task). */
export async function widgetChat(browser, shop, apiOrigin, name, text) {
  const { ctx, page } = await newPage(browser, name);
  await page.goto(`${shop}/shop.html?api=${encodeURIComponent(apiOrigin)}`);
  await page.waitForSelector(`${W}[data-ready="true"]`);
  await page.click(`${W} button.l`);
  await page.fill(`${W} textarea`, text);
  await page.press(`${W} textarea`, 'Enter');
  await page.waitForFunction(() => JSON.parse(localStorage.getItem('gigcx.widget.gxw_demo') || '{}').task);
  const task = await page.evaluate(() => JSON.parse(localStorage.getItem('gigcx.widget.gxw_demo')).task);
  return { ctx, page, task };
}
