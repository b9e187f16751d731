// The client bugs and features of the "dead connections" issue, one scenario each, on a
// gigcxd --dev of their own: escalations on their own clock in the staff console (and no
// pay), the webhook secret shown once, lower-case currency, the widget's unread badge after
// a reload, the offer's focus ring, the rating panel and the last message, arrow keys over
// chat tabs, offer alerts, safe links, release/resolve forms, handover lines, End chat, the
// console's capacity ceiling.
//
//   cd tests/browser && npm ci && node issues.mjs        (CTest: browser_issues)
//   env: GIGCXD, CHROMIUM, HEADED=1, KEEP=1
import path from 'node:path';
import { ADMIN_KEY, OUT, W, api, widgetChat, assert, check, launch, newPage, openConsole, problems, run, shadowTexts, sleep, startGigcxd, startShop, test } from './lib.mjs';

const root = "document.querySelector('gigcx-widget').shadowRoot";

// In the console page: count beeps, catch desktop notifications, and pretend the console
// is not in front (notifications are only for a console in the background).
const ALERT_SPY = () => {
  window.__beeps = 0;
  window.__notes = [];
  const AC = window.AudioContext;
  window.AudioContext = class extends AC {
    createOscillator() {
      window.__beeps++;
      return super.createOscillator();
    }
  };
  window.Notification = class {
    static permission = 'granted';
    static requestPermission() {
      return Promise.resolve('granted');
    }
    constructor(title, o) {
      window.__notes.push({ title, body: o?.body });
    }
    close() {}
  };
  document.hasFocus = () => false;
};

/** A staff member of brand with a console of their own, signed in and available. */
async function staffConsole(browser, apiOrigin, sub, brand) {
  const tok = await api(apiOrigin, 'POST', '/api/v1/tokens', { sub, role: 'staff', brand, name: `${sub[0].toUpperCase()}${sub.slice(1)} Staff` });
  assert(tok.data?.token, `staff token for ${sub}: ${tok.status}`);
  const { ctx, page } = await openConsole(browser, apiOrigin, tok.data.token, sub);
  await page.check('#available');
  await page.waitForSelector('body[data-presence="available"]');
  return { ctx, page };
}


const say = async (page, task, text) => {
  await page.fill(`#in-${task}`, text);
  await page.press(`#in-${task}`, 'Enter');
};
const widgetSays = (page, re) => page.waitForFunction(([r, re]) => new RegExp(re).test(eval(r).querySelector('.s').textContent), [root, re.source]);
const widgetLine = (page, re) =>
  page.waitForFunction(([r, re]) => [...eval(r).querySelectorAll('.g .sys')].some((li) => new RegExp(re).test(li.textContent)), [root, re.source]);

async function main() {
  const gx = await startGigcxd('issues');
  const API = gx.origin;
  const shop = await startShop();
  const r = await api(API, 'PUT', '/api/v1/brands/demo', { name: 'Demo Shop', pay: { amount: 4.5, currency: 'EUR' }, widget_origins: [shop], topics: { billing: { tier: 1 } } });
  assert(r.status === 200, `brand: ${r.status}`);
  const browser = await launch();

  /* ---- admin: webhook secret once, lower-case currency ---- */
  const { ctx: adminCtx, page: admin } = await newPage(browser, 'admin');
  await admin.goto(`${API}/admin/`);
  await admin.fill('#key', ADMIN_KEY);
  await admin.press('#key', 'Enter');
  await admin.click('#nav a[data-section="brands"]');
  const saveBrand = async (page, id, currency) => {
    await page.fill('#b-id', id);
    await page.fill('#b-name', `Brand ${id}`);
    await page.fill('#b-amount', '3');
    await page.fill('#b-currency', currency);
    await page.fill('#b-topics', 'billing');
    await page.click('#brand-form button[type="submit"]');
    await page.waitForFunction((id) => new RegExp(`Created brand ${id}`).test(document.querySelector('#brand-result').textContent), id, { timeout: 3000 });
  };

  await test('admin: a lower-case currency ("usd") is sent as USD, not refused', async () => {
    await saveBrand(admin, 'lower', 'usd');
    const b = await api(API, 'GET', '/api/v1/brands/lower');
    assert(b.data?.pay?.currency === 'USD', `stored currency ${JSON.stringify(b.data?.pay)}`);
  });

  await test('admin: a new brand shows its webhook secret once, like the API key', async () => {
    const page = admin;
    await saveBrand(page, 'hooky', 'EUR');
    const secret = await page.evaluate(() => document.querySelector('#whsec')?.textContent);
    assert(/^whsec_/.test(secret) && (await page.isVisible('#whsec-box')), `webhook secret shown: ${secret}`);
    await page.fill('#b-name', 'Hooky Hats Ltd');
    await page.click('#brand-form button[type="submit"]');
    await page.waitForFunction(() => /Updated brand hooky/.test(document.querySelector('#brand-result').textContent));
    assert(await page.isHidden('#whsec-box'), 'the secret is shown again on an update');
  });
  await adminCtx.close();

  /* ---- staff: an escalation (on queue time-out) has its own clock, no expert pay ---- */
  await test('staff console: an escalated offer does not count down from creation nor expire, shows no pay', async () => {
    const b = await api(API, 'PUT', '/api/v1/brands/esc', { name: 'Esc Co', pay: { amount: 7, currency: 'EUR' }, widget_origins: [], topics: { billing: { tier: 1 } }, languages: ['en'], queue_timeout_s: 1, on_timeout: 'escalate' });
    assert(b.status === 201 && b.data.api_key, `brand esc: ${b.status}`);
    const { ctx, page } = await staffConsole(browser, API, 'stella', 'esc');
    const t = await api(API, 'POST', '/api/v1/tasks', { customer: { id: 'c1', name: 'Cora Client' }, topic: 'billing', language: 'en', text: 'I want a manager.' }, b.data.api_key);
    assert(t.status === 201, `task: ${t.status}`);
    const offer = page.locator(`.offer[data-task="${t.data.task}"]`);
    await offer.waitFor({ timeout: 8000 }); // queue time-out 1 s, then escalated to staff
    await sleep(1200); // a tick of the offers' clock
    const clock = await offer.locator('.countdown').textContent();
    assert(!/expired|left/.test(clock), `staff offer clock: ${clock}`);
    assert(await offer.locator('.claim').isEnabled(), 'claim is disabled');
    const text = await offer.innerText();
    assert(!/€|7\.00|pays/.test(text) && !(await offer.locator('.pay').count()), `staff offer shows pay: ${text}`);
    assert(/Escalated|Reason/.test(text), `no word on the escalation: ${text}`);
    await sleep(5000); // the old console dropped "expired" offers 5 s after expires_at
    assert(!(await offer.getAttribute('class')).includes('gone'), 'the escalated offer was withdrawn as expired');
    await ctx.close();
  });

  /* ---- staff: a release closes the chat tab; the brand's other staff get the offer ---- */
  await test('staff console: Release closes the chat tab at once; a second staff console gets the offer', async () => {
    const b = await api(API, 'PUT', '/api/v1/brands/relay', { name: 'Relay Co', pay: { amount: 7, currency: 'EUR' }, widget_origins: [], topics: { billing: { tier: 1 } }, languages: ['en'], queue_timeout_s: 1, on_timeout: 'escalate' });
    assert(b.status === 201 && b.data.api_key, `brand relay: ${b.status}`);
    const rita = await staffConsole(browser, API, 'rita', 'relay');
    const otto = await staffConsole(browser, API, 'otto', 'relay');
    const t = await api(API, 'POST', '/api/v1/tasks', { customer: { id: 'c2', name: 'Remi Client' }, topic: 'billing', language: 'en', text: 'Nobody answers.' }, b.data.api_key);
    assert(t.status === 201, `task: ${t.status}`);
    const task = t.data.task;
    await rita.page.locator(`.offer[data-task="${task}"] .claim`).click({ timeout: 8000 }); // escalated after 1 s
    await rita.page.waitForSelector(`#panel-${task}[data-status="escalated"]:not([hidden]) .composer:not([hidden])`);
    await otto.page.waitForSelector(`.offer[data-task="${task}"]`, { state: 'detached' }); // claimed, gone
    await rita.page.click(`#panel-${task} .act-release`);
    await rita.page.fill(`#release-${task}`, 'Needs someone from billing');
    await rita.page.click(`#release-form-${task} button[type="submit"]`);
    await rita.page.waitForSelector(`#tab-${task}`, { state: 'detached', timeout: 3000 });
    assert(await rita.page.isHidden(`#panel-${task}`), 'the released chat\'s panel is still there');
    await otto.page.waitForSelector(`.offer[data-task="${task}"]:not(.gone) .claim`, { timeout: 5000 });
    await rita.ctx.close();
    await otto.ctx.close();
  });

  /* ---- capacity: the admin's ceiling is offered, and a lowered choice says why ---- */
  await test('console capacity: offers no more than the admin\'s limit; a saved higher choice says why it was lowered', async () => {
    const e = await api(API, 'PUT', '/api/v1/experts/capped', { name: 'Cap Ped', skills: ['billing'], languages: ['en'], tier: 1, brands: ['demo'], capacity: 2 });
    assert(e.status === 201 || e.status === 200, `expert capped: ${e.status}`);
    const tok = await api(API, 'POST', '/api/v1/tokens', { sub: 'capped', role: 'expert' }, ADMIN_KEY);
    const { ctx, page } = await newPage(browser, 'capped');
    await page.addInitScript(() => localStorage.setItem('gigcx.console.prefs', JSON.stringify({ available: true, capacity: 5 })));
    await page.addInitScript((t) => sessionStorage.setItem('gigcx.console.token', t), tok.data.token);
    await page.goto(`${API}/expert/`);
    await page.waitForSelector('body[data-presence="available"]');
    await page.waitForSelector('#capacity-note:not([hidden])');
    const opts = await page.$$eval('#capacity option', (o) => o.map((x) => x.value));
    assert(opts.join() === '1,2', `capacity options: ${opts}`);
    assert((await page.inputValue('#capacity')) === '2', 'the capacity shown is not the one that applies');
    assert(/limit is 2/.test(await page.textContent('#capacity-note')), 'no word on the limit');
    await page.selectOption('#capacity', '1');
    await page.waitForSelector('#capacity-note', { state: 'hidden' });
    await ctx.close();
  });

  /* ---- the expert console and customers ---- */
  const { page: ex } = await newPage(browser, 'alice');
  await ex.addInitScript(ALERT_SPY);
  const sentFrames = [];
  ex.on('websocket', (ws) => ws.on('framesent', (f) => sentFrames.push(String(f.payload))));
  await ex.goto(`${API}/expert/`);
  await ex.click('#demo-list button[data-user="alice"]');
  await ex.waitForSelector('#conn[data-state="online"]');
  await ex.check('#available');
  await ex.waitForSelector('body[data-presence="available"]');
  const alerts = !!(await ex.$('#sound')); // (absent before the feature: the other tests still run)
  if (alerts) {
    await ex.check('#sound');
    await ex.check('#desktop');
  }
  const c1 = await widgetChat(browser, shop, API, 'customer-1', 'My invoice is wrong.');
  const t1 = c1.task;

  await test('offer: noticed (sound, desktop alert, title, favicon) and shows the customer’s wait', async () => {
    const offer = ex.locator(`.offer[data-task="${t1}"]`);
    await offer.waitFor();
    await ex.waitForFunction(() => window.__beeps >= 2 && window.__notes.length >= 1, null, { timeout: 3000 }); // the sample beep, then the offer's
    const note = await ex.evaluate(() => window.__notes.at(-1));
    assert(note.title === 'New offer' && /billing/.test(note.body), `notification ${JSON.stringify(note)}`);
    assert(/1 offer/.test(await ex.title()), `title: ${await ex.title()}`);
    assert((await ex.getAttribute('#favicon', 'data-count')) === '1' && /^data:image\/png/.test(await ex.getAttribute('#favicon', 'href')), 'favicon without the count');
    assert(/Customer waiting \d+:\d\d/.test(await offer.innerText()), 'no waiting time on the offer');
  });

  await test('offer: its keyboard focus ring is whole, not clipped by the scrolling list (WCAG 2.4.7)', async () => {
    await ex.focus('#capacity');
    for (let i = 0; i < 6 && !(await ex.evaluate(() => document.activeElement.classList.contains('offer'))); i++) await ex.keyboard.press('Tab');
    const geo = await ex.evaluate(() => {
      const el = document.activeElement;
      const list = el.parentElement;
      const cs = getComputedStyle(el);
      const ext = parseFloat(cs.outlineWidth) + parseFloat(cs.outlineOffset);
      const r = el.getBoundingClientRect();
      const l = list.getBoundingClientRect();
      return { offer: el.classList.contains('offer'), visible: el.matches(':focus-visible'), ext, top: r.top - ext - l.top, left: r.left - ext - l.left, right: l.right - r.right - ext };
    });
    assert(geo.offer && geo.visible, `focus is not on the offer: ${JSON.stringify(geo)}`);
    assert(geo.top >= 0 && geo.left >= 0 && geo.right >= 0, `ring clipped by the list: ${JSON.stringify(geo)}`);
  });

  await ex.click(`.offer[data-task="${t1}"] .claim`);
  await ex.waitForSelector(`#panel-${t1}:not([hidden])`);
  await widgetSays(c1.page, /Alice/);

  await test('chat links: http(s) only, new tab with rel="noopener noreferrer", text never parsed as HTML', async () => {
    await c1.page.fill(`${W} textarea`, 'See https://shop.example/orders/42?x=1. Not javascript:alert(1) nor <b>bold</b> <a href="https://evil.example">x</a>');
    await c1.page.press(`${W} textarea`, 'Enter');
    const text = ex.locator(`#panel-${t1} .msg .text`).last();
    await ex.waitForFunction((t) => /See/.test([...document.querySelectorAll(`#panel-${t} .msg .text`)].pop().textContent), t1);
    const links = await text.evaluate((p) => [...p.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target, text: a.textContent })));
    // the URL inside the customer's <a href="..."> is text like any other: linked as a URL,
    // never as their markup (whose text would be "x")
    assert(links.length === 2 && links.every((l) => l.text === l.href.replace(/\/$/, '') || l.text === l.href) && !links.some((l) => /javascript/.test(l.href)), `links: ${JSON.stringify(links)}`);
    assert(links[0].href === 'https://shop.example/orders/42?x=1' && links[0].rel === 'noopener noreferrer' && links[0].target === '_blank', `link ${JSON.stringify(links[0])}`);
    assert(!(await text.evaluate((p) => p.querySelector('b'))), 'HTML from the customer was parsed');
  });

  await test('widget links: http(s) links in both sides\' messages open in a new tab (noopener noreferrer), as in the console; text never parsed as HTML', async () => {
    const text = 'Track it at https://shop.example/track?id=7&x=1, or (https://help.example/faq). Not javascript:alert(1) nor ftp://files.example nor <i>it</i> <a href="https://evil.example">x</a>';
    await say(ex, t1, text);
    await c1.page.waitForFunction(([r, t]) => [...eval(r).querySelectorAll('.g li:not(.me) p')].some((p) => p.textContent === t), [root, text]);
    const inWidget = await c1.page.evaluate(([r, t]) => {
      const p = [...eval(r).querySelectorAll('.g p')].filter((p) => p.textContent === t).pop();
      const links = [...p.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target, text: a.textContent }));
      return { links, markup: !!p.querySelector('i, b') };
    }, [root, text]);
    const inConsole = await ex.locator(`#panel-${t1} .msg .text`).last().evaluate((p) => [...p.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target, text: a.textContent })));
    const hrefs = inWidget.links.map((l) => l.href);
    assert(JSON.stringify(hrefs) === JSON.stringify(['https://shop.example/track?id=7&x=1', 'https://help.example/faq', 'https://evil.example/']), `widget links ${JSON.stringify(inWidget.links)}`);
    assert(inWidget.links.every((l) => l.rel === 'noopener noreferrer' && l.target === '_blank'), `widget link attributes ${JSON.stringify(inWidget.links)}`);
    assert(JSON.stringify(inWidget.links) === JSON.stringify(inConsole), `the widget links ${JSON.stringify(inWidget.links)}, the console ${JSON.stringify(inConsole)}`);
    assert(!inWidget.markup, 'HTML from the expert was parsed in the widget');
    // the customer's own message of the test above, in the widget
    const own = await c1.page.evaluate(([r]) => [...eval(r).querySelectorAll('.g li.me p')].filter((p) => /^See /.test(p.textContent)).pop()?.querySelectorAll('a').length, [root]);
    assert(own === 2, `the customer's own message holds ${own} links`);
  });

  // a conversation long enough to scroll
  for (let i = 1; i <= 14; i++) await say(ex, t1, `Step ${i} of checking your invoice.`);
  await c1.page.waitForFunction(([r]) => [...eval(r).querySelectorAll('.g p')].some((p) => p.textContent === 'Step 14 of checking your invoice.'), [root]);

  await test('widget: after a reload the unread badge counts only messages not yet read; title shows it', async () => {
    await c1.page.reload();
    await c1.page.waitForSelector(`${W}[data-conn="online"]`);
    await sleep(800); // the resumed messages have arrived
    const badge = await c1.page.evaluate(([r]) => ({ hidden: eval(r).querySelector('.b').hidden, n: eval(r).querySelector('.b').textContent }), [root]);
    assert(badge.hidden, `badge after reload: ${JSON.stringify(badge)}`);
    await say(ex, t1, 'Found it: a double charge.');
    await c1.page.waitForFunction(([r]) => eval(r).querySelector('.b').textContent === '1' && !eval(r).querySelector('.b').hidden, [root], { timeout: 4000 });
    assert(/^\(1\) /.test(await c1.page.title()), `page title: ${await c1.page.title()}`);
    await c1.page.click(`${W} button.l`);
    await c1.page.waitForFunction(([r]) => eval(r).querySelector('.b').hidden, [root]);
    assert(!/^\(\d+\)/.test(await c1.page.title()), `title after reading: ${await c1.page.title()}`);
  });

  const c2 = await widgetChat(browser, shop, API, 'customer-2', 'Where is my parcel?');
  const t2 = c2.task;
  await ex.locator(`.offer[data-task="${t2}"] .claim`).click();
  await ex.waitForSelector(`#panel-${t2}:not([hidden])`);
  await widgetSays(c2.page, /Alice/);

  await test('chat tabs: labelled by customer; arrow keys move focus without clearing unread badges', async () => {
    const label = await ex.textContent(`#tab-${t2}`);
    assert(/^Customer|[A-Z][a-z]+ · billing/.test(label) && !/undefined/.test(label), `tab label: ${label}`);
    await ex.click(`#tab-${t1}`);
    await c2.page.fill(`${W} textarea`, 'Hello? Parcel 77?');
    await c2.page.press(`${W} textarea`, 'Enter');
    await ex.waitForFunction((t) => document.querySelector(`#tab-${t} .badge`).textContent === '1', t2);
    await ex.focus(`#tab-${t1}`);
    await ex.keyboard.press('ArrowRight');
    assert((await ex.evaluate(() => document.activeElement.id)) === `tab-${t2}`, 'focus did not move');
    assert(!(await ex.isHidden(`#tab-${t2} .badge`)), 'ArrowRight cleared the unread badge');
    await ex.keyboard.press('ArrowLeft');
    await ex.keyboard.press('ArrowRight');
    assert(!(await ex.isHidden(`#tab-${t2} .badge`)), 'passing over the tab cleared the badge');
    await ex.keyboard.press('Enter');
    await ex.waitForSelector(`#panel-${t2}:not([hidden])`);
    assert(await ex.isHidden(`#tab-${t2} .badge`), 'opening the chat did not clear the badge');
  });

  await test('release: asks first, sends the reason; the customer sees their expert left and the queue', async () => {
    await ex.click(`#panel-${t2} .act-release`);
    await ex.waitForSelector(`#release-form-${t2}:not([hidden])`);
    await sleep(300);
    assert(!sentFrames.some((f) => f.includes('"task.release"')), 'released before confirming');
    await ex.fill(`#release-${t2}`, 'Needs a parcel specialist');
    await ex.click(`#release-form-${t2} button[type="submit"]`);
    await ex.waitForSelector(`#panel-${t2}[data-status="queued"]`);
    const frame = JSON.parse(sentFrames.find((f) => f.includes('"task.release"')));
    assert(frame.reason === 'Needs a parcel specialist', `release frame ${JSON.stringify(frame)}`);
    assert(/You released this chat/.test(await ex.textContent(`#panel-${t2} .ended-text`)), 'no word on the release');
    await widgetLine(c2.page, /Alice has left the chat\. You are back in the queue/);
    await widgetSays(c2.page, /Waiting for an expert/);
  });

  if ((await c1.page.getAttribute(W, 'data-open')) !== 'true') await c1.page.click(`${W} button.l`); // (when a test above failed midway)
  await ex.click(`#tab-${t1}`);
  await say(ex, t1, 'Refund issued. Last message before we close.');
  await c1.page.waitForFunction(([r]) => [...eval(r).querySelectorAll('.g p')].some((p) => /Refund issued/.test(p.textContent)), [root]);
  const resolved = await test('resolve: asks first, sends the summary', async () => {
    await ex.click(`#panel-${t1} .act-resolve`, { timeout: 3000 });
    await ex.waitForSelector(`#resolve-form-${t1}:not([hidden])`);
    assert((await ex.getAttribute(`#panel-${t1}`, 'data-status')) === 'assigned', 'resolved before confirming');
    await ex.fill(`#resolve-${t1}`, 'Double charge refunded');
    await ex.click(`#resolve-form-${t1} button[type="submit"]`);
    await ex.waitForSelector(`#panel-${t1}[data-status="resolved"]`);
    const frame = JSON.parse(sentFrames.find((f) => f.includes('"task.resolve"')));
    assert(frame.summary === 'Double charge refunded', `resolve frame ${JSON.stringify(frame)}`);
  });
  if (!resolved) await ex.click(`#panel-${t1} button:text-is("Resolve")`); // a console without the form

  await test('widget: the rating panel keeps the expert’s last message in view', async () => {
    await c1.page.waitForSelector(`${W}[data-view="rate"]`);
    await sleep(200);
    const geo = await c1.page.evaluate(([r]) => {
      const log = eval(r).querySelector('.g');
      const last = [...log.querySelectorAll('li')].pop().getBoundingClientRect();
      const box = log.getBoundingClientRect();
      return { lastBottom: last.bottom, logBottom: box.bottom, scrolls: log.scrollHeight > log.clientHeight };
    }, [root]);
    assert(geo.scrolls, 'the conversation is too short to test this');
    assert(geo.lastBottom <= geo.logBottom + 1, `the last message is hidden under the rating panel: ${JSON.stringify(geo)}`);
    await c1.page.screenshot({ path: path.join(OUT, 'widget-rating-last-message.png') });
  });

  const c3 = await widgetChat(browser, shop, API, 'customer-3', 'Quick question about VAT.');
  await ex.locator(`.offer[data-task="${c3.task}"] .claim`).click();
  await widgetSays(c3.page, /Alice/);

  await test('widget: End chat asks first; ending a chat with an expert asks for a rating too', async () => {
    const p = c3.page;
    await p.click(`${W} button.e`);
    await p.waitForSelector(`${W} .cf:not([hidden])`);
    await p.click(`${W} .cf button:not(.go)`); // Keep chatting
    await sleep(300);
    assert((await p.getAttribute(W, 'data-view')) === 'chat', 'the chat ended without confirming');
    await p.click(`${W} button.e`);
    await p.click(`${W} .cf button.go`);
    await p.waitForSelector(`${W}[data-view="rate"]`);
    await p.click(`${W} .st button[data-score="4"]`);
    await p.click(`${W} .r button.go`);
    await p.waitForSelector(`${W}[data-view="done"]`);
    const said = (await shadowTexts(p, '.r strong')).join(' ');
    // gigcxd rates resolved chats only (a server change): the widget says so rather than pretend
    assert(/Thank you/.test(said), `after rating: ${said}`);
    console.log(`        (server answer to rating a cancelled chat: "${said}")`);
  });

  check('no console errors or page errors', problems.length === 0, problems.slice(0, 10).join('\n        '));
}

await run('issues.mjs', 110000, main);
