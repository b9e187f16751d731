// Dead connections in the browser clients: the network under an open console or widget
// freezes (a TCP proxy that stops forwarding and hides the server's hang-ups, or the
// browser going offline). Each client must notice by itself ("Connection lost,
// reconnecting…" within 10 s), resume when the network returns, and say what happened
// meanwhile: the expert that the chat was taken back, and when and why (welcome.taken_back:
// a notice until dismissed, the tab read-only with the reason); the customer that the
// expert is gone and they are back in the queue.
//
//   cd tests/browser && npm ci && node liveness.mjs      (CTest: browser_liveness)
//   env: GIGCXD, CHROMIUM, HEADED=1, KEEP=1, TRIES (clients of each kind frozen at once, 20)
import path from 'node:path';
import fs from 'node:fs';
import { OUT, W, api, assert, check, launch, makeExpert, newPage, openConsole, pct, problems, run, shadowTexts, sleep, startGigcxd, startProxy, startShop, test } from './lib.mjs';

const TRIES = Number(process.env.TRIES || 20);
const LOST_TEXT = 'Connection lost, reconnecting…';
const LIMIT_MS = 10000; // the bound from freezing to "reconnecting"

// Records, in the page, when the connection line first says LOST_TEXT (wall clock, as the
// test's Date.now() at the freeze). The console's line is #conn-text; the widget's is the
// status line in its shadow root.
function watchLost(page, where) {
  return page.evaluate(
    ([where, text]) => {
      window.__lostAt = 0;
      const el = where === 'console' ? document.getElementById('conn-text') : document.querySelector('gigcx-widget').shadowRoot.querySelector('.s');
      const seen = () => !window.__lostAt && el.textContent === text && (window.__lostAt = Date.now());
      new MutationObserver(seen).observe(el, { childList: true, characterData: true, subtree: true });
    },
    [where, LOST_TEXT],
  );
}

/** A widget on the shop, panel open, online, its socket through `apiOrigin`. */
async function openWidget(browser, shop, apiOrigin, name) {
  const { ctx, page } = await newPage(browser, name, { allow: [/WebSocket/] });
  await page.goto(`${shop}/shop.html?api=${encodeURIComponent(apiOrigin)}`);
  await page.waitForSelector(`${W}[data-ready="true"]`);
  await page.click(`${W} button.l`);
  await page.waitForSelector(`${W}[data-conn="online"]`);
  return { ctx, page };
}

async function main() {
  // heartbeat 1 s and grace 3 s: the server drops a frozen expert after ~3 s and requeues
  // their chat 3 s later, so the take-back is seen in seconds rather than minutes.
  const gx = await startGigcxd('liveness', ['--heartbeat', '1', '--expert-grace', '3']);
  const shop = await startShop();
  const proxy = await startProxy(gx.port);
  const r = await api(gx.origin, 'PUT', '/api/v1/brands/demo', {
    name: 'Demo Shop',
    pay: { amount: 4.5, currency: 'EUR' },
    widget_origins: [shop],
    topics: { billing: { tier: 1 } },
  });
  assert(r.status === 200, `brand: ${r.status}`);
  const browser = await launch();
  const allow = [/WebSocket/];
  const measured = {};

  /* ---- 1. TRIES consoles and TRIES widgets on a network that freezes ---- */
  await test(`frozen network: ${TRIES} consoles and ${TRIES} widgets say "${LOST_TEXT}" within 10 s, and resume`, async () => {
    const tokens = await Promise.all(Array.from({ length: TRIES }, (_, i) => makeExpert(gx.origin, `live${i}`, `Live ${i}`)));
    const consoleCtx = await browser.newContext();
    // opened five at a time: quicker than one by one, gentler than all at once on 2 cores
    const consoles = [];
    const widgets = [];
    for (let i = 0; i < TRIES; i += 5) {
      const ids = Array.from({ length: Math.min(5, TRIES - i) }, (_, k) => i + k);
      consoles.push(...(await Promise.all(ids.map((j) => openConsole(browser, proxy.origin, tokens[j], `console-${j}`, { ctx: consoleCtx, allow })))).map((x) => x.page));
      widgets.push(...(await Promise.all(ids.map((j) => openWidget(browser, shop, proxy.origin, `widget-${j}`)))).map((x) => x.page));
    }
    // each client at its own point of its quiet/ping cycle, as in life
    await sleep(1000 + Math.random() * 3000);
    await Promise.all([...consoles.map((p) => watchLost(p, 'console')), ...widgets.map((p) => watchLost(p, 'widget'))]);
    const frozenAt = proxy.freeze();
    const lostAll = async (pages) =>
      Promise.all(pages.map((p) => p.waitForFunction(() => window.__lostAt > 0, null, { timeout: LIMIT_MS + 2000 }).then(() => p.evaluate(() => window.__lostAt))));
    const [cLost, wLost] = await Promise.all([lostAll(consoles), lostAll(widgets)]).catch((e) => {
      proxy.thaw(); // the scenarios below need the network back
      throw e;
    });
    const cMs = cLost.map((t) => t - frozenAt);
    const wMs = wLost.map((t) => t - frozenAt);
    measured.console = { p50: pct(cMs, 50), p99: pct(cMs, 99), max: Math.max(...cMs), min: Math.min(...cMs) };
    measured.widget = { p50: pct(wMs, 50), p99: pct(wMs, 99), max: Math.max(...wMs), min: Math.min(...wMs) };
    // while frozen, the status stays lost (no false "Online" from a socket that goes nowhere)
    await sleep(1500);
    assert((await consoles[0].textContent('#conn-text')) === LOST_TEXT, 'console left "lost" while still frozen');
    proxy.thaw();
    const back = Date.now();
    await Promise.all(consoles.map((p) => p.waitForSelector('#conn[data-state="online"]', { timeout: 15000 })));
    await Promise.all(widgets.map((p) => p.waitForSelector(`${W}[data-conn="online"]`, { timeout: 15000 })));
    measured.resume_ms = Date.now() - back;
    const status = (await shadowTexts(widgets[0], '.s'))[0];
    assert(status !== LOST_TEXT, `widget status after the return: ${status}`);
    assert(measured.console.max <= LIMIT_MS, `a console took ${measured.console.max} ms`);
    assert(measured.widget.max <= LIMIT_MS, `a widget took ${measured.widget.max} ms`);
    await consoleCtx.close();
    for (const p of widgets) await p.context().close();
  });

  /* ---- 2. the browser says offline: at once, and back at once ---- */
  await test('offline event: console and widget say "lost" at once and reconnect when online', async () => {
    const token = await makeExpert(gx.origin, 'offline1', 'Offline One');
    const { ctx, page } = await openConsole(browser, gx.origin, token, 'console-offline', { allow });
    const { ctx: wctx, page: wp } = await openWidget(browser, shop, gx.origin, 'widget-offline');
    await watchLost(page, 'console');
    await watchLost(wp, 'widget');
    const t = Date.now();
    await ctx.setOffline(true);
    await wctx.setOffline(true);
    await page.waitForFunction(() => window.__lostAt > 0, null, { timeout: 3000 });
    await wp.waitForFunction(() => window.__lostAt > 0, null, { timeout: 3000 });
    measured.offline_console_ms = (await page.evaluate(() => window.__lostAt)) - t;
    measured.offline_widget_ms = (await wp.evaluate(() => window.__lostAt)) - t;
    await sleep(1500);
    await ctx.setOffline(false);
    await wctx.setOffline(false);
    await page.waitForSelector('#conn[data-state="online"]', { timeout: 5000 });
    await wp.waitForSelector(`${W}[data-conn="online"]`, { timeout: 5000 });
    await ctx.close();
    await wctx.close();
  });

  /* ---- 3. the expert's network freezes mid-chat past the grace period ---- */
  await test('expert frozen past the grace: the customer is told and requeued, the expert told when and why', async () => {
    const token = await makeExpert(gx.origin, 'frieda', 'Frieda Frost');
    const { page: ex } = await openConsole(browser, proxy.origin, token, 'console-frozen', { allow });
    await ex.check('#available');
    await ex.waitForSelector('body[data-presence="available"]');
    const { page: cu } = await openWidget(browser, shop, gx.origin, 'customer-frozen');
    await cu.fill(`${W} textarea`, 'My bill is wrong.');
    await cu.press(`${W} textarea`, 'Enter');
    const offer = ex.locator('.offer').first();
    await offer.waitFor();
    const task = await offer.getAttribute('data-task');
    await offer.locator('.claim').click();
    await ex.waitForSelector(`#panel-${task}:not([hidden])`);
    await cu.waitForFunction(() => /Frieda/.test(document.querySelector('gigcx-widget').shadowRoot.querySelector('.s').textContent));
    await watchLost(ex, 'console');
    proxy.freeze();
    setTimeout(() => proxy.thaw(), 30000).unref(); // whatever happens below
    // written into the void: it stays "…" and is sent again on reconnect
    await ex.fill(`#in-${task}`, 'Still checking, one moment.');
    await ex.press(`#in-${task}`, 'Enter');
    await ex.waitForFunction(() => window.__lostAt > 0, null, { timeout: LIMIT_MS });
    // the server drops the silent socket (~3 s) and requeues after the grace (3 s)
    await cu.waitForFunction(
      () => [...document.querySelector('gigcx-widget').shadowRoot.querySelectorAll('.g .sys')].some((li) => /Frieda has left the chat\. You are back in the queue/.test(li.textContent)),
      null,
      { timeout: 15000 },
    );
    const st = (await shadowTexts(cu, '.s'))[0];
    assert(/Waiting for an expert/.test(st), `customer status: ${st}`);
    proxy.thaw();
    await ex.waitForSelector('#conn[data-state="online"]', { timeout: 15000 });
    await ex.waitForSelector(`#panel-${task}[data-status="taken"]`);
    // welcome.taken_back says when and why: the tab turns read-only with it, and a notice
    // above the chats says it until dismissed
    const said = /Your chat with .+ was given back to the queue at [^.]*\d:\d\d[^.]* because you were disconnected for too long\./;
    const note = await ex.textContent(`#panel-${task} .ended-text`);
    assert(said.test(note) && /read-only/.test(note), `expert note: ${note}`);
    assert((await ex.getAttribute(`#panel-${task}`, 'data-taken-reason')) === 'disconnected', 'panel does not say why');
    assert(/Taken back/.test(await ex.textContent(`#tab-${task}`)) || (await ex.getAttribute(`#panel-${task} .status-pill`, 'data-status')) === 'taken', 'tab does not say taken');
    const notice = ex.locator(`#taken-notices .taken-notice[data-task="${task}"]`);
    await notice.waitFor();
    const noticeText = await notice.locator('.taken-text').textContent();
    assert(said.test(noticeText), `expert notice: ${noticeText}`);
    // the message written while frozen is not left at "…"
    await ex.waitForFunction((t) => !document.querySelector(`#panel-${t} .msg.pending`), task, { timeout: 5000 });
    await ex.screenshot({ path: path.join(OUT, 'expert-taken-back.png') });
    await cu.screenshot({ path: path.join(OUT, 'widget-back-in-queue.png') });
    // said once by the server, kept by the console until dismissed (a reload keeps it too)
    await ex.reload();
    await ex.waitForSelector('#conn[data-state="online"]', { timeout: 15000 });
    await notice.waitFor();
    await notice.getByRole('button', { name: /Dismiss/ }).click();
    await ex.waitForSelector('#taken-notices', { state: 'hidden' });
    await ex.reload();
    await ex.waitForSelector('#conn[data-state="online"]', { timeout: 15000 });
    assert((await ex.locator('#taken-notices .taken-notice').count()) === 0, 'a dismissed notice came back');
  });

  check('no console errors or page errors', problems.length === 0, problems.slice(0, 10).join('\n        '));
  return () => {
    fs.writeFileSync(path.join(OUT, 'liveness.json'), JSON.stringify(measured, null, 2) + '\n');
    console.log('\nmeasured (freeze -> "reconnecting" shown, ms):');
    for (const k of ['console', 'widget'])
      if (measured[k]) console.log(`  ${k.padEnd(8)} ${TRIES} tries: p50 ${measured[k].p50}, p99 ${measured[k].p99}, min ${measured[k].min}, max ${measured[k].max}`);
    if (measured.resume_ms != null) console.log(`  all ${2 * TRIES} back online ${measured.resume_ms} ms after the network returned`);
    if (measured.offline_console_ms != null) console.log(`  offline event -> "reconnecting": console ${measured.offline_console_ms} ms, widget ${measured.offline_widget_ms} ms`);
  };
}

// 40 browser contexts at TRIES=20 take longer to start on a busy 2-core machine
await run('liveness.mjs', Math.max(100000, 40000 + TRIES * 4000), main);
