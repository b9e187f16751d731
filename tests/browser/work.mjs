// Chromium test of "My work" in the console (work.list): an expert resolves a widget chat,
// the customer rates it, the expert releases another; My work lists both for today with
// outcome, rating and pay, totals for the day, and a row's transcript read-only. A staff
// console's My work has no pay at all.
//
//   cd tests/browser && npm ci && node work.mjs
//   env: GIGCXD=path/to/gigcxd (default: newest ../../build*/server/gigcxd)
import { W, api, widgetChat, assert, launch, makeExpert, newPage, openConsole, problems, run, startGigcxd, startShop, test } from './lib.mjs';

const TOTAL_MS = 60000;
const root = "document.querySelector('gigcx-widget').shadowRoot";


async function main() {
  const { origin: API } = await startGigcxd('work');
  const shop = await startShop();
  const r = await api(API, 'PUT', '/api/v1/brands/demo', { name: 'Demo Shop', pay: { amount: 4, currency: 'EUR' }, widget_origins: [shop], topics: { billing: { tier: 1 } } });
  assert(r.status === 200, `brand: ${r.status} ${JSON.stringify(r.data)}`);
  const tok = await makeExpert(API, 'wanda', 'Wanda Expert');
  const browser = await launch();
  const { page: ex } = await openConsole(browser, API, tok, 'wanda');
  await ex.check('#available');
  await ex.waitForSelector('body[data-presence="available"]');

  const one = await widgetChat(browser, shop, API, 'customer-1', 'My parcel never came.');
  await ex.click(`.offer[data-task="${one.task}"] .claim`);
  await ex.waitForSelector(`#panel-${one.task}:not([hidden])`);
  await ex.fill(`#in-${one.task}`, 'A new one is on its way.');
  await ex.press(`#in-${one.task}`, 'Enter');
  await one.page.waitForFunction((r) => eval(r).textContent.includes('on its way'), root);
  await ex.click(`#panel-${one.task} .act-resolve`);
  await ex.click(`#resolve-form-${one.task} button[type="submit"]`);
  await one.page.click(`${W} .st button[data-score="4"]`, { timeout: 8000 });
  await one.page.click(`${W} .r .go`);
  await one.page.waitForFunction((r) => /Thank you for your feedback/.test(eval(r).querySelector('.r').textContent), root);

  const two = await widgetChat(browser, shop, API, 'customer-2', 'Wrong size delivered.');
  await ex.click(`.offer[data-task="${two.task}"] .claim`);
  await ex.waitForSelector(`#panel-${two.task}:not([hidden])`);
  await ex.click(`#panel-${two.task} .act-release`);
  await ex.click(`#release-form-${two.task} button[type="submit"]`);
  await ex.waitForFunction((t) => /released|queue/i.test(document.querySelector(`#panel-${t}`)?.textContent || 'gone'), two.task);

  await test('my work: today lists the resolved chat with its rating and pay, and the released one', async () => {
    await ex.click('#work-toggle');
    await ex.waitForSelector(`#work-rows tr[data-task="${one.task}"]`);
    await ex.waitForSelector(`#work-rows tr[data-task="${two.task}"]`);
    const row1 = await ex.textContent(`#work-rows tr[data-task="${one.task}"]`);
    assert(/Resolved/.test(row1) && /★★★★☆/.test(row1) && /4(\.00)?/.test(row1) && /billing/.test(row1), `resolved row: ${row1}`);
    const pay1 = await ex.textContent(`#work-rows tr[data-task="${one.task}"] .work-pay`);
    assert(/4/.test(pay1) && /€|EUR/.test(pay1), `pay: ${pay1}`);
    const row2 = await ex.textContent(`#work-rows tr[data-task="${two.task}"]`);
    assert(/Released/.test(row2) && !/★/.test(row2), `released row: ${row2}`);
    assert((await ex.textContent(`#work-rows tr[data-task="${two.task}"] .work-pay`)) === '—', 'a released chat shows pay');
    const totals = await ex.textContent('#work-totals');
    assert(/2 chats/.test(totals) && /1 resolved/.test(totals) && /4\.0\/5/.test(totals) && /4/.test(totals), `totals: ${totals}`);
    const head = await ex.textContent('#work-head');
    assert(/Pay/.test(head), `columns: ${head}`);
  });

  await test('my work: a row opens its transcript read-only; this week lists the same chats', async () => {
    await ex.click(`#work-rows tr[data-task="${one.task}"] .work-open`);
    await ex.waitForFunction(() => /My parcel never came/.test(document.querySelector('#work-log').textContent) && /on its way/.test(document.querySelector('#work-log').textContent));
    assert(!(await ex.$('#work-transcript textarea, #work-transcript input')), 'the transcript has a composer');
    await ex.click('#work-week');
    await ex.waitForFunction(() => document.querySelector('#work-week').getAttribute('aria-pressed') === 'true' && /This week: 2 chats/.test(document.querySelector('#work-totals').textContent));
  });

  await test('my work: staff see no pay', async () => {
    const st = await api(API, 'POST', '/api/v1/tokens', { sub: 'sam', role: 'staff', brand: 'demo', name: 'Sam Staff' });
    const { page: sam } = await openConsole(browser, API, st.data.token, 'sam');
    await sam.click('#work-toggle');
    await sam.waitForFunction(() => /Today:/.test(document.querySelector('#work-totals').textContent));
    const text = (await sam.textContent('#work-panel')) || '';
    assert(!/Pay|pay|€/.test(text), `staff My work: ${text}`);
    assert(!problems.length, problems.join('; '));
  });
}

run('work', TOTAL_MS, main);
