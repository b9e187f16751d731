// Chromium tests of the expert console against a production gigcxd (no --dev): it loads
// without a console error or a failed request (no demo accounts asked for), the Skip button
// (offer.decline) and the line that says why the console is quiet (queue.get), with brands
// and experts made through the admin API and tasks through the brand API.
// Prints "N passed, M failed"; exits non-zero on failure.
//
//   cd tests/browser && npm ci && node console.mjs
//   env: GIGCXD=path/to/gigcxd (default: newest ../../build*/server/gigcxd)
//        CHROMIUM=/usr/bin/chromium   HEADED=1 (watch it)   KEEP=1 (keep the temp dir)
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const OUT = path.join(HERE, 'out');
const ADMIN_KEY = `adm_${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(24).toString('hex');
const STEP_MS = 10000; // default bound of every single wait
const TOTAL_MS = 120000; // the whole run, whatever happens

/* ------------------------------------------------------------ reporting */

let passed = 0;
let failed = 0;
const failures = [];
const t0 = Date.now();

function ok(name) {
  passed++;
  console.log(`  ok    ${name}`);
}
function fail(name, err) {
  failed++;
  let msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
  const at = err instanceof Error && (err.stack || '').split('\n').find((l) => l.includes('console.mjs:'));
  if (at) msg += ` (at console.mjs:${at.split('console.mjs:')[1].replace(/\)$/, '')})`;
  failures.push(`${name}: ${msg}`);
  console.log(`  FAIL  ${name}: ${msg}`);
}
function check(name, cond, detail = '') {
  if (cond) ok(name);
  else fail(name, detail || 'condition not met');
  return !!cond;
}
async function test(name, fn) {
  try {
    await fn();
    ok(name);
    return true;
  } catch (e) {
    fail(name, e);
    return false;
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* ----------------------------------------------------------- processes */

function findServer() {
  if (process.env.GIGCXD) return path.resolve(process.env.GIGCXD);
  const cands = fs
    .readdirSync(ROOT)
    .filter((d) => d.startsWith('build'))
    .map((d) => path.join(ROOT, d, 'server', 'gigcxd'))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!cands.length) throw new Error('no gigcxd found: build it (cmake) or set GIGCXD');
  return cands[0];
}

function freePort() {
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

const cleanups = [];
async function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {}
  }
  cleanups.length = 0;
}

/** gigcxd as in production: no --dev, so no demo data and no /api/v1/dev routes. */
async function startGigcxd(bin, port, dataDir) {
  const log = fs.createWriteStream(path.join(OUT, 'gigcxd-console.log'));
  const child = spawn(bin, ['--listen', `127.0.0.1:${port}`, '--data', dataDir, '--admin-key', ADMIN_KEY, '--secret', SECRET, '--log-level', 'warn', '--drain-s', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        if (child.exitCode != null) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  );
  let spawnError = null;
  child.on('error', (e) => (spawnError = e));
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const deadline = Date.now() + 15000;
  for (;;) {
    if (spawnError) throw new Error(`cannot start ${bin}: ${spawnError.message}`);
    if (child.exitCode != null) throw new Error(`gigcxd exited with ${child.exitCode}; see out/gigcxd-console.log`);
    if (Date.now() > deadline) throw new Error('gigcxd was not healthy within 15 s');
    const r = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
    if (r && r.status === 200) return r.json();
    await sleep(50);
  }
}

async function api(base, method, p, body, key = ADMIN_KEY) {
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

/** The wave order's last tie-break (docs/protocol.md, "Offer waves"): FNV-1a of the id. */
function tieBreak(id) {
  let h = 2166136261;
  for (const c of Buffer.from(id)) h = Math.imul(h ^ c, 16777619) >>> 0;
  return h % 1000;
}

/* -------------------------------------------------------------- browser */

const problems = [];
function watch(page, name, origin) {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${name}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`${name}: request failed: ${r.url()} ${r.failure()?.errorText || ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${name}: ${r.status()} for ${r.url()}`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.origin !== origin) problems.push(`${name}: request to a foreign origin: ${r.url()}`);
  });
}

// Test-only instrumentation: every frame the console's sockets send and receive.
const FRAME_SPY = () => {
  const Native = window.WebSocket;
  window.__gxIn = [];
  window.__gxOut = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        try {
          window.__gxIn.push(JSON.parse(ev.data));
        } catch {}
      });
    }
    send(data) {
      try {
        window.__gxOut.push({ at: Date.now(), ...JSON.parse(data) });
      } catch {}
      return super.send(data);
    }
  };
};

/* ------------------------------------------------------------------ main */

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const bin = findServer();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gigcx-console-'));
  cleanups.push(() => !process.env.KEEP && fs.rmSync(tmp, { recursive: true, force: true }));
  const port = await freePort();
  const API = `http://127.0.0.1:${port}`;
  console.log(`gigcxd: ${path.relative(ROOT, bin)}  api ${API} (production: no --dev)`);
  const health = await startGigcxd(bin, port, tmp);
  check('/healthz says dev: false', health.dev === false, JSON.stringify(health));

  // Two brands: acme offers to everyone at once (default waves), wavy one expert per wave
  // and an hour between waves. ella takes both; hugo, who ranks above her, only wavy.
  const keys = {};
  const setup = await test('setup: brands, experts and tokens through the admin API', async () => {
    for (const [id, extra] of [['acme', {}], ['wavy', { waves: { size: 1, interval_s: 3600 } }]]) {
      const r = await api(API, 'PUT', `/api/v1/brands/${id}`, { name: id, pay: { amount: 5, currency: 'EUR' }, widget_origins: [], ...extra });
      assert(r.status === 201 && r.data.api_key, `PUT brand ${id}: ${r.status} ${JSON.stringify(r.data)}`);
      keys[id] = r.data.api_key;
    }
    const experts = {
      ella: { name: 'Ella Ward', skills: ['billing', 'returns'], brands: ['acme', 'wavy'] },
      hugo: { name: 'Hugo Hale', skills: ['returns'], brands: ['wavy'] },
    };
    for (const [id, e] of Object.entries(experts)) {
      const r = await api(API, 'PUT', `/api/v1/experts/${id}`, { ...e, languages: ['en'], tier: 1, capacity: 3 });
      assert(r.status === 201, `PUT expert ${id}: ${r.status} ${JSON.stringify(r.data)}`);
      const t = await api(API, 'POST', '/api/v1/tokens', { sub: id, role: 'expert', name: e.name });
      assert(t.status === 200 || t.status === 201, `token for ${id}: ${t.status} ${JSON.stringify(t.data)}`);
      keys[id] = t.data.token;
    }
    // Both are new (same rating prior, no task ended yet): the id hash orders them.
    assert(tieBreak('hugo') > tieBreak('ella'), 'hugo must rank above ella');
  });
  if (!setup) return;
  let customers = 0;
  async function newTask(brand, topic, text) {
    const r = await api(API, 'POST', '/api/v1/tasks', { customer: { id: `c${++customers}`, name: `Cara ${customers}` }, topic, language: 'en', text }, keys[brand]);
    assert(r.status === 201 && r.data.task, `POST task: ${r.status} ${JSON.stringify(r.data)}`);
    return r.data.task;
  }

  const headless = !process.env.HEADED;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'], headless });
  cleanups.push(() => browser.close());
  async function newPage(name, viewport = { width: 1280, height: 800 }) {
    const ctx = await browser.newContext({ viewport });
    ctx.setDefaultTimeout(STEP_MS);
    await ctx.addInitScript(FRAME_SPY);
    const page = await ctx.newPage();
    watch(page, name, API);
    return { ctx, page };
  }
  async function signIn(page, token) {
    await page.fill('#token', token);
    await page.click('#signin-form button[type="submit"]');
    await page.waitForSelector('#conn[data-state="online"]');
    await page.waitForSelector('body[data-presence]');
  }
  const quiet = (page) => page.evaluate(() => {
    const el = document.getElementById('quiet');
    return el.hidden ? null : { text: el.textContent, ...el.dataset };
  });
  /** Waits until the quiet line's text matches re; its last state in the error otherwise. */
  async function quietLine(page, re, timeout = STEP_MS) {
    try {
      await page.waitForFunction((src) => {
        const el = document.getElementById('quiet');
        return !el.hidden && new RegExp(src).test(el.textContent);
      }, re.source, { timeout });
    } catch {
      const sent = await page.evaluate(() => window.__gxOut.filter((f) => f.type === 'queue.get').length);
      const errors = await page.evaluate(() => window.__gxIn.filter((f) => f.type === 'error').map((f) => f.message));
      throw new Error(`quiet line ${JSON.stringify(await quiet(page))}, want ${re} (queue.get sent ${sent}; errors ${JSON.stringify(errors.slice(-2))})`);
    }
    return quiet(page);
  }
  const offerSel = (task) => `.offer[data-task="${task}"]`;
  const frames = (page, type, task) => page.evaluate(([type, task]) => window.__gxIn.filter((f) => f.type === type && (!task || f.task === task)), [type, task]);

  /* ---- production load ---- */
  const { page: ella } = await newPage('ella');
  const devAsked = [];
  ella.on('request', (r) => new URL(r.url()).pathname.startsWith('/api/v1/dev/') && devAsked.push(r.url()));
  const loaded = await test('production console: loads with no console error and no failed request, asks no dev route', async () => {
    const hz = ella.waitForResponse((r) => new URL(r.url()).pathname === '/healthz');
    await ella.goto(`${API}/expert/`);
    await hz;
    await ella.waitForLoadState('networkidle');
    await ella.waitForSelector('#signin:not([hidden])');
    assert(await ella.isHidden('#demo'), 'the demo accounts are shown on a production server');
    assert(!devAsked.length, `asked ${devAsked.join(', ')}`);
    assert(!problems.length, problems.join('; '));
  });
  if (!loaded) return;
  await test('ella signs in with her token (away)', async () => {
    await signIn(ella, keys.ella);
    assert((await ella.getAttribute('body', 'data-presence')) === 'away', 'not away after sign-in');
  });

  /* ---- why it is quiet: nothing queued ---- */
  await test('quiet line, away: 0 tasks queued [needs queue.get]', async () => {
    await quietLine(ella, /0 tasks queued for your skills/);
  });
  await test('quiet line, available: "Waiting for work: 0 tasks queued for your skills" [needs queue.get]', async () => {
    await ella.check('#available');
    await ella.waitForSelector('body[data-presence="available"]');
    const q = await quietLine(ella, /^Waiting for work: 0 tasks queued for your skills/);
    assert(q.waiting === '0', `data ${JSON.stringify(q)}`);
  });
  await test('quiet line: asked again about every 5 s, one request at a time [needs queue.get]', async () => {
    const count = () => ella.evaluate(() => window.__gxOut.filter((f) => f.type === 'queue.get').length);
    const before = await count();
    await sleep(5600);
    const n = (await count()) - before;
    assert(n >= 1 && n <= 2, `${n} queue.get in 5.6 s`);
    const inflight = await ella.evaluate(() => {
      // every queue.get was answered (queue or error with its ref) before the next went out
      const out = window.__gxOut.filter((f) => f.type === 'queue.get');
      const answered = new Set(window.__gxIn.filter((f) => f.ref).map((f) => f.ref));
      return out.slice(0, -1).filter((f) => !answered.has(f.ref)).length;
    });
    assert(inflight === 0, `${inflight} queue.get never answered`);
  });

  /* ---- skip ---- */
  const taskA = await newTask('acme', 'billing', 'Order 7 was charged twice.');
  await test('an offer arrives; the quiet line goes while it is shown', async () => {
    await ella.waitForSelector(offerSel(taskA));
    await ella.waitForSelector('#quiet', { state: 'hidden' });
    const text = await ella.innerText(offerSel(taskA));
    assert(/charged twice/.test(text) && /Skip/.test(text), `offer: ${text}`);
  });
  await test('Skip removes the offer; the server answers offer.withdrawn "declined" [needs offer.decline]', async () => {
    await ella.click(`${offerSel(taskA)} button.decline`);
    await ella.waitForSelector(`${offerSel(taskA)}[data-reason="declined"]`);
    const note = await ella.textContent(`${offerSel(taskA)} .note`);
    assert(/^Skipped/.test(note), `note: ${note}`);
    assert((await ella.textContent('#offer-count')) === '0', 'the count still counts it');
    await ella.waitForSelector(offerSel(taskA), { state: 'detached' });
    const sent = await ella.evaluate((t) => window.__gxOut.find((f) => f.type === 'offer.decline' && f.task === t), taskA);
    assert(sent && sent.ref, 'no offer.decline {task, ref} sent');
    const w = (await frames(ella, 'offer.withdrawn', taskA)).find((f) => f.ref === sent.ref);
    assert(w && w.reason === 'declined', `the server answered ${JSON.stringify(w || (await frames(ella, 'error')).at(-1))}`);
  });

  const taskB = await newTask('acme', 'billing', 'Where is my refund?');
  const offersOfA = async () => (await frames(ella, 'offer', taskA)).length;
  const aOffers = await offersOfA();
  await test('a new task still arrives; after away and available again it is still offered, the skipped one is not [needs offer.decline]', async () => {
    await ella.waitForSelector(offerSel(taskB));
    await ella.uncheck('#available');
    await ella.waitForSelector('body[data-presence="away"]');
    await ella.check('#available');
    await ella.waitForSelector('body[data-presence="available"]');
    await sleep(800); // going available pulls the queue in one pass: A would be here by now
    assert(await ella.isVisible(offerSel(taskB)), 'the offer of the new task is gone');
    assert((await offersOfA()) === aOffers, 'the skipped task was offered again');
    assert(await ella.isHidden(offerSel(taskA)), 'the skipped task is shown again');
  });
  await test('…and after a reload (a new session) [needs offer.decline]', async () => {
    await ella.reload();
    await ella.waitForSelector('#conn[data-state="online"]');
    await ella.waitForSelector('body[data-presence="available"]'); // the console remembers
    await ella.waitForSelector(offerSel(taskB));
    await sleep(500);
    assert(!(await frames(ella, 'offer', taskA)).length, 'the skipped task was offered after the reload');
  });
  await test('no queue.get while an offer is shown', async () => {
    const count = () => ella.evaluate(() => window.__gxOut.filter((f) => f.type === 'queue.get').length);
    const before = await count();
    await sleep(5600); // longer than a poll interval
    const n = (await count()) - before;
    assert(n === 0, `${n} queue.get sent with an offer on screen`);
  });
  await test('keyboard: Tab from an offer reaches Skip, Enter skips; then 0 tasks queued (skipped ones do not count) [needs offer.decline, queue.get]', async () => {
    await ella.focus(offerSel(taskB));
    await ella.keyboard.press('Tab');
    const focused = await ella.evaluate(() => document.activeElement.className + ' ' + document.activeElement.getAttribute('aria-label'));
    assert(/decline/.test(focused) && /^.*Skip: billing/.test(focused), `Tab lands on ${focused}`);
    await ella.keyboard.press('Enter');
    await ella.waitForSelector(`${offerSel(taskB)}[data-reason="declined"]`);
    const now = await ella.evaluate(() => document.activeElement.id || document.activeElement.tagName);
    assert(now === 'available', `the focus went to ${now}, not to the next offer or the presence switch`);
    await quietLine(ella, /^Waiting for work: 0 tasks queued for your skills/);
  });

  /* ---- waves: hugo ranks above ella, one expert per wave ---- */
  const { ctx: hugoCtx, page: hugo } = await newPage('hugo');
  let taskW = null;
  const waveOk = await test('hugo (ranked above ella) signs in and goes available; a wavy task is offered to him only', async () => {
    await hugo.goto(`${API}/expert/`);
    await signIn(hugo, keys.hugo);
    await hugo.check('#available');
    await hugo.waitForSelector('body[data-presence="available"]');
    await sleep(300); // his place in the ranking is written as he goes available
    taskW = await newTask('wavy', 'returns', 'I would like to return the blue kettle.');
    await hugo.waitForSelector(offerSel(taskW));
    await sleep(500);
    assert(await ella.isHidden(offerSel(taskW)), 'ella got the offer in the first wave');
  });
  if (waveOk) {
    await test('quiet line: "1 task waiting for experts with your skills; you are in wave 2" [needs queue.get]', async () => {
      const q = await quietLine(ella, /^1 task waiting for experts with your skills; you are in wave 2\b/);
      assert(q.waiting === '1' && q.reached === '0' && q.wave === '1', `data ${JSON.stringify(q)}`);
    });
    await test('waves give way: hugo goes away and the task reaches ella at once; Delete skips it [needs server]', async () => {
      await hugo.uncheck('#available');
      await ella.waitForSelector(offerSel(taskW), { timeout: 5000 });
      await ella.waitForSelector('#quiet', { state: 'hidden' });
      await ella.focus(offerSel(taskW));
      await ella.keyboard.press('Delete');
      await ella.waitForSelector(`${offerSel(taskW)}[data-reason="declined"]`);
    });
  }
  await hugoCtx.close();

  /* ---- at capacity ---- */
  const taskC = await newTask('acme', 'billing', 'Can I change my invoice address?');
  let taskD = null;
  await test('at capacity 1 with a chat open: "…waiting; offers come as soon as you have a free slot" [needs queue.get]', async () => {
    await ella.selectOption('#capacity', '1');
    await ella.waitForFunction(() => /of 1 active/.test(document.getElementById('active').textContent));
    await ella.click(`${offerSel(taskC)} button.claim`);
    await ella.waitForSelector(`#panel-${taskC}:not([hidden])`);
    taskD = await newTask('acme', 'billing', 'My coupon did not work.');
    await quietLine(ella, /^\d+ tasks? waiting; offers come as soon as you have a free slot/);
  });
  if (taskD)
    await test('a freed slot pulls the queue: resolving the chat brings the waiting offer [needs server]', async () => {
      await ella.click(`#panel-${taskC} .act-resolve`);
      await ella.click(`#panel-${taskC} .resolve-form button[type="submit"]`);
      await ella.waitForSelector(`#panel-${taskC}[data-status="resolved"]`);
      await ella.waitForSelector(offerSel(taskD), { timeout: 5000 });
      await ella.waitForSelector('#quiet', { state: 'hidden' });
    });
  if (taskD)
    await test('375 px: an offer with Skip and Claim fits', async () => {
      await ella.setViewportSize({ width: 375, height: 740 });
      if (!(await ella.isVisible(offerSel(taskD)))) {
        // without the pull (checked above), going available again sends the backlog
        await ella.uncheck('#available');
        await ella.waitForSelector('body[data-presence="away"]');
        await ella.check('#available');
      }
      await ella.waitForSelector(offerSel(taskD));
      const w = await ella.evaluate(() => document.documentElement.scrollWidth);
      assert(w <= 375, `console is ${w}px wide`);
      for (const b of ['decline', 'claim']) {
        const box = await ella.locator(`${offerSel(taskD)} button.${b}`).boundingBox();
        assert(box && box.x >= 0 && box.x + box.width <= 375, `${b} button ${JSON.stringify(box)}`);
      }
      await ella.screenshot({ path: path.join(OUT, 'expert-offer-375.png') });
      await ella.setViewportSize({ width: 1280, height: 800 });
    });
  await ella.screenshot({ path: path.join(OUT, 'expert-console-prod.png') });

  check('no console errors, page errors, failed requests or error responses', problems.length === 0, problems.slice(0, 10).join('\n        '));
}

// Never leave a gigcxd behind: on a signal or a closed pipe, clean up and go.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, async () => {
    await Promise.race([cleanup(), sleep(5000)]);
    process.exit(130);
  });
process.stdout.on('error', () => {});

const watchdog = setTimeout(async () => {
  console.log(`\nFAIL: the run took longer than ${TOTAL_MS / 1000} s`);
  await Promise.race([cleanup(), sleep(3000)]);
  process.exit(1);
}, TOTAL_MS);

try {
  await main();
} catch (e) {
  fail('setup', e);
}
await Promise.race([cleanup(), sleep(8000)]);
clearTimeout(watchdog);
if (failures.length) console.log(`\nfailures:\n  ${failures.join('\n  ')}`);
console.log(`\n${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
