// gigcx admin dashboard: live figures (polled every 2 s, sparklines of the last 5 minutes),
// brands (create through PUT, edit through PATCH, business hours, offline messages, the widget's
// pre-chat form, canned responses, webhook deliveries), experts (live state,
// deactivate/reactivate/delete, console invitations), the task list (filters, search) and
// a task's transcript.
// Endpoints that a server does not have yet (404) are shown as "not available".
import { $, h } from '../lib/dom.js';

const KEY_STORE = 'gigcx.admin.key';
const POLL_MS = 2000;
const WINDOW_POINTS = 150; // 5 minutes at one point per 2 s
const SVGNS = 'http://www.w3.org/2000/svg';

let adminKey = sessionStorage.getItem(KEY_STORE) || '';

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body, key = adminKey) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 8000);
  let r;
  try {
    r = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: ctl.signal,
      cache: 'no-store',
    });
  } catch (e) {
    throw new HttpError(0, 'network', e.name === 'AbortError' ? 'the server did not answer in time' : 'the server cannot be reached');
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = await r.json();
  } catch {}
  if (!r.ok) throw new HttpError(r.status, data?.error?.code || String(r.status), data?.error?.message || r.statusText);
  return { status: r.status, data };
}

/* ------------------------------------------------------------- sign in */

function showSignIn(error = '') {
  stopPolling();
  for (const s of document.querySelectorAll('.section')) s.hidden = true;
  $('nav').hidden = true;
  $('signout').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error;
  $('updated').textContent = '';
  $('key').focus();
}

async function signIn(key) {
  adminKey = key.trim();
  if (!adminKey) return;
  // Check the key on the stats route (a 404 there only means this server has no live
  // figures yet: the key is then checked by the first thing that needs it).
  try {
    await api('GET', '/api/v1/admin/stats');
  } catch (e) {
    if (e.status === 401) {
      adminKey = '';
      $('signin-error').textContent = 'That admin key was refused.';
      return;
    }
    if (e.status === 0) {
      $('signin-error').textContent = `Cannot check the key: ${e.message}.`;
      return;
    }
  }
  sessionStorage.setItem(KEY_STORE, adminKey);
  $('key').value = '';
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('signout').hidden = false;
  route();
  startPolling();
}

function signOut() {
  sessionStorage.removeItem(KEY_STORE);
  adminKey = '';
  showSignIn('');
}

function onUnauthorized() {
  sessionStorage.removeItem(KEY_STORE);
  adminKey = '';
  showSignIn('The admin key is no longer accepted. Please sign in again.');
}

/* ------------------------------------------------------------- routing */

const SECTIONS = ['live', 'brands', 'experts', 'tasks'];
function route() {
  if (!adminKey) return;
  const want = location.hash.slice(1);
  const name = SECTIONS.includes(want) ? want : 'live';
  for (const s of SECTIONS) $(s).hidden = s !== name;
  for (const a of $('nav').querySelectorAll('a')) {
    if (a.dataset.section === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (name === 'brands') loadBrands();
  if (name === 'experts') loadExperts();
  if (name === 'tasks' && !$('f-brand').value) loadBrandChoices();
}

/* The task list's brand choices (and a first brand to list), quietly: the field is typed too. */
async function loadBrandChoices() {
  try {
    const { data } = await api('GET', '/api/v1/brands');
    const list = data?.brands || [];
    $('f-brands').replaceChildren(...list.map((b) => h('option', { value: b.brand })));
    if (!$('f-brand').value && list.length) $('f-brand').value = list[0].brand;
  } catch {}
}
window.addEventListener('hashchange', () => {
  route();
  $('main').focus();
});

/* -------------------------------------------------------------- live */

const series = new Map(); // name -> [{t, v}]
let prev = null; // previous stats (for rates)
let pollTimer = 0;
let polling = false;
let statsMissing = false;

function push(name, v) {
  let s = series.get(name);
  if (!s) series.set(name, (s = []));
  s.push(v == null || !Number.isFinite(v) ? null : v);
  while (s.length > WINDOW_POINTS) s.shift();
}

function sparkline(values, label) {
  const svg = document.createElementNS(SVGNS, 'svg');
  svg.setAttribute('viewBox', '0 0 100 28');
  svg.setAttribute('preserveAspectRatio', 'none');
  const nums = values.filter((v) => v != null);
  const max = Math.max(1e-9, ...nums);
  const min = Math.min(0, ...nums);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', nums.length ? `${label}, last ${Math.round((values.length * POLL_MS) / 60000) || 1} min: low ${fmtNum(Math.min(...nums))}, high ${fmtNum(Math.max(...nums))}` : `${label}: no data yet`);
  if (nums.length < 2) return svg;
  // Until 5 minutes are collected, what there is spans the whole width.
  const step = 100 / (Math.max(2, values.length) - 1);
  const x0 = 0;
  const pts = [];
  values.forEach((v, i) => {
    if (v == null) return;
    const y = 27 - ((v - min) / (max - min || 1)) * 25;
    pts.push(`${(x0 + i * step).toFixed(1)},${y.toFixed(1)}`);
  });
  const area = document.createElementNS(SVGNS, 'polygon');
  area.setAttribute('class', 'area');
  area.setAttribute('points', `${pts[0].split(',')[0]},28 ${pts.join(' ')} ${pts[pts.length - 1].split(',')[0]},28`);
  const line = document.createElementNS(SVGNS, 'polyline');
  line.setAttribute('points', pts.join(' '));
  svg.append(area, line);
  return svg;
}

function fmtNum(v) {
  if (v == null || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
}
function fmtMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600000) return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
  return `${(ms / 3600000).toFixed(1)} h`;
}

function get(obj, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function setMetric(name, value, text) {
  for (const o of document.querySelectorAll(`output[data-metric="${name}"]`)) {
    o.textContent = text ?? fmtNum(value);
    o.dataset.value = value == null ? '' : String(value);
  }
}

function drawSpark(name, label) {
  for (const el of document.querySelectorAll(`.spark[data-series="${name}"]`)) el.replaceChildren(sparkline(series.get(name) || [], label));
}

const COUNTERS = ['tasks_created', 'offers', 'claims_won', 'claims_lost', 'messages'];

function render(stats) {
  const gauges = ['experts.available', 'experts.busy', 'experts.away', 'connections.expert', 'connections.customer', 'connections.staff'];
  for (const g of gauges) {
    const v = Number(get(stats, g) ?? NaN);
    push(g, v);
    setMetric(g, Number.isFinite(v) ? v : null);
    drawSpark(g, g.replace('.', ' '));
  }
  for (const p of ['p50', 'p99']) {
    const v = Number(stats.wait_ms?.[p] ?? NaN);
    push(`wait_ms.${p}`, v);
    setMetric(`wait_ms.${p}`, Number.isFinite(v) ? v : null, fmtMs(v));
    drawSpark(`wait_ms.${p}`, `wait ${p}`);
  }
  for (const c of COUNTERS) {
    const now = Number(stats.counters?.[c]);
    setMetric(`counters.${c}`, Number.isFinite(now) ? now : null);
    let rate = null;
    if (prev && Number.isFinite(now)) {
      const before = Number(prev.counters?.[c]);
      const dt = (stats.ts - prev.ts) / 1000;
      if (Number.isFinite(before) && dt > 0 && now >= before) rate = (now - before) / dt; // a drop means a restart: skip
    }
    if (c !== 'claims_lost') {
      push(`rate.${c}`, rate);
      setMetric(`rate.${c}`, rate, rate == null ? '–' : rate.toFixed(rate >= 10 ? 0 : 1));
      drawSpark(`rate.${c}`, `${c.replace('_', ' ')} per second`);
    }
  }
  renderQueues(stats.brands || []);
  prev = stats;
}

function renderQueues(brands) {
  const body = $('queues');
  const rows = brands.map((b) => {
    const key = `queue.${b.brand}`;
    push(key, Number(b.queued));
    const spark = h('span', { class: 'spark' });
    spark.append(sparkline(series.get(key), `${b.brand} queued`));
    const cell = h('td', {}, spark);
    const wait = Number(b.oldest_wait_ms);
    return h('tr', { 'data-brand': b.brand },
      h('th', { scope: 'row' }, b.name || b.brand, b.name && b.name !== b.brand ? h('small', { class: 'help', text: ` ${b.brand}` }) : null),
      h('td', { class: 'num', 'data-metric': 'queued', text: fmtNum(Number(b.queued)) }),
      cell,
      h('td', { class: 'num', text: fmtNum(Number(b.escalated)) }),
      h('td', { class: `num${wait > 120000 ? ' warn' : ''}`, text: b.queued || b.escalated ? fmtMs(wait) : '–' }));
  });
  body.replaceChildren(...rows);
  $('queues-empty').hidden = rows.length > 0;
}

async function poll() {
  if (!adminKey || polling) return;
  polling = true;
  try {
    const { data } = await api('GET', '/api/v1/admin/stats');
    statsMissing = false;
    $('live-error').hidden = true;
    if (data && typeof data === 'object') {
      if (!data.ts) data.ts = Date.now();
      render(data);
      $('updated').textContent = `Updated ${new Date(data.ts).toLocaleTimeString()}`;
      document.body.dataset.stats = 'ok';
    }
  } catch (e) {
    if (e.status === 401) {
      polling = false;
      onUnauthorized();
      return;
    }
    const box = $('live-error');
    box.hidden = false;
    if (e.status === 404 || e.status === 405) {
      statsMissing = true;
      box.textContent = 'Live figures are not available on this server (no /api/v1/admin/stats).';
      $('updated').textContent = 'Live figures not available';
      document.body.dataset.stats = 'missing';
    } else {
      box.textContent = `Could not refresh: ${e.message}. Retrying…`;
      $('updated').textContent = 'Refresh failed; retrying';
      document.body.dataset.stats = 'error';
    }
  } finally {
    polling = false;
  }
  // A missing endpoint is asked again rarely, not every 2 s.
  if (adminKey) pollTimer = setTimeout(poll, statsMissing ? 30000 : POLL_MS);
}

function startPolling() {
  stopPolling();
  poll();
}
function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = 0;
}

/* ------------------------------------------------------------ brands */

function lines(text) {
  return text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}
function commaList(text) {
  return text.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
}

async function loadBrands() {
  const err = $('brands-error');
  try {
    const { data } = await api('GET', '/api/v1/brands');
    err.hidden = true;
    const list = data?.brands || [];
    $('brand-list').replaceChildren(
      ...list.map((b) =>
        h('tr', { 'data-brand': b.brand },
          h('td', {}, h('code', { text: b.brand })),
          h('td', { text: b.name || '' }),
          h('td', { class: 'num', text: b.pay ? `${b.pay.amount} ${b.pay.currency}` : '' }),
          h('td', {}, h('code', { text: b.widget_key || '' })),
          h('td', { text: (b.widget_origins || []).join(', ') }),
          h('td', { class: 'actions' },
            h('button', { type: 'button', class: 'secondary', text: 'Edit', 'aria-label': `Edit brand ${b.brand}`, onclick: () => openBrand(b.brand, b) }),
            h('button', { type: 'button', class: 'secondary', text: 'Deliveries', 'aria-label': `Webhook deliveries of ${b.brand}`, onclick: () => loadDeliveries(b.brand) }),
            h('button', { type: 'button', class: 'secondary', text: 'Tasks', 'aria-label': `Tasks of ${b.brand}`, onclick: () => showBrandTasks(b.brand) })))),
    );
    $('f-brands').replaceChildren(...list.map((b) => h('option', { value: b.brand })));
    if (!$('f-brand').value && list.length) $('f-brand').value = list[0].brand;
    if (!list.length) $('brand-list').replaceChildren(h('tr', {}, h('td', { colspan: '6', class: 'empty', text: 'No brands yet.' })));
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    err.hidden = false;
    err.textContent = e.status === 404 ? 'The brand list is not available on this server. You can still create or update a brand by id.' : `Could not load brands: ${e.message}`;
    $('brand-list').replaceChildren();
  }
}

function fillBrand(b) {
  $('b-id').value = b.brand || '';
  $('b-name').value = b.name || '';
  $('b-amount').value = b.pay?.amount ?? '';
  $('b-currency').value = b.pay?.currency || 'EUR';
  $('b-timeout').value = b.queue_timeout_s || '';
  $('b-origins').value = (b.widget_origins || []).join('\n');
  $('b-webhook').value = b.webhook_url || '';
  $('b-topics').value = Object.entries(b.topics || {}).map(([t, c]) => topicLine(t, c)).join('\n');
  $('b-languages').value = (b.languages || []).join(', ');
  $('b-on-timeout').value = b.on_timeout === 'escalate' ? 'escalate' : 'expire';
  $('b-wave-size').value = b.waves?.size ?? '';
  $('b-wave-interval').value = b.waves?.interval_s ?? '';
  fillHours(b.business_hours);
  $('b-offline-timeout').value = b.offline_timeout_s ?? '';
  $('b-prechat').checked = b.widget?.prechat === true;
  fillCanned(b.canned || []);
  loadedBrand = { id: b.brand, topics: Object.keys(b.topics || {}) };
  $('b-rotate').checked = false;
  $('apikey-box').hidden = true;
  $('brand-result').textContent = `Editing ${b.brand}.`;
  $('brand-result').className = 'result';
  $('b-name').focus();
}

/* The brand a save edits (PATCH) rather than creates (PUT), with the topics it had: a topic
 * taken off the list is sent as null, which is how a merge patch removes it. */
let loadedBrand = null;

function topicLine(t, c = {}) {
  const parts = [t];
  if (c.tier === 2) parts.push('tier=2');
  if (c.sla_s) parts.push(`sla=${c.sla_s}`);
  if (c.pay) parts.push(`pay=${c.pay.amount} ${c.pay.currency}`);
  return parts.join(' ');
}

/** One line of the topics box: "billing tier=2 sla=300 pay=7.50 EUR" (or the older "billing=2"). */
function parseTopic(line) {
  const old = line.match(/^([A-Za-z0-9_-]+)\s*[=:]\s*([12])$/);
  if (old) return [old[1], { tier: Number(old[2]) }];
  const name = line.split(/\s+/)[0];
  const c = {};
  const tier = line.match(/\btier\s*=\s*([12])\b/);
  const sla = line.match(/\bsla(?:_s)?\s*=\s*(\d+)\b/);
  const pay = line.match(/\bpay\s*=\s*([\d.]+)\s*([A-Za-z]{3})\b/);
  if (tier) c.tier = Number(tier[1]);
  if (sla) c.sla_s = Number(sla[1]);
  if (pay) c.pay = { amount: Number(pay[1]), currency: pay[2].toUpperCase() };
  return [name, c];
}

/* The brand's canned responses: rows of the brand form ({title, text} each), read back in
 * their order when the brand is saved. Input ids come from a counter, so they stay unique
 * however rows move; labels name the row's place ("Title of response 2"). */
let cannedSeq = 0;

function cannedRow({ title = '', text = '' } = {}) {
  const n = ++cannedSeq;
  const place = () => h('span', { class: 'vh', 'data-place': '' });
  const btn = (label, act, cls = 'secondary') => h('button', { type: 'button', class: cls, text: label, 'data-action': act, onclick: (ev) => cannedAction(ev.currentTarget, act) });
  // title, text, then the row's buttons: Tab goes from one field to the next
  return h('li', { class: 'canned-item' },
    h('label', { for: `cr${n}-title` }, 'Title', place()),
    h('input', { id: `cr${n}-title`, 'data-field': 'title', required: true, maxlength: '80', autocomplete: 'off', value: title }),
    h('label', { for: `cr${n}-text` }, 'Text', place()),
    h('textarea', { id: `cr${n}-text`, 'data-field': 'text', required: true, maxlength: '2000', rows: '3', text }),
    h('div', { class: 'canned-actions' }, btn('Move up', 'up'), btn('Move down', 'down'), btn('Delete', 'delete', 'danger')));
}

function fillCanned(list) {
  $('b-canned-list').replaceChildren(...list.map(cannedRow));
  renumberCanned();
}

/** The rows' places into their labels and buttons; Move up on the first and Move down on the
 *  last are aria-disabled (still focusable, so the focus stays when a row reaches an end). */
function renumberCanned() {
  const rows = [...$('b-canned-list').children];
  rows.forEach((li, i) => {
    for (const s of li.querySelectorAll('[data-place]')) s.textContent = ` of response ${i + 1}`;
    for (const b of li.querySelectorAll('button[data-action]')) {
      b.setAttribute('aria-label', `${b.textContent} response ${i + 1}`);
      const end = (b.dataset.action === 'up' && i === 0) || (b.dataset.action === 'down' && i === rows.length - 1);
      if (end) b.setAttribute('aria-disabled', 'true');
      else b.removeAttribute('aria-disabled');
    }
  });
  $('b-canned-empty').hidden = rows.length > 0;
}

function addCanned() {
  const li = cannedRow();
  $('b-canned-list').append(li);
  renumberCanned();
  li.querySelector('[data-field="title"]').focus();
}

function cannedAction(button, act) {
  const li = button.closest('li');
  const list = $('b-canned-list');
  if (act === 'delete') {
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    renumberCanned();
    (next?.querySelector('[data-field="title"]') || $('b-canned-add')).focus();
    $('brand-result').className = 'result';
    $('brand-result').textContent = 'Canned response removed; save the brand to keep the change.';
    return;
  }
  if (button.getAttribute('aria-disabled') === 'true') return;
  if (act === 'up') list.insertBefore(li, li.previousElementSibling);
  else list.insertBefore(li, li.nextElementSibling.nextElementSibling);
  renumberCanned();
  button.focus(); // a moved element loses the focus
}

function readCanned() {
  return [...$('b-canned-list').children].map((li) => ({
    title: li.querySelector('[data-field="title"]').value.trim(),
    text: li.querySelector('[data-field="text"]').value.trim(),
  }));
}

/* Business hours: "Always open" (none stored), or a fixed UTC offset and, per weekday, closed or
 * open in up to 8 from-to ranges. A time input cannot say 24:00: an end of 00:00 is midnight at
 * the end of the day, stored as "24:00". The week is a disabled fieldset while "Always open" is
 * chosen, so its inputs are neither checked nor sent. */
const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'], ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const HOURS_RANGES_MAX = 8;
const dayName = (li) => DAYS.find(([k]) => k === li.dataset.day)[1];
let hoursSeq = 0;

function utcOffset(min) {
  const a = Math.abs(min);
  return `${min < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** The offset selector: every quarter hour from -14:00 to +14:00, plus a stored one off that grid. */
function fillOffsets(value = '+00:00') {
  const sel = $('b-hours-offset');
  if (!sel.options.length)
    for (let m = -14 * 60; m <= 14 * 60; m += 15) sel.append(h('option', { value: utcOffset(m), text: `UTC${utcOffset(m)}` }));
  if (![...sel.options].some((o) => o.value === value)) sel.append(h('option', { value, text: `UTC${value}` }));
  sel.value = value;
}

function hoursRange([from, to] = ['09:00', '17:00']) {
  const n = ++hoursSeq;
  const place = () => h('span', { class: 'vh', 'data-place': '' });
  return h('li', { class: 'hours-range' },
    h('label', { for: `hr${n}-from` }, 'From', place()),
    h('input', { id: `hr${n}-from`, type: 'time', 'data-field': 'from', required: true, value: from, oninput: checkRange }),
    h('label', { for: `hr${n}-to` }, 'to', place()),
    h('input', { id: `hr${n}-to`, type: 'time', 'data-field': 'to', required: true, value: to === '24:00' ? '00:00' : to, oninput: checkRange }),
    h('button', { type: 'button', class: 'danger', text: 'Remove', 'data-action': 'remove', onclick: (ev) => removeRange(ev.currentTarget) }));
}

function hoursDay([key, name], ranges = []) {
  const li = h('li', { class: 'hours-day', 'data-day': key },
    h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-field': 'open', checked: ranges.length > 0, onchange: (ev) => openDay(li, ev.currentTarget.checked) }), ` Open on ${name}`),
    h('ol', { class: 'hours-ranges' }, ranges.map((r) => hoursRange(r))),
    h('button', { type: 'button', class: 'secondary', text: 'Add hours', 'aria-label': `Add hours on ${name}`, 'data-action': 'add', onclick: () => addRange(li) }));
  return li;
}

function fillHours(hours) {
  const set = hours != null && typeof hours === 'object';
  fillOffsets(set ? hours.utc_offset : '+00:00');
  $('b-hours-days').replaceChildren(...DAYS.map((d) => hoursDay(d, (set && hours[d[0]]) || [])));
  (set ? $('b-hours-set') : $('b-hours-always')).checked = true;
  showHours();
}

function showHours() {
  const on = $('b-hours-set').checked;
  $('b-hours-week').hidden = !on;
  $('b-hours-week').disabled = !on;
  for (const li of $('b-hours-days').children) renumberDay(li);
}

/** A day's ranges name their place ("From (Monday, hours 2)"); closed days hide the rest. */
function renumberDay(li) {
  const name = dayName(li);
  const ranges = [...li.querySelector('.hours-ranges').children];
  ranges.forEach((r, i) => {
    for (const s of r.querySelectorAll('[data-place]')) s.textContent = ` (${name}, hours ${i + 1})`;
    r.querySelector('[data-action="remove"]').setAttribute('aria-label', `Remove hours ${i + 1} on ${name}`);
  });
  li.querySelector('[data-field="open"]').checked = ranges.length > 0;
  li.querySelector('.hours-ranges').hidden = !ranges.length;
  li.querySelector('[data-action="add"]').hidden = !ranges.length || ranges.length >= HOURS_RANGES_MAX;
}

function addRange(li) {
  const r = hoursRange();
  li.querySelector('.hours-ranges').append(r);
  renumberDay(li);
  r.querySelector('[data-field="from"]').focus();
}

function openDay(li, open) {
  const name = dayName(li);
  if (open) li.querySelector('.hours-ranges').append(hoursRange());
  else li.querySelector('.hours-ranges').replaceChildren();
  renumberDay(li);
}

function removeRange(button) {
  const li = button.closest('.hours-day');
  const r = button.closest('.hours-range');
  const next = r.nextElementSibling || r.previousElementSibling;
  r.remove();
  renumberDay(li);
  (next?.querySelector('[data-field="from"]') || li.querySelector('[data-field="open"]')).focus();
}

const rangeEnd = (t) => (t.slice(0, 5) === '00:00' ? '24:00' : t.slice(0, 5));

/** An end before its start is refused here, by the form, rather than by the server. */
function checkRange(ev) {
  const r = ev.currentTarget.closest('.hours-range');
  const from = r.querySelector('[data-field="from"]').value.slice(0, 5);
  const to = r.querySelector('[data-field="to"]');
  to.setCustomValidity(from && to.value && rangeEnd(to.value) <= from ? 'The end must come after the start (00:00: midnight at the end of the day).' : '');
}

/** {utc_offset, mon..sun} with every day (a closed one as []: a merge patch replaces what it
 *  names and keeps what it leaves out), or null for "Always open". */
function readHours() {
  if (!$('b-hours-set').checked) return null;
  const out = { utc_offset: $('b-hours-offset').value };
  for (const li of $('b-hours-days').children)
    out[li.dataset.day] = [...li.querySelectorAll('.hours-range')].map((r) => [r.querySelector('[data-field="from"]').value.slice(0, 5), rangeEnd(r.querySelector('[data-field="to"]').value)]);
  return out;
}

/** Opens a brand as the server has it now (GET /api/v1/brands/{id}); from the brand list's
 *  copy (fallback) when that read fails (a server without it). */
async function openBrand(id, fallback) {
  try {
    const { data } = await api('GET', `/api/v1/brands/${encodeURIComponent(id)}`);
    fillBrand(data);
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    if (fallback) return fillBrand(fallback);
    throw e;
  }
}

async function loadOneBrand() {
  const id = $('b-id').value.trim();
  if (!id) return;
  try {
    await openBrand(id);
  } catch (e) {
    $('brand-result').className = 'result bad';
    $('brand-result').textContent =
      e.status === 404 ? (e.code === 'not_found' && /no such brand/i.test(e.message) ? `No brand ${id}.` : 'Reading a brand is not available on this server (or no such brand).') : e.message;
  }
}

async function saveBrand(ev) {
  ev.preventDefault();
  const form = $('brand-form');
  if (!form.reportValidity()) return;
  const id = $('b-id').value.trim();
  const topics = {};
  for (const line of lines($('b-topics').value.replace(/,/g, ' '))) {
    const [t, c] = parseTopic(line);
    topics[t] = c;
  }
  const editing = loadedBrand && loadedBrand.id === id && !$('b-rotate').checked;
  // a merge patch changes a topic's object member by member: null for each setting the line
  // leaves out, and for a topic taken off the list
  if (editing) {
    for (const c of Object.values(topics)) for (const k of ['tier', 'sla_s', 'pay']) if (!(k in c)) c[k] = null;
    for (const t of loadedBrand.topics) if (!(t in topics)) topics[t] = null;
  }
  const waves = {};
  if ($('b-wave-size').value !== '') waves.size = Number($('b-wave-size').value);
  if ($('b-wave-interval').value !== '') waves.interval_s = Number($('b-wave-interval').value);
  const body = {
    name: $('b-name').value.trim(),
    pay: { amount: Number($('b-amount').value), currency: $('b-currency').value.trim().toUpperCase() },
    widget_origins: lines($('b-origins').value).map((o) => o.replace(/\/+$/, '')),
    languages: commaList($('b-languages').value),
    on_timeout: $('b-on-timeout').value,
    topics,
  };
  if (Object.keys(waves).length || editing) body.waves = editing ? { size: waves.size ?? null, interval_s: waves.interval_s ?? null } : waves;
  const hook = $('b-webhook').value.trim();
  if (hook || editing) body.webhook_url = hook || null;
  const timeout = Number($('b-timeout').value);
  if (timeout || editing) body.queue_timeout_s = timeout || null;
  // The whole list (a merge patch replaces an array). A PUT without canned keeps the stored
  // ones: a form not loaded from this brand sends them only when it has some.
  const canned = readCanned();
  if (canned.length || loadedBrand?.id === id) body.canned = canned;
  // null removes a setting in a merge patch; a PUT replaces them all, so it leaves them out
  const hours = readHours();
  if (hours || editing) body.business_hours = hours;
  const offline = Number($('b-offline-timeout').value);
  if (offline || editing) body.offline_timeout_s = offline || null;
  const prechat = $('b-prechat').checked;
  if (prechat || editing) body.widget = prechat ? { prechat: true } : null;
  const res = $('brand-result');
  res.className = 'result';
  res.textContent = 'Saving…';
  try {
    const r = editing
      ? await api('PATCH', `/api/v1/brands/${encodeURIComponent(id)}`, body)
      : await api('PUT', `/api/v1/brands/${encodeURIComponent(id)}${$('b-rotate').checked ? '?rotate=1' : ''}`, body);
    loadedBrand = { id, topics: Object.keys(topics).filter((t) => topics[t]) };
    res.className = 'result ok';
    res.textContent = `${r.status === 201 ? 'Created' : 'Updated'} brand ${r.data.brand}. Widget key: ${r.data.widget_key}.`;
    // Both secrets come only in this reply (on creation or rotation): show each once.
    showSecret('apikey', r.data.api_key);
    showSecret('whsec', r.data.webhook_secret);
    if (r.data.api_key || r.data.webhook_secret) $(r.data.api_key ? 'apikey-copy' : 'whsec-copy').focus();
    $('b-rotate').checked = false;
    loadBrands();
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    res.className = 'result bad';
    res.textContent = `Not saved: ${e.message}`;
  }
}

function showSecret(id, value) {
  $(`${id}-box`).hidden = !value;
  $(id).textContent = value || '';
  $(`${id}-copy`).textContent = 'Copy';
}

async function copySecret(id) {
  const text = $(id).textContent;
  try {
    await navigator.clipboard.writeText(text);
    $(`${id}-copy`).textContent = 'Copied';
  } catch {
    const range = document.createRange();
    range.selectNodeContents($(id));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    $(`${id}-copy`).textContent = 'Selected: press Ctrl+C';
  }
}

/* ----------------------------------------------------------- experts */

async function loadExperts() {
  const err = $('experts-error');
  try {
    const { data } = await api('GET', '/api/v1/experts');
    err.hidden = true;
    const list = data?.experts || [];
    $('expert-list').replaceChildren(
      ...list.map((x) =>
        h('tr', { 'data-expert': x.id },
          h('td', {}, h('code', { text: x.id })),
          h('td', { text: x.name || '' }),
          h('td', { class: 'num', text: String(x.tier ?? '') }),
          h('td', { text: (x.skills || []).join(', ') }),
          h('td', { text: (x.languages || []).join(', ') }),
          h('td', { text: (x.brands || []).join(', ') }),
          h('td', { class: 'num', text: String(x.capacity ?? '') }),
          h('td', { class: 'num', text: x.rating == null ? '–' : typeof x.rating === 'object' ? fmtNum(x.rating.avg ?? x.rating.score) : fmtNum(Number(x.rating)) }),
          h('td', { 'data-field': 'state', text: stateText(x) }),
          h('td', { class: 'actions' },
            h('button', { type: 'button', class: 'secondary', text: 'Edit', 'aria-label': `Edit expert ${x.id}`, onclick: () => fillExpert(x) }),
            x.active === false
              ? h('button', { type: 'button', class: 'secondary', text: 'Reactivate', 'data-action': 'reactivate', 'aria-label': `Reactivate expert ${x.id}`, onclick: () => setActive(x, true) })
              : h('button', { type: 'button', class: 'danger', text: 'Deactivate', 'data-action': 'deactivate', 'aria-label': `Deactivate expert ${x.id}`, onclick: () => setActive(x, false) }),
            h('button', { type: 'button', class: 'secondary', text: 'Invite', 'aria-label': `Invite expert ${x.id}`, disabled: x.active === false, onclick: () => inviteExpert(x) }),
            h('button', { type: 'button', class: 'danger', text: 'Delete', 'data-action': 'delete', 'aria-label': `Delete expert ${x.id}`, onclick: () => deleteExpert(x) })))),
    );
    if (!list.length) $('expert-list').replaceChildren(h('tr', {}, h('td', { colspan: '10', class: 'empty', text: 'No experts yet.' })));
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    err.hidden = false;
    err.textContent = e.status === 404 ? 'The expert list is not available on this server. You can still create or update an expert by id.' : `Could not load experts: ${e.message}`;
    $('expert-list').replaceChildren();
  }
}

function stateText(x) {
  if (x.active === false) return 'Deactivated';
  const l = x.live;
  if (!l) return '';
  const state = { online: 'Online', away: 'Away', offline: 'Offline' }[l.state] || l.state;
  return l.state === 'offline' ? state : `${state} · ${l.held}/${l.capacity || x.capacity} chats`;
}

function actionResult(text, bad = false) {
  $('expert-action').className = bad ? 'result bad' : 'result ok';
  $('expert-action').textContent = text;
}

async function setActive(x, active) {
  const ask = active
    ? `Reactivate ${x.name || x.id}? New invitations will work again.`
    : `Deactivate ${x.name || x.id}? They are signed out at once, their open chats go back to the queue, and their tokens stop working.`;
  if (!confirm(ask)) return;
  try {
    await api('PATCH', `/api/v1/experts/${encodeURIComponent(x.id)}`, { active });
    actionResult(`${active ? 'Reactivated' : 'Deactivated'} ${x.id}.`);
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    actionResult(`Not changed: ${e.message}`, true);
  }
  loadExperts();
}

async function deleteExpert(x) {
  if (!confirm(`Delete ${x.name || x.id}? Their profile goes and they are signed out; this cannot be undone.`)) return;
  try {
    await api('DELETE', `/api/v1/experts/${encodeURIComponent(x.id)}`);
    actionResult(`Deleted ${x.id}.`);
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    actionResult(`Not deleted: ${e.message}`, true);
  }
  loadExperts();
}

function inviteExpert(x) {
  $('i-role').value = 'expert';
  $('i-sub').value = x.id;
  $('i-brand').value = '';
  $('i-name').value = x.name || '';
  $('invite-form').requestSubmit();
}

/* An invitation is a token and the console's address: the console signs in with a pasted
 * token (it takes none from its URL). */
async function invite(ev) {
  ev.preventDefault();
  if (!$('invite-form').reportValidity()) return;
  const role = $('i-role').value;
  const body = { sub: $('i-sub').value.trim(), role, ttl_s: Math.max(1, Number($('i-days').value) || 1) * 86400 };
  const name = $('i-name').value.trim();
  if (name) body.name = name;
  if (role === 'staff') body.brand = $('i-brand').value.trim();
  const res = $('invite-result');
  $('invite-box').hidden = true;
  try {
    const { data } = await api('POST', '/api/v1/tokens', body);
    const link = `${location.origin}/expert/`;
    $('invite-link').href = link;
    $('invite-link').textContent = link;
    $('invite-exp').textContent = new Date(data.expires_at).toLocaleString();
    $('invite').textContent = data.token;
    $('invite-copy').textContent = 'Copy';
    $('invite-box').hidden = false;
    res.className = 'result ok';
    res.textContent = `Invitation for ${body.sub} (${role}) made.`;
    $('invite-copy').focus();
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    res.className = 'result bad';
    res.textContent = `No invitation: ${e.message}`;
  }
}

function fillExpert(x) {
  $('e-id').value = x.id || '';
  $('e-name').value = x.name || '';
  $('e-skills').value = (x.skills || []).join(', ');
  $('e-languages').value = (x.languages || []).join(', ');
  $('e-brands').value = (x.brands || []).join(', ');
  $('e-tier').value = String(x.tier || 1);
  $('e-capacity').value = String(x.capacity || 3);
  $('expert-result').textContent = `Editing ${x.id}.`;
  $('expert-result').className = 'result';
  $('e-name').focus();
}

async function loadOneExpert() {
  const id = $('e-id').value.trim();
  if (!id) return;
  try {
    const { data } = await api('GET', `/api/v1/experts/${encodeURIComponent(id)}`);
    fillExpert({ id, ...data });
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    $('expert-result').className = 'result bad';
    $('expert-result').textContent = e.status === 404 ? 'Reading an expert is not available on this server (or no such expert).' : e.message;
  }
}

async function saveExpert(ev) {
  ev.preventDefault();
  if (!$('expert-form').reportValidity()) return;
  const id = $('e-id').value.trim();
  const body = {
    name: $('e-name').value.trim(),
    skills: commaList($('e-skills').value),
    languages: commaList($('e-languages').value),
    brands: commaList($('e-brands').value),
    tier: Number($('e-tier').value),
    capacity: Number($('e-capacity').value),
  };
  const res = $('expert-result');
  try {
    const r = await api('PUT', `/api/v1/experts/${encodeURIComponent(id)}`, body);
    res.className = 'result ok';
    res.textContent = `${r.status === 201 ? 'Created' : 'Updated'} expert ${r.data?.id || id}. Changes apply from the expert's next connection.`;
    loadExperts();
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    res.className = 'result bad';
    res.textContent = `Not saved: ${e.message}`;
  }
}

/* -------------------------------------------------------------- tasks */

const TASK_FIELDS = [
  ['status', 'Status'],
  ['brand', 'Brand'],
  ['topic', 'Topic'],
  ['language', 'Language'],
  ['priority', 'Priority'],
  ['customer', 'Customer'],
  ['assignee', 'Assignee'],
  ['created_at', 'Created'],
  ['assigned_at', 'Assigned'],
  ['resolved_at', 'Resolved'],
  ['escalated_at', 'Escalated'],
  ['cancelled_at', 'Cancelled'],
  ['expired_at', 'Expired'],
  ['expires_at', 'Claimable until'],
  ['escalation_reason', 'Escalation reason'],
  ['summary', 'Summary'],
  ['rating', 'Rating'],
];

function fieldText(k, v) {
  if (v == null || v === '') return null;
  if (k.endsWith('_at')) return new Date(v).toLocaleString();
  if (k === 'customer' || k === 'assignee') return [v.name, v.id && `(${v.id})`, v.role].filter(Boolean).join(' ');
  if (k === 'rating') return `${'★'.repeat(v.score || 0)}${'☆'.repeat(5 - (v.score || 0))} ${v.score}/5${v.comment ? ` — ${v.comment}` : ''}`;
  return String(v);
}

/* The task list: GET /api/v1/tasks with the filters, a page at a time (next_cursor). */
let taskCursor = null;
let taskListSeq = 0; // only the latest listing may fill the table: answers can come out of order

async function listTasks(ev, more = false) {
  ev?.preventDefault();
  if (!$('tasks-filter').reportValidity()) return;
  const seq = ++taskListSeq;
  const q = new URLSearchParams({ brand: $('f-brand').value.trim(), limit: '50' });
  for (const [k, el] of [['status', 'f-status'], ['topic', 'f-topic'], ['q', 'f-q']]) if ($(el).value.trim()) q.set(k, $(el).value.trim());
  if ($('f-since').value) q.set('since', String(new Date($('f-since').value).getTime()));
  if (more && taskCursor) q.set('cursor', taskCursor);
  $('tasks-error').textContent = '';
  try {
    const { data } = await api('GET', `/api/v1/tasks?${q}`);
    if (seq !== taskListSeq) return;
    const rows = (data?.tasks || []).map((t) =>
      h('tr', { 'data-task': t.task },
        h('td', { text: new Date(t.created_at).toLocaleString() }),
        h('td', {}, h('code', { text: t.task })),
        h('td', { text: t.status }),
        h('td', { text: t.topic }),
        h('td', { text: [t.customer?.name, t.customer?.id && `(${t.customer.id})`].filter(Boolean).join(' ') }),
        h('td', { text: t.expert?.id || '' }),
        h('td', {}, h('button', { type: 'button', class: 'secondary', text: 'Transcript', 'aria-label': `Transcript of ${t.task}`, onclick: () => showTask(t.task) }))));
    if (more) $('task-list').append(...rows);
    else $('task-list').replaceChildren(...rows);
    if (!more && !rows.length) $('task-list').replaceChildren(h('tr', {}, h('td', { colspan: '7', class: 'empty', text: 'No tasks match.' })));
    taskCursor = data?.next_cursor || null;
    $('tasks-more').hidden = !taskCursor;
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    $('tasks-error').textContent = `Could not list tasks: ${e.message}`;
  }
}

function showBrandTasks(brand) {
  $('f-brand').value = brand;
  location.hash = '#tasks';
  listTasks();
}

function showTask(id) {
  $('t-id').value = id;
  $('task-form').requestSubmit();
}

/* ---------------------------------------------------- webhook deliveries */

async function loadDeliveries(brand) {
  $('deliveries').hidden = false;
  $('deliveries-h').textContent = `Webhook deliveries of ${brand}`;
  try {
    const { data } = await api('GET', `/api/v1/webhooks/deliveries?brand=${encodeURIComponent(brand)}`);
    const list = data?.deliveries || [];
    $('delivery-list').replaceChildren(
      ...list.map((d) =>
        h('tr', {},
          h('td', { text: new Date(d.at).toLocaleString() }),
          h('td', { text: d.type || d.event }),
          h('td', {}, h('code', { text: d.task || '' })),
          h('td', { class: 'num', text: String(d.attempt ?? '') }),
          h('td', { class: 'num', text: String(d.status || '–') }),
          h('td', { text: [d.outcome, d.error].filter(Boolean).join(': ') }),
          h('td', { class: 'num', text: d.duration_ms == null ? '' : `${d.duration_ms} ms` }))),
    );
    if (!list.length) $('delivery-list').replaceChildren(h('tr', {}, h('td', { colspan: '7', class: 'empty', text: 'No deliveries yet.' })));
  } catch (e) {
    if (e.status === 401) return onUnauthorized();
    $('delivery-list').replaceChildren(h('tr', {}, h('td', { colspan: '7', class: 'empty', text: `Could not load deliveries: ${e.message}` })));
  }
  $('deliveries').scrollIntoView({ block: 'nearest' });
}

/** A sender's name; a customer's messages may come without one (an anonymous widget customer
 *  named only by the pre-chat form): the task's customer then. */
function sender(from, task) {
  return from?.name || (from?.role === 'customer' && task?.customer?.name) || from?.role || '';
}

async function lookupTask(ev) {
  ev.preventDefault();
  if (!$('task-form').reportValidity()) return;
  const id = $('t-id').value.trim();
  const key = $('t-key').value.trim() || adminKey;
  const errEl = $('task-error');
  errEl.textContent = '';
  $('task-view').hidden = true;
  try {
    const [task, tr] = await Promise.all([
      api('GET', `/api/v1/tasks/${encodeURIComponent(id)}`, null, key),
      api('GET', `/api/v1/tasks/${encodeURIComponent(id)}/transcript`, null, key),
    ]);
    const t = task.data;
    $('task-view-h').textContent = `Task ${t.task || id}`;
    $('task-details').replaceChildren(
      ...TASK_FIELDS.flatMap(([k, label]) => {
        const text = fieldText(k, t[k]);
        return text == null ? [] : [h('dt', { text: label }), h('dd', { text, 'data-field': k })];
      }),
    );
    const msgs = tr.data?.messages || [];
    $('transcript').replaceChildren(
      ...msgs.map((m) =>
        h('li', { class: m.from?.role || '' },
          h('div', { class: 'hdr', text: `${new Date(m.ts).toLocaleTimeString()} · ${sender(m.from, t)} (${m.from?.role || '?'})` }),
          h('p', { class: 'txt', text: m.text }))),
    );
    if (!msgs.length) $('transcript').replaceChildren(h('li', { class: 'empty', text: 'No messages.' }));
    $('task-view').hidden = false;
  } catch (e) {
    if (e.status === 401 && key === adminKey) errEl.textContent = 'This server does not accept the admin key for task look-ups yet. Use a brand API key below.';
    else if (e.status === 401) errEl.textContent = 'That brand API key was refused.';
    else if (e.status === 404) errEl.textContent = `No task ${id} (or not visible with this key).`;
    else errEl.textContent = `Could not look it up: ${e.message}`;
  }
}

/* ------------------------------------------------------------- wiring */

$('signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  signIn($('key').value);
});
$('signout').addEventListener('click', signOut);
$('brand-form').addEventListener('submit', saveBrand);
$('b-load').addEventListener('click', loadOneBrand);
$('b-canned-add').addEventListener('click', addCanned);
for (const id of ['b-hours-always', 'b-hours-set']) $(id).addEventListener('change', showHours);
fillHours(null);
$('apikey-copy').addEventListener('click', () => copySecret('apikey'));
$('whsec-copy').addEventListener('click', () => copySecret('whsec'));
// ISO 4217 codes are upper case; let people type them either way
$('b-currency').addEventListener('input', (ev) => (ev.target.value = ev.target.value.toUpperCase()));
$('expert-form').addEventListener('submit', saveExpert);
$('e-load').addEventListener('click', loadOneExpert);
$('task-form').addEventListener('submit', lookupTask);
$('tasks-filter').addEventListener('submit', (ev) => listTasks(ev));
$('tasks-more').addEventListener('click', () => listTasks(null, true));
$('invite-form').addEventListener('submit', invite);
$('invite-copy').addEventListener('click', () => copySecret('invite'));

if (adminKey) signIn(adminKey);
else showSignIn('');
