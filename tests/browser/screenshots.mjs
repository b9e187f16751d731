// The README's screenshots, staged on a gigcxd --dev of their own and written to
// docs/screenshots/: the expert console (two offers waiting, a chat with a whisper, the
// canned-response picker open), the staff console watching that chat, the widget on the
// demo shop mid-conversation (with its handover lines), the widget's offline form outside
// business hours, the rating asked for once the chat is resolved, the admin dashboard's live
// figures and its task list with a transcript.
// Not a test (not in CTest): run it by hand after a client changes how it looks.
//
//   cd tests/browser && npm ci && GIGCXD=../../build/server/gigcxd node screenshots.mjs
//   env: GIGCXD, CHROMIUM, HEADED=1, KEEP=1; SHOTS=dir (default: docs/screenshots)
//
// Every PNG is taken at 1280x800 (deviceScaleFactor 1), cropped to what it shows, and
// recompressed by optipng or oxipng when one is installed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_KEY, ROOT, STATIC, W, api, assert, freePort, launch, listenHttp, newPage, openConsole, problems, run, shopHtml, sleep, startGigcxd, test } from './lib.mjs';

const SHOTS = path.resolve(process.env.SHOTS || path.join(ROOT, 'docs', 'screenshots'));
const VIEW = { width: 1280, height: 800 };
const root = "document.querySelector('gigcx-widget').shadowRoot";
const inWidget = (page, src, arg) => page.waitForFunction(([r, s, a]) => new Function('R', 'a', s)(eval(r), a), [root, src, arg]);
const written = [];

/** The first PNG optimiser found on PATH, as [command, args...] (the file is appended). */
const OPTIMISER = (() => {
  for (const [cmd, ...args] of [['oxipng', '-o', '4', '--strip', 'safe', '-q'], ['optipng', '-o2', '-strip', 'all', '-quiet']]) {
    try {
      execFileSync(cmd, ['--version'], { stdio: 'ignore' });
      return [cmd, ...args];
    } catch {}
  }
  return null;
})();

/** A screenshot of page into SHOTS/name.png: the viewport, or clip (a region), or upTo (the
 *  page's whole width from its top down to the bottom of that selector's box, plus pad px). */
async function shot(page, name, { clip = null, upTo = null, pad = 12, fullPage = false } = {}) {
  await page.mouse.move(0, 0); // no hover effects
  await sleep(150); // a frame for the last change to paint
  let region = clip;
  if (upTo) {
    const box = await page.locator(upTo).boundingBox();
    assert(box, `${name}: nothing at ${upTo}`);
    const width = await page.evaluate(() => document.documentElement.clientWidth);
    region = { x: 0, y: 0, width, height: Math.ceil(box.y + box.height + pad) };
    if (!fullPage) region.height = Math.min(region.height, VIEW.height);
  }
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, clip: region || undefined, fullPage, animations: 'disabled', caret: 'hide' });
  if (OPTIMISER) execFileSync(OPTIMISER[0], [...OPTIMISER.slice(1), file], { stdio: 'ignore' });
  written.push(file);
}

/** A customer on the shop page with the widget open. */
async function customer(browser, shop, name) {
  const { ctx, page } = await newPage(browser, name, { viewport: VIEW });
  await page.goto(`${shop}/shop.html`);
  await page.waitForSelector(`${W}[data-ready="true"]`);
  await page.click(`${W} button.l`);
  return { ctx, page };
}
const customerSays = async (page, text) => {
  await page.fill(`${W} .f textarea`, text);
  await page.press(`${W} .f textarea`, 'Enter');
  await inWidget(page, "return [...R.querySelectorAll('.g li.me p')].some((p) => p.textContent === a)", text);
};
/** The expert (or staff) writes in a chat; the customer's widget shows it. */
const expertSays = async (ex, task, text, cu) => {
  await ex.fill(`#in-${task}`, text);
  await ex.press(`#in-${task}`, 'Enter');
  if (cu) await inWidget(cu, "return [...R.querySelectorAll('.g li:not(.me) p')].some((p) => p.textContent === a)", text);
};
const available = async (page) => {
  await page.check('#available');
  await page.waitForSelector('body[data-presence="available"]');
};

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const { origin: API } = await startGigcxd('shots');

  // The brand's shop on its own origin, with the widget key of the brand's (rotated) keys.
  const demo = fs.readFileSync(path.join(STATIC, 'demo', 'index.html'), 'utf8');
  let widgetKey = 'gxw_demo';
  const shopPort = await freePort();
  const shop = `http://127.0.0.1:${shopPort}`;
  await listenHttp((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    if (p === '/demo.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      return res.end(fs.readFileSync(path.join(STATIC, 'demo', 'demo.css')));
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(shopHtml(API, demo).replace('data-widget-key="gxw_demo"', `data-widget-key="${widgetKey}"`));
  }, shopPort, '127.0.0.1');

  const canned = [
    { title: 'Refund issued', text: 'I have issued the refund: it reaches your card within 5 working days.' },
    { title: 'Voucher', text: 'As an apology, here is 10% off your next order: THANKS10.' },
    { title: 'Tracking', text: 'Your tracking number is in the shipping confirmation e-mail.' },
    { title: 'Goodbye', text: 'Is there anything else I can help you with today?' },
  ];
  const brand = await api(API, 'PUT', '/api/v1/brands/demo?rotate=1', {
    name: 'Demo Shop',
    pay: { amount: 4.5, currency: 'EUR' },
    widget_origins: [shop],
    topics: { billing: { tier: 1 }, shipping: { tier: 1 }, refunds: { tier: 2, sla_s: 300 } },
    languages: ['en', 'de'],
    canned,
    widget: { prechat: true },
  });
  assert(brand.status === 200 && brand.data?.api_key, `brand: ${brand.status} ${JSON.stringify(brand.data)}`);
  widgetKey = brand.data.widget_key;
  const brandKey = brand.data.api_key;
  const newTask = async (id, name, topic, language, text) => {
    const t = await api(API, 'POST', '/api/v1/tasks', { customer: { id, name }, topic, language, text }, brandKey);
    assert(t.status === 201, `task for ${name}: ${t.status} ${JSON.stringify(t.data)}`);
    return t.data.task;
  };
  const token = async (sub, role, name) => {
    const t = await api(API, 'POST', '/api/v1/tokens', { sub, role, name, ...(role === 'staff' ? { brand: 'demo' } : {}) });
    assert(t.data?.token, `token for ${sub}: ${t.status}`);
    return t.data.token;
  };

  // Another brand with a customer waiting, so the dashboard's queues have more than one row.
  const nw = await api(API, 'PUT', '/api/v1/brands/northwind', { name: 'Northwind Books', pay: { amount: 6, currency: 'EUR' }, widget_origins: [], topics: { orders: { tier: 1 } }, languages: ['en'] });
  assert(nw.status === 201 && nw.data?.api_key, `brand northwind: ${nw.status}`);
  const nwTask = await api(API, 'POST', '/api/v1/tasks', { customer: { id: 'nw-88', name: 'Ruth Hale' }, topic: 'orders', language: 'en', text: 'My book order arrived without the second volume.' }, nw.data.api_key);
  assert(nwTask.status === 201, `northwind task: ${nwTask.status}`);

  const browser = await launch();

  // The dashboard first, so its sparklines have a minute of history.
  const { page: adm } = await newPage(browser, 'admin', { viewport: VIEW });
  await adm.goto(`${API}/admin/`);
  await adm.fill('#key', ADMIN_KEY);
  await adm.press('#key', 'Enter');
  await adm.waitForSelector('#live:not([hidden])');

  const { page: bob } = await openConsole(browser, API, await token('bob', 'expert', 'Bob Okafor'), 'bob', { viewport: VIEW });
  await available(bob);
  const { page: alice } = await openConsole(browser, API, await token('alice', 'expert', 'Alice Martin'), 'alice', { viewport: VIEW });

  // Two customers of the brand's own site wait for an expert (Alice's offers show how long).
  const marco = await newTask('c-2291', 'Marco Rossi', 'shipping', 'en', 'Can I still change the delivery address of order #10511?');
  const waitSince = Date.now();

  // Earlier in the day: a chat Bob resolved.
  const tom = await newTask('c-1007', 'Tom Becker', 'shipping', 'en', 'Where is my parcel? Order #10477 was due yesterday.');
  await bob.click(`.offer[data-task="${tom}"] .claim`);
  await bob.waitForSelector(`#panel-${tom}:not([hidden])`);
  await expertSays(bob, tom, 'It is out for delivery today, before 6 pm.');
  await bob.click(`#panel-${tom} .act-resolve`);
  await bob.fill(`#resolve-${tom}`, 'Parcel out for delivery');
  await bob.click(`#resolve-form-${tom} button[type="submit"]`);
  await bob.waitForSelector(`#panel-${tom}[data-status="resolved"]`);
  await bob.click(`#panel-${tom} button:text-is("Close tab")`);
  const lena = await newTask('c-2304', 'Lena Vogel', 'billing', 'de', 'Auf meiner Rechnung steht die falsche Adresse. Können Sie das korrigieren?');

  // Dana, on the shop, asks about a double charge: Bob takes it, then hands it on.
  const { page: dana } = await customer(browser, shop, 'dana');
  await dana.fill(`${W} .f textarea`, 'Hi! My order #10492 was billed twice.');
  await dana.press(`${W} .f textarea`, 'Enter');
  await dana.fill(`${W} input[name="name"]`, 'Dana Reyes');
  await dana.fill(`${W} input[name="email"]`, 'dana@example.com');
  await dana.click(`${W} .r .go`);
  const stored = () => JSON.parse(localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('gigcx.widget.'))) || '{}').task;
  await dana.waitForFunction(stored);
  const task = await dana.evaluate(stored);
  await bob.click(`.offer[data-task="${task}"] .claim`);
  await bob.waitForSelector(`#panel-${task}:not([hidden])`);
  await inWidget(dana, "return /Bob/.test(R.querySelector('.s').textContent)");
  await expertSays(bob, task, 'Hi Dana, I am Bob. Let me look at order #10492.', dana);
  await expertSays(bob, task, 'I see both charges. Refunds are done by our certified team, so I am passing you on.', dana);
  await bob.click(`#panel-${task} .act-release`);
  await bob.fill(`#release-${task}`, 'Double charge: needs a refund');
  await bob.click(`#release-form-${task} button[type="submit"]`);
  await inWidget(dana, "return [...R.querySelectorAll('.g .sys')].some((li) => /has left/.test(li.textContent))");

  // Alice comes online and takes Dana's chat.
  await available(alice);
  await alice.click(`.offer[data-task="${task}"] .claim`);
  await alice.waitForSelector(`#panel-${task}:not([hidden])`);
  await inWidget(dana, "return /Alice/.test(R.querySelector('.s').textContent)");
  await expertSays(alice, task, 'Hi Dana, Alice here. I can see two charges of €49.00 for the oak desk lamp.', dana);
  await customerSays(dana, 'Yes, that is the one. Can you refund one of them?');
  await alice.waitForFunction((t) => /refund one of them/.test(document.querySelector(`#panel-${t}`).textContent), task);

  await test('widget-chat.png: the widget on the shop mid-conversation, with its handover lines', async () => {
    await alice.fill(`#in-${task}`, 'Sure');
    await alice.type(`#in-${task}`, ','); // typing…
    await inWidget(dana, "return /typing/.test(R.querySelector('.y').textContent)");
    await shot(dana, 'widget-chat', { clip: { x: 520, y: 0, width: 760, height: 800 } });
    await alice.fill(`#in-${task}`, '');
  });
  await expertSays(alice, task, canned[0].text, dana);
  await customerSays(dana, 'Great! Will I get an e-mail about it?');
  await alice.waitForFunction((t) => /an e-mail about it/.test(document.querySelector(`#panel-${t}`).textContent), task);
  await expertSays(alice, task, 'Yes, the shop confirms it by e-mail within the hour.', dana);
  await alice.waitForSelector(`.offer[data-task="${marco}"]`);
  await alice.waitForSelector(`.offer[data-task="${lena}"]`);

  // Sam, the brand's staff, watches the chat and whispers to Alice.
  const { page: sam } = await openConsole(browser, API, await token('sam', 'staff', 'Sam Keller'), 'sam', { viewport: VIEW });
  await test('staff-console.png: watching a live chat, with a whisper', async () => {
    await sam.waitForSelector(`#live-pane:not([hidden]) .live-item[data-task="${task}"]`);
    await sam.click(`.live-item[data-task="${task}"] .live-watch`);
    await sam.waitForFunction(() => /billed twice/.test(document.querySelector('#watch-log').textContent));
    await sam.fill('#whisper-text', 'Dana is a regular: offer her the 10% voucher too.');
    await sam.press('#whisper-text', 'Enter');
    await sam.waitForSelector('#watch-log .wmsg.whisper');
    await alice.waitForSelector(`#panel-${task} .msg.whisper`);
    await sam.locator('#whisper-text').blur();
    await shot(sam, 'staff-console', { upTo: '#live-pane', pad: 6 });
  });

  await test('expert-console.png: two offers waiting, a chat with a whisper, the canned picker', async () => {
    await sleep(Math.max(0, waitSince + 62000 - Date.now())); // the customers have waited a minute
    await alice.click(`#in-${task}`);
    await alice.type(`#in-${task}`, '/');
    const pick = `#panel-${task} .canned-pick`;
    await alice.waitForSelector(`${pick}:not([hidden]) .canned-opt`);
    await alice.press(`#in-${task}`, 'ArrowDown'); // the voucher
    await shot(alice, 'expert-console');
    await alice.press(`#in-${task}`, 'Enter'); // inserts the voucher
    await alice.press(`#in-${task}`, 'Enter'); // sends it
    await inWidget(dana, "return /THANKS10/.test(R.querySelector('.g').textContent)");
    await customerSays(dana, 'That is very kind, thank you!');
  });

  await test('admin-dashboard.png: live figures, sparklines and the queues', async () => {
    // a busy moment: two more chats Bob takes and answers
    for (const [id, name, text] of [['c-2310', 'Priya Shah', 'Is the felt desk pad available in grey?'], ['c-2312', 'Jonas Weber', 'Can I pay by invoice?']]) {
      const t = await newTask(id, name, 'billing', 'en', text);
      await bob.click(`.offer[data-task="${t}"] .claim`);
      await bob.waitForSelector(`#panel-${t}:not([hidden])`);
      await expertSays(bob, t, `Hello ${name.split(' ')[0]}, happy to help!`);
    }
    const was = await adm.textContent('#updated');
    await adm.waitForFunction((w) => document.querySelector('#updated').textContent !== w, was);
    await shot(adm, 'admin-dashboard', { upTo: '#live' });
  });

  await test('widget-offline.png: outside business hours, the offline form', async () => {
    // local time ~21:00 at the offset chosen, against hours of 9 to 17 every day
    const off = ((21 - new Date().getUTCHours() + 36) % 24) - 12;
    const hours = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, [['09:00', '17:00']]]));
    const utcOffset = `${off < 0 ? '-' : '+'}${String(Math.abs(off)).padStart(2, '0')}:00`;
    const p = await api(API, 'PATCH', '/api/v1/brands/demo', { business_hours: { utc_offset: utcOffset, ...hours } });
    assert(p.status === 200, `business hours: ${p.status} ${JSON.stringify(p.data)}`);
    const { page: olga } = await customer(browser, shop, 'olga');
    await olga.fill(`${W} .f textarea`, 'Do you ship to Norway? I would like to order six desk pads.');
    await olga.press(`${W} .f textarea`, 'Enter');
    await olga.waitForSelector(`${W}[data-view="offline"]`);
    await inWidget(olga, "return /closed/.test(R.querySelector('.r strong').textContent)");
    await olga.fill(`${W} input[name="name"]`, 'Olga Berg');
    await olga.fill(`${W} input[name="email"]`, 'olga.berg@example.com');
    await olga.locator(`${W} input[name="email"]`).blur();
    await shot(olga, 'widget-offline', { clip: { x: 520, y: 0, width: 760, height: 800 } });
    await olga.click(`${W} .r .go`);
    await olga.waitForSelector(`${W}[data-view="sent"]`);
  });

  await test('admin-tasks.png: the task list of the brand, a transcript open', async () => {
    await adm.click('#nav a[data-section="tasks"]');
    await adm.fill('#f-brand', 'demo');
    await adm.click('#tasks-filter button[type="submit"]');
    await adm.waitForSelector(`tr[data-task="${task}"]`);
    await adm.click(`tr[data-task="${task}"] button`);
    await adm.waitForFunction(() => /very kind/.test(document.querySelector('#transcript').textContent));
    await shot(adm, 'admin-tasks', { fullPage: true, upTo: '#task-view' });
  });

  await test('widget-rating.png: Alice resolves the chat; Dana rates it', async () => {
    await alice.bringToFront();
    await alice.click(`#panel-${task} .act-resolve`);
    await alice.fill(`#resolve-${task}`, 'Double charge refunded, voucher given');
    await alice.click(`#resolve-form-${task} button[type="submit"]`);
    await dana.waitForSelector(`${W}[data-view="rate"]`);
    await dana.click(`${W} .st button[data-score="5"]`);
    await dana.fill(`${W} .r textarea`, 'Quick and friendly, thanks Alice!');
    await dana.locator(`${W} .r textarea`).blur();
    await shot(dana, 'widget-rating', { clip: { x: 520, y: 0, width: 760, height: 800 } });
  });

  await test('expert-my-work.png: Alice opens My work and the rated chat\'s transcript', async () => {
    await alice.bringToFront();
    await alice.waitForTimeout(500); // the rating reaches the task hash
    await alice.click('#work-toggle');
    await alice.waitForSelector(`#work-rows tr[data-task="${task}"]`);
    await alice.click(`#work-rows tr[data-task="${task}"] .work-open`);
    await alice.waitForFunction(() => /voucher|refund/i.test(document.querySelector('#work-log').textContent));
    await shot(alice, 'expert-my-work', { upTo: '#work-panel' });
  });

  const left = problems.filter((p) => !/WebSocket/.test(p));
  assert(!left.length, left.join('; '));
  return () => {
    for (const f of written) console.log(`${path.relative(ROOT, f)}  ${(fs.statSync(f).size / 1024).toFixed(0)} KB`);
    if (!OPTIMISER) console.log('(no optipng or oxipng on PATH: PNGs written as Chromium made them)');
  };
}

run('screenshots.mjs', 150000, main);
