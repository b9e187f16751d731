// Chromium test of canned responses and staff supervision in the console: "/" opens the
// picker (the brand's and one's own responses, filtered as typed; Enter inserts, Escape
// closes), a staff member of the brand watches a live chat and whispers to its expert (the
// expert sees the note marked internal; the customer's widget never gets it), takes the
// chat over (the expert's tab closes with the reason, the customer is told), and reassigns
// another expert's chat to the queue (the expert's tab says so; no offer back to them).
//
//   cd tests/browser && npm ci && node staff.mjs
//   env: GIGCXD=path/to/gigcxd (default: newest ../../build*/server/gigcxd)
import { W, api, assert, launch, makeExpert, newPage, openConsole, problems, run, sleep, startGigcxd, startShop, test } from './lib.mjs';

const TOTAL_MS = 60000;
const root = "document.querySelector('gigcx-widget').shadowRoot";
const WHISPER = 'Internal: offer the 10% voucher';
const widgetText = (page) => page.evaluate((r) => eval(r).textContent, root);
/** Awaits p, naming the step that did not happen. */
async function step(what, p) {
  try {
    return await p;
  } catch (e) {
    throw new Error(`${what}: ${e.message.split('\n')[0]}`);
  }
}

async function main() {
  const { origin: API } = await startGigcxd('staff');
  const shop = await startShop();
  const canned = [{ title: 'Refund policy', text: 'Refunds reach your card within 5 working days.' }];
  const r = await api(API, 'PUT', '/api/v1/brands/demo', { name: 'Demo Shop', pay: { amount: 4, currency: 'EUR' }, widget_origins: [shop], topics: { billing: { tier: 1 } }, canned });
  assert(r.status === 200, `brand: ${r.status} ${JSON.stringify(r.data)}`);
  const beaToken = await makeExpert(API, 'bea', 'Bea Expert');
  const st = await api(API, 'POST', '/api/v1/tokens', { sub: 'sam', role: 'staff', brand: 'demo', name: 'Sam Staff' });
  assert(st.data?.token, `staff token: ${st.status}`);
  const browser = await launch();

  const { page: ex } = await openConsole(browser, API, beaToken, 'bea');
  await ex.check('#available');
  await ex.waitForSelector('body[data-presence="available"]');

  // the customer, with every frame its widget receives recorded
  const { page: cu } = await newPage(browser, 'customer');
  const got = [];
  cu.on('websocket', (ws) => ws.on('framereceived', (f) => got.push(String(f.payload))));
  await cu.goto(`${shop}/shop.html?api=${encodeURIComponent(API)}`);
  await cu.waitForSelector(`${W}[data-ready="true"]`);
  await cu.click(`${W} button.l`);
  await cu.fill(`${W} textarea`, 'My parcel never came.');
  await cu.press(`${W} textarea`, 'Enter');
  await cu.waitForFunction(() => JSON.parse(localStorage.getItem('gigcx.widget.gxw_demo') || '{}').task);
  const task = await cu.evaluate(() => JSON.parse(localStorage.getItem('gigcx.widget.gxw_demo')).task);
  await ex.click(`.offer[data-task="${task}"] .claim`);
  await ex.waitForSelector(`#panel-${task}:not([hidden])`);
  const input = `#in-${task}`;
  const pick = `#panel-${task} .canned-pick`;

  await test('canned: "/" opens the picker filtered as typed, Escape closes it, Enter inserts the brand’s text', async () => {
    await ex.fill(input, '');
    await ex.type(input, '/');
    await ex.waitForSelector(`${pick}:not([hidden]) .canned-opt`);
    await ex.press(input, 'Escape');
    await ex.waitForSelector(pick, { state: 'hidden' });
    await ex.fill(input, '');
    await ex.type(input, '/5 working');
    await ex.waitForFunction((sel) => /Refund policy/.test(document.querySelector(`${sel} .canned-opt.on`)?.textContent || ''), pick);
    await ex.press(input, 'Enter');
    assert((await ex.inputValue(input)) === canned[0].text, `inserted ${await ex.inputValue(input)}`);
    await ex.press(input, 'Enter'); // now it is sent
    await cu.waitForFunction(([r, t]) => eval(r).textContent.includes(t), [root, canned[0].text]);
  });

  await test('canned: a personal one added in the Manage panel is offered too', async () => {
    await ex.click('#canned-toggle');
    await ex.fill('#canned-title', 'Tracking');
    await ex.fill('#canned-body', 'Your tracking number is in the shipping e-mail.');
    await ex.click('#canned-form button[type="submit"]');
    await ex.waitForSelector('#canned-mine li');
    await ex.fill(input, '');
    await ex.type(input, '/track');
    await ex.waitForFunction((sel) => /Tracking/.test(document.querySelector(`${sel} .canned-opt.on`)?.textContent || ''), pick);
    const rows = await ex.$$eval(`${pick} .canned-opt`, (els) => els.length);
    assert(rows === 1, `${rows} rows for "track"`);
    await ex.press(input, 'Enter');
    assert(/tracking number/.test(await ex.inputValue(input)), 'the personal response was not inserted');
    await ex.fill(input, '');
  });

  const { page: sam } = await openConsole(browser, API, st.data.token, 'sam');
  await test('staff: the live chat is listed; watching shows it; a whisper reaches the expert, marked internal', async () => {
    await sam.waitForSelector(`#live-pane:not([hidden]) .live-item[data-task="${task}"]`);
    await sam.click(`.live-item[data-task="${task}"] .live-watch`);
    await sam.waitForFunction(() => /My parcel never came/.test(document.querySelector('#watch-log').textContent));
    await sam.fill('#whisper-text', WHISPER);
    await sam.press('#whisper-text', 'Enter');
    await ex.waitForFunction(([t, w]) => [...document.querySelectorAll(`#panel-${t} .msg.whisper`)].some((li) => li.textContent.includes(w)), [task, WHISPER]);
    await sam.waitForFunction((w) => [...document.querySelectorAll('#watch-log .wmsg.whisper')].some((li) => li.textContent.includes(w)), WHISPER);
  });

  await test('staff: a customer message reaches the watcher live; the customer never gets the whisper', async () => {
    await cu.fill(`${W} textarea`, 'Any news?');
    await cu.press(`${W} textarea`, 'Enter');
    await sam.waitForFunction(() => /Any news\?/.test(document.querySelector('#watch-log').textContent));
    await sleep(300);
    assert(!got.some((f) => f.includes('voucher') || f.includes('chat.whisper')), 'a whisper reached the widget');
    assert(!(await widgetText(cu)).includes('voucher'), 'the widget shows the whisper');
  });

  await test('staff: take over: the chat opens in the staff tab, the expert’s closes with the reason, the customer is told', async () => {
    await sam.click('#takeover');
    await sam.waitForSelector(`#panel-${task}:not([hidden])`);
    await ex.waitForSelector(`#tab-${task}`, { state: 'detached' });
    await step('the expert is told', ex.waitForFunction(() => /took over/.test(document.querySelector('#banner-text').textContent)));
    await step('the customer is told', cu.waitForFunction((r) => /passing you to our team/.test(eval(r).textContent) && /Sam/.test(eval(r).textContent), root));
    await sam.fill(`#in-${task}`, 'Hi, Sam here. I will sort this out.');
    await sam.press(`#in-${task}`, 'Enter');
    await step('the customer gets the staff message', cu.waitForFunction((r) => eval(r).textContent.includes('Sam here'), root));
    assert(!got.some((f) => f.includes('voucher')), 'a whisper reached the widget');
  });

  await test('staff: reassign sends an expert’s chat back to the queue; the expert’s tab says so and the offer does not come back to them', async () => {
    const { page: cu2 } = await newPage(browser, 'customer-2');
    await cu2.goto(`${shop}/shop.html?api=${encodeURIComponent(API)}`);
    await cu2.waitForSelector(`${W}[data-ready="true"]`);
    await cu2.click(`${W} button.l`);
    await cu2.fill(`${W} textarea`, 'Wrong size delivered.');
    await cu2.press(`${W} textarea`, 'Enter');
    await cu2.waitForFunction(() => JSON.parse(localStorage.getItem('gigcx.widget.gxw_demo') || '{}').task);
    const task2 = await cu2.evaluate(() => JSON.parse(localStorage.getItem('gigcx.widget.gxw_demo')).task);
    await ex.click(`.offer[data-task="${task2}"] .claim`);
    await ex.waitForSelector(`#panel-${task2}:not([hidden])`);
    await sam.click('#live-refresh');
    await sam.click(`.live-item[data-task="${task2}"] .live-watch`);
    await step('watching the second chat', sam.waitForFunction(() => /Wrong size/.test(document.querySelector('#watch-log').textContent)));
    await sam.click('#reassign');
    await step('the expert’s tab says so', ex.waitForFunction((t) => /Reassigned/.test(document.querySelector(`#panel-${t}`).textContent), task2));
    await sleep(800);
    assert(!(await ex.$(`.offer[data-task="${task2}"]`)), 'the reassigned chat was offered to the same expert again');
    assert(!problems.length, problems.join('; '));
  });
}

run('staff', TOTAL_MS, main);
