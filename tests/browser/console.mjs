// Chromium tests of the expert console against a production gigcxd (no --dev): it loads
// without a console error or a failed request (no demo accounts asked for), the Skip button
// (offer.decline) and the line that says why the console is quiet (queue.get), with brands
// and experts made through the admin API and tasks through the brand API.
// Prints "N passed, M failed"; exits non-zero on failure.
//
//   cd tests/browser && npm ci && node console.mjs
//   env: GIGCXD=path/to/gigcxd (default: newest ../../build*/server/gigcxd)
//        CHROMIUM=/usr/bin/chromium   HEADED=1 (watch it)   KEEP=1 (keep the temp dir)
import path from 'node:path';
import { OUT, STEP_MS, api, assert, check, healthz, launch, newPage as libPage, problems, run, sleep, startGigcxd, test, watchFailures, watchOrigins } from './lib.mjs';

const TOTAL_MS = 120000; // the whole run, whatever happens

/** The wave order's last tie-break (docs/protocol.md, "Offer waves"): FNV-1a of the id. */
function tieBreak(id) {
  let h = 2166136261;
  for (const c of Buffer.from(id)) h = Math.imul(h ^ c, 16777619) >>> 0;
  return h % 1000;
}

/* -------------------------------------------------------------- browser */

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
  const { origin: API } = await startGigcxd('console', [], { dev: false });
  const health = await (await healthz(API)).json();
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

  const browser = await launch();
  /** A page that records frames (FRAME_SPY) and must load cleanly from the server's origin alone. */
  async function newPage(name, viewport = { width: 1280, height: 800 }) {
    const { ctx, page } = await libPage(browser, name, { viewport, init: FRAME_SPY });
    watchFailures(page, name);
    watchOrigins(page, name, new Set([API]));
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

await run('console.mjs', TOTAL_MS, main);
