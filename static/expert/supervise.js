// Staff supervision in the console: the brand's live chats (live.list), watching one
// read-only (chat.watch: its history and live messages, seen as written), whispering to its
// expert (chat.whisper: an internal note the customer never sees), taking it over
// (task.takeover: the chat then opens as one's own tab, through task.assigned) and sending
// it back to the queue for another expert (task.reassign).
import { $, h } from '../lib/dom.js';

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const W = { client: null, task: null, ids: new Set(), names: new Map() };
const ROLE_NAME = { customer: 'Customer', expert: 'Expert', staff: 'Staff' };

export function showSupervise(role, client) {
  W.client = client;
  $('live-pane').hidden = role !== 'staff';
  if (role !== 'staff') return;
  refresh();
  if (W.task) watch(W.task); // watching is per socket: a new connection asks again
}

async function refresh() {
  let r;
  try {
    r = await W.client.request({ type: 'live.list' });
  } catch (e) {
    $('live-empty').textContent = `Could not list live chats: ${e.message}`;
    $('live-empty').hidden = false;
    return;
  }
  const chats = Array.isArray(r.chats) ? r.chats : [];
  for (const c of chats) if (c.customer?.name) W.names.set(c.task, c.customer.name);
  $('live-list').replaceChildren(
    ...chats.map((c) =>
      h('li', { class: 'live-item', 'data-task': c.task },
        h('span', { class: 'live-who', text: `${c.customer?.name || 'Customer'} · ${c.topic} · with ${c.assignee?.name || '?'} (${c.assignee?.role || ''})` }),
        h('button', { type: 'button', class: 'secondary live-watch', text: 'Watch', 'aria-label': `Watch the chat of ${c.customer?.name || 'customer'}`, onclick: () => watch(c.task) }))),
  );
  $('live-empty').textContent = 'No live chats right now.';
  $('live-empty').hidden = chats.length > 0;
}

/** A sender's name; a customer's messages may come without one (an anonymous widget
 *  customer named only by the pre-chat form): the watched chat's customer then. */
function sender(from) {
  return from?.name || (from?.role === 'customer' && W.names.get(W.task)) || ROLE_NAME[from?.role] || from?.role || '';
}

function line(cls, who, text, ts) {
  $('watch-log').append(
    h('li', { class: `wmsg ${cls}` },
      h('span', { class: 'who', text: who }),
      h('p', { class: 'text', text }),
      ts ? h('time', { class: 'ts', text: timeFmt.format(new Date(ts)) }) : null),
  );
  $('watch-log').scrollTop = $('watch-log').scrollHeight;
}

async function watch(task) {
  if (W.task && W.task !== task) W.client.send({ type: 'chat.unwatch', task: W.task });
  $('watch').hidden = true;
  W.task = task;
  W.ids = new Set();
  $('watch-log').replaceChildren();
  $('watch-error').textContent = '';
  let r;
  try {
    r = await W.client.request({ type: 'chat.watch', task });
  } catch (e) {
    if (e.code !== 'disconnected') W.task = null; // nothing to watch again after a reconnect
    $('watch-error').textContent = e.code === 'conflict' ? 'That chat has ended.' : e.message;
    return;
  }
  $('watch').hidden = false;
  $('watch').dataset.task = task;
  if (r.customer?.name) W.names.set(task, r.customer.name);
  $('watch-title').textContent = `Watching ${r.customer?.name || 'customer'} with ${r.assignee?.name || 'expert'} · ${r.topic}`;
  for (const w of r.whispers || []) onSuperviseMessage(w);
  $('whisper-text').focus();
}

function stop() {
  if (W.task) W.client.send({ type: 'chat.unwatch', task: W.task });
  W.task = null;
  $('watch').hidden = true;
}

/** Frames about the watched chat; true when it was one. */
export function onSuperviseMessage(m) {
  if (!W.task || m.task !== W.task) return false;
  if (m.type === 'chat.message' || m.type === 'chat.whisper') {
    if (W.ids.has(`${m.type}:${m.id}`)) return true;
    W.ids.add(`${m.type}:${m.id}`);
    const internal = m.type === 'chat.whisper';
    line(internal ? 'whisper' : m.from?.role || '', `${internal ? 'Internal note · ' : ''}${sender(m.from)}`, m.text, m.ts);
  } else if (m.type === 'task.update') {
    line('event', '', `Status: ${m.status}${m.expert?.name ? ` (${m.expert.name})` : ''}`);
  } else if (m.type === 'task.assigned') {
    W.task = null; // taken over: the chat is ours now, in its own tab
    $('watch').hidden = true;
    return false;
  } else return false;
  return true;
}

async function whisper(ev) {
  ev.preventDefault();
  const text = $('whisper-text').value.trim();
  if (!text || !W.task) return;
  try {
    await W.client.request({ type: 'chat.whisper', task: W.task, text });
    $('whisper-text').value = '';
    $('watch-error').textContent = '';
  } catch (e) {
    $('watch-error').textContent = `Whisper not sent: ${e.message}`;
  }
}

/** Back to the queue for another expert (not the one who has it now). */
async function reassign() {
  if (!W.task) return;
  const task = W.task;
  try {
    await W.client.request({ type: 'task.reassign', task });
    line('event', '', 'Reassigned: back in the queue for another expert.');
    refresh();
  } catch (e) {
    $('watch-error').textContent = e.code === 'conflict' ? 'Only a chat an expert holds can be reassigned.' : `Could not reassign: ${e.message}`;
  }
}

async function takeOver() {
  if (!W.task) return;
  try {
    await W.client.request({ type: 'task.takeover', task: W.task });
  } catch (e) {
    $('watch-error').textContent = `Could not take over: ${e.message}`;
  }
}

export function initSupervise() {
  $('live-refresh').addEventListener('click', refresh);
  $('whisper-form').addEventListener('submit', whisper);
  $('takeover').addEventListener('click', takeOver);
  $('reassign').addEventListener('click', reassign);
  $('unwatch').addEventListener('click', stop);
}
