// The widget as a support operation uses it, on a gigcxd --dev of its own: an offline message
// left when nobody is online, answered later in the console, its reply in the brand's webhook;
// an identified customer (data-token) who finds the chat the brand opened over the API; the
// rating asked for after the customer ends the chat; the pre-chat form; closed hours.
//
//   cd tests/browser && npm ci && node widget.mjs        (CTest: browser_widget)
//   env: GIGCXD, CHROMIUM, HEADED=1, KEEP=1
import fs from 'node:fs';
import path from 'node:path';
import { STATIC, W, api, assert, freePort, launch, listenHttp, makeExpert, newPage, openConsole, run, shopHtml, startGigcxd, test } from './lib.mjs';

const root = "document.querySelector('gigcx-widget').shadowRoot";
const inWidget = (page, fn, arg) => page.waitForFunction(([r, src, a]) => new Function('R', 'a', src)(eval(r), a), [root, fn, arg], { timeout: 10000 });

async function main() {
  const gx = await startGigcxd('widget', ['--webhook-allow-private', '--webhook-retry-min-ms', '100']);
  const API = gx.origin;
  // the brand's webhook receiver and its shop (a data-token page too)
  const events = [];
  const hookPort = await freePort();
  await listenHttp((req, res) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => (events.push(JSON.parse(b)), res.end('ok')));
  }, hookPort, '127.0.0.1');
  const demo = fs.readFileSync(path.join(STATIC, 'demo', 'index.html'), 'utf8');
  const pages = {};
  let wkey = 'gxw_demo';
  const shopPort = await freePort();
  const shop = `http://127.0.0.1:${shopPort}`;
  await listenHttp((req, res) => {
    const tok = pages[new URL(req.url, 'http://x').pathname.slice(1)];
    // a rotation (for the api key) gave the brand a new widget key too
    const html = shopHtml(API, demo).replace('data-widget-key="gxw_demo"', `${tok ? `data-token="${tok}" ` : ''}data-widget-key="${wkey}"`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  }, shopPort, '127.0.0.1');
  const b = await api(API, 'PUT', '/api/v1/brands/demo?rotate=1', { name: 'Demo Shop', pay: { amount: 4.5, currency: 'EUR' }, widget_origins: [shop], topics: { billing: { tier: 1 } }, webhook_url: `http://127.0.0.1:${hookPort}/hook` });
  assert(b.status === 200 && b.data.api_key, `brand: ${b.status}`);
  wkey = b.data.widget_key;
  const event = async (type, pred = () => true) => {
    for (const end = Date.now() + 10000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      const e = events.find((x) => x.type === type && pred(x));
      if (e) return e;
    }
    throw new Error(`no ${type} webhook`);
  };
  const browser = await launch();

  /* ---- offline message: nobody online ---- */
  const { page: cu } = await newPage(browser, 'offline-customer');
  await cu.goto(`${shop}/anon`);
  await cu.waitForSelector(`${W}[data-ready="true"]`);
  await cu.click(`${W} button.l`);
  await cu.fill(`${W} textarea`, 'Where is my refund?');
  await cu.press(`${W} textarea`, 'Enter');
  let task = '';
  await test('widget: nobody online, so an offline message with name and e-mail', async () => {
    await cu.waitForSelector(`${W}[data-view="offline"]`);
    await cu.fill(`${W} input[name="name"]`, 'Olga Ode');
    await cu.fill(`${W} input[name="email"]`, 'olga@example.com');
    await cu.click(`${W} .r .go`);
    await cu.waitForSelector(`${W}[data-view="sent"]`);
    const e = await event('task.offline_message');
    assert(e.data.message === 'Where is my refund?' && e.data.customer.email === 'olga@example.com', JSON.stringify(e.data));
    task = e.task;
  });
  const tok = await makeExpert(API, 'ella', 'Ella Expert');
  const { page: ex } = await openConsole(browser, API, tok, 'console');
  await ex.check('#available');
  await test('console: the offline message is labelled, answered and resolved; the webhook carries the reply', async () => {
    await ex.locator(`.offer[data-task="${task}"] .chip.offline`).waitFor({ timeout: 8000 });
    await ex.locator(`.offer[data-task="${task}"] .claim`).click();
    await ex.waitForSelector(`#panel-${task}[data-offline="true"]`);
    const label = await ex.locator(`#panel-${task} .offline`).innerText();
    assert(/Offline message/.test(label) && !/olga@example\.com/.test(label), `label: ${label}`); // tier 1: masked
    await ex.fill(`#in-${task}`, 'Your refund left today.');
    await ex.press(`#in-${task}`, 'Enter');
    await ex.click(`#panel-${task} .act-resolve`);
    await ex.click(`#resolve-form-${task} button[type="submit"]`);
    const e = await event('task.offline_reply', (x) => x.task === task);
    assert(e.data.replies.join('|') === 'Your refund left today.' && e.data.customer.email === 'olga@example.com', JSON.stringify(e.data));
  });

  /* ---- identified customer: the brand's own task, joined in the widget ---- */
  const t = await api(API, 'POST', '/api/v1/tasks', { customer: { id: 'cust42', name: 'Ida Ident' }, topic: 'billing', language: 'en', text: 'Order 42 arrived broken' }, b.data.api_key);
  assert(t.status === 201, `task: ${t.status}`);
  pages.ida = t.data.customer_token;
  const { page: ida } = await newPage(browser, 'identified');
  await ida.goto(`${shop}/ida`);
  await ida.waitForSelector(`${W}[data-ready="true"]`);
  await ida.click(`${W} button.l`);
  await test('widget: data-token joins the task the brand created for that customer', async () => {
    await inWidget(ida, "return [...R.querySelectorAll('.g p')].some((p) => /Order 42 arrived broken/.test(p.textContent))");
  });
  await test('widget: the customer ends the chat (after a confirmation) and is asked for a rating', async () => {
    await ex.locator(`.offer[data-task="${t.data.task}"] .claim`).click({ timeout: 8000 });
    await inWidget(ida, "return /is here to help/.test(R.querySelector('.s').textContent)");
    await ida.click(`${W} button.e`);
    await ida.click(`${W} .cf .go`);
    await ida.click(`${W} .st button[data-score="4"]`, { timeout: 8000 });
    await ida.click(`${W} .r .go`);
    await inWidget(ida, "return /Thank you for your feedback/.test(R.querySelector('.r').textContent)");
    const e = await event('task.rated', (x) => x.task === t.data.task);
    assert(e.data.score === 4 && e.data.status === 'cancelled', JSON.stringify(e.data));
  });

  /* ---- the brand's settings: pre-chat form, then closed hours ---- */
  const brand = (extra) => api(API, 'PUT', '/api/v1/brands/demo', { name: 'Demo Shop', pay: { amount: 4.5, currency: 'EUR' }, widget_origins: [shop], topics: { billing: { tier: 1 } }, webhook_url: `http://127.0.0.1:${hookPort}/hook`, ...extra });
  assert((await brand({ widget: { prechat: true } })).status === 200, 'prechat brand');
  await test('widget: the pre-chat form names the customer for the expert', async () => {
    const { page: p } = await newPage(browser, 'prechat');
    // The session's welcome is held until the form is up, as a slow connect under load does:
    // it must not take the form away while the customer types into it.
    let release;
    const held = new Promise((r) => (release = r));
    await p.routeWebSocket(/\/ws/, (ws) => {
      const server = ws.connectToServer();
      let chain = Promise.resolve();
      server.onMessage((m) => (chain = chain.then(async () => (/"type":"welcome"/.test(m) && (await held), ws.send(m)))));
      ws.onMessage((m) => server.send(m));
    });
    await p.goto(`${shop}/pre`);
    await p.click(`${W} button.l`);
    await p.fill(`${W} .f textarea`, 'Can I change my order?');
    await p.press(`${W} .f textarea`, 'Enter');
    try {
      await p.waitForSelector(`${W} input[name="name"]`, { timeout: 10000 });
    } catch (e) {
      const why = await p.evaluate((w) => { const h = document.querySelector(w); return h.getAttribute('data-view') + ' nobody=' + h.getAttribute('data-nobody') + ' | ' + h.shadowRoot.textContent.slice(0, 400); }, W).catch((x) => String(x));
      throw new Error(`no pre-chat form: ${why}`);
    }
    release();
    await inWidget(p, "return !/onnect/.test(R.querySelector('.s').textContent)");
    await inWidget(p, "const f = R.querySelector('input[name=\"email\"]'); return f && f.offsetParent !== null");
    await p.fill(`${W} input[name="name"]`, 'Pia Pre');
    await p.fill(`${W} input[name="email"]`, 'pia@example.com');
    await p.click(`${W} .r .go`);
    await ex.locator('.offer', { hasText: 'Can I change my order?' }).locator('.claim').click({ timeout: 8000 });
    await ex.waitForFunction(() => [...document.querySelectorAll('.panel .meta strong, .panel strong')].some((x) => x.textContent === 'Pia'), null, { timeout: 5000 });
  });
  assert((await brand({ business_hours: { utc_offset: '+00:00' } })).status === 200, 'closed brand');
  await test('widget: outside business hours the offline form says the brand is closed', async () => {
    const { page: p } = await newPage(browser, 'closed');
    await p.goto(`${shop}/closed`);
    await p.click(`${W} button.l`);
    await p.fill(`${W} .f textarea`, 'Hello?');
    await p.press(`${W} .f textarea`, 'Enter');
    await p.waitForSelector(`${W}[data-view="offline"]`);
    await inWidget(p, "return /closed/.test(R.querySelector('.r strong').textContent)");
  });
}

run('widget.mjs', 60000, main);
