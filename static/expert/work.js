// "My work" in the console: the chats one claimed today or this week (work.list), each with
// what became of it (resolved, released, escalated...), the customer's rating and the pay, with
// totals; a row's transcript opens read-only (chat.history). Staff are the brand's employees:
// they never see the crowd's pay, here as elsewhere in the console.
import { $, h } from '../lib/dom.js';

const DAY_MS = 86400000;
const LIMIT = 200; // the most work.list answers with
const OUTCOME = {
  active: 'In progress',
  resolved: 'Resolved',
  escalated: 'Escalated',
  released: 'Released',
  cancelled: 'Cancelled',
  expired: 'Expired',
};
const ROLE_NAME = { customer: 'Customer', expert: 'Expert', staff: 'Staff' };
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayTimeFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
const W = { client: null, staff: false, period: 'today', tasks: [], seq: 0 };

function money(amount, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

/** Local midnight today, or of this week's Monday: the periods' boundaries. */
function periodStart(period) {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  if (period === 'week') d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d.getTime();
}

/** Called at every welcome: a new connection (maybe another user) refreshes an open view. */
export function showWork(role, client) {
  W.client = client;
  W.staff = role === 'staff';
  closeTranscript();
  if (!$('work-panel').hidden) refresh();
  else {
    W.tasks = [];
    render();
  }
}

export function initWork() {
  $('work-toggle').addEventListener('click', () => {
    const p = $('work-panel');
    p.hidden = !p.hidden;
    $('work-toggle').setAttribute('aria-expanded', String(!p.hidden));
    if (!p.hidden) refresh();
  });
  $('work-today').addEventListener('click', () => setPeriod('today'));
  $('work-week').addEventListener('click', () => setPeriod('week'));
  $('work-refresh').addEventListener('click', () => refresh());
  $('work-transcript-close').addEventListener('click', closeTranscript);
}

function setPeriod(period) {
  W.period = period;
  $('work-today').setAttribute('aria-pressed', String(period === 'today'));
  $('work-week').setAttribute('aria-pressed', String(period === 'week'));
  refresh();
}

async function refresh() {
  if (!W.client) return;
  const seq = ++W.seq; // a slower answer for the other period must not overwrite this one
  $('work-error').textContent = '';
  let r;
  try {
    r = await W.client.request({ type: 'work.list', since: periodStart(W.period), limit: LIMIT });
  } catch (e) {
    if (seq === W.seq) $('work-error').textContent = `Could not load your work: ${e.message}`;
    return;
  }
  if (seq !== W.seq) return;
  W.tasks = Array.isArray(r.tasks) ? r.tasks : [];
  render();
}

function stars(n) {
  return h('span', { class: 'stars', title: `${n} out of 5` },
    h('span', { 'aria-hidden': 'true', text: '★'.repeat(n) + '☆'.repeat(Math.max(0, 5 - n)) }),
    h('span', { class: 'vh', text: `${n} out of 5` }));
}

/** Count, pay per currency (resolved chats only) and the average of the ratings. */
function totalsText(tasks) {
  const pay = new Map();
  let rated = 0;
  let sum = 0;
  for (const t of tasks) {
    if (!W.staff && t.pay && typeof t.pay.amount === 'number') {
      const cur = t.pay.currency || 'EUR';
      pay.set(cur, (pay.get(cur) || 0) + t.pay.amount);
    }
    if (typeof t.rating === 'number') {
      rated++;
      sum += t.rating;
    }
  }
  const parts = [`${tasks.length} chat${tasks.length === 1 ? '' : 's'}`];
  parts.push(`${tasks.filter((t) => t.outcome === 'resolved').length} resolved`);
  if (!W.staff) parts.push(`pay ${pay.size ? [...pay].map(([c, a]) => money(a, c)).join(' + ') : money(0, 'EUR')}`);
  parts.push(rated ? `average rating ${(sum / rated).toFixed(1)}/5 (${rated} rated)` : 'no ratings yet');
  return parts.join(' · ');
}

function row(t) {
  const at = W.period === 'today' ? timeFmt : dayTimeFmt;
  const who = t.customer?.name || 'Customer';
  return h('tr', { class: 'work-row', 'data-task': t.task, 'data-outcome': t.outcome },
    h('td', { text: at.format(new Date(t.claimed_at)) }),
    h('td', { text: who }),
    h('td', { text: t.topic || '' }),
    h('td', { class: 'work-outcome', text: OUTCOME[t.outcome] || t.outcome }),
    h('td', {}, typeof t.rating === 'number' ? stars(t.rating) : '—'),
    W.staff ? null : h('td', { class: 'work-pay', text: t.pay ? money(t.pay.amount, t.pay.currency || 'EUR') : '—' }),
    h('td', {}, h('button', { type: 'button', class: 'link work-open', text: 'Transcript', 'aria-label': `Transcript of the chat with ${who} at ${at.format(new Date(t.claimed_at))}`, onclick: () => openTranscript(t) })));
}

function render() {
  const label = W.period === 'today' ? 'today' : 'this week';
  const cols = ['Time', 'Customer', 'Topic', 'Outcome', 'Rating', ...(W.staff ? [] : ['Pay']), ''];
  $('work-head').replaceChildren(...cols.map((c) => h('th', { scope: 'col', text: c || null }, c ? null : h('span', { class: 'vh', text: 'Transcript' }))));
  $('work-caption').textContent = `Your chats ${label}`;
  $('work-rows').replaceChildren(...W.tasks.map(row));
  $('work-table').hidden = !W.tasks.length;
  $('work-empty').hidden = W.tasks.length > 0;
  $('work-totals').textContent = `${label[0].toUpperCase()}${label.slice(1)}: ${totalsText(W.tasks)}`;
}

function closeTranscript() {
  $('work-transcript').hidden = true;
  $('work-log').replaceChildren();
}

async function openTranscript(t) {
  const name = t.customer?.name || 'Customer';
  $('work-transcript-h').textContent = `Transcript: ${name} · ${t.topic || ''} · ${OUTCOME[t.outcome] || t.outcome}`;
  $('work-log').replaceChildren();
  $('work-transcript').hidden = false;
  let r;
  try {
    r = await W.client.request({ type: 'chat.history', task: t.task, limit: 200 });
  } catch (e) {
    const gone = e.code === 'forbidden';
    $('work-log').append(h('li', { class: 'wmsg event', text: gone ? 'Someone else held this chat after you: its transcript is theirs now.' : `Could not load the transcript: ${e.message}` }));
    return;
  }
  const msgs = Array.isArray(r.messages) ? r.messages : [];
  $('work-log').replaceChildren(
    ...msgs.map((m) =>
      h('li', { class: `wmsg ${m.from?.role === 'customer' ? 'theirs' : 'mine'}` },
        h('span', { class: 'who', text: m.from?.name || (m.from?.role === 'customer' ? name : ROLE_NAME[m.from?.role] || '') }),
        h('p', { class: 'text', text: m.text }),
        m.ts ? h('time', { class: 'ts', text: dayTimeFmt.format(new Date(m.ts)) }) : null)),
  );
  if (t.summary) $('work-log').append(h('li', { class: 'wmsg event', text: `Summary: ${t.summary}` }));
  if (t.rating_comment) $('work-log').append(h('li', { class: 'wmsg event', text: `Customer’s comment: ${t.rating_comment}` }));
}
