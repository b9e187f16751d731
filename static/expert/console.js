// gigcx expert console: sign in, presence, live offers, several chats at once.
// Speaks gigcx.v1 (shared PROTOCOL.md) through ../lib/gxclient.js. No framework: the DOM
// is built with createElement and text goes in through textContent only.
import { GxClient, compareIds, decodeToken, randomId } from '../lib/gxclient.js';
import { $, h } from '../lib/dom.js';
import { attachCanned, initCannedPanel, loadCanned } from './canned.js';
import { initSupervise, onSuperviseMessage, showSupervise } from './supervise.js';
import { initWork, showWork } from './work.js';

const TOKEN_KEY = 'gigcx.console.token';
const TAKEN_KEY = 'gigcx.console.taken'; // notices of chats taken back, until dismissed
const PREFS_KEY = 'gigcx.console.prefs';
const HISTORY_PAGE = 50;
const TYPING_SEND_MS = 2500; // at most one chat.typing per chat per this long
const TYPING_SHOW_MS = 3000; // how long a peer's typing stays visible
const QUEUE_POLL_MS = 5000; // queue.get this often while no offer is open

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
function money(pay) {
  if (!pay || typeof pay.amount !== 'number') return '';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: pay.currency || 'EUR' }).format(pay.amount);
  } catch {
    return `${pay.amount} ${pay.currency || ''}`.trim();
  }
}
function mmss(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

function announce(text, urgent = false) {
  const el = $(urgent ? 'announce-urgent' : 'announce');
  el.textContent = '';
  // a fresh text node each time so screen readers announce repeats too
  setTimeout(() => (el.textContent = text), 30);
}

/* ------------------------------------------------------------------ state */

const S = {
  token: null,
  claims: null,
  client: null,
  prefs: { available: false, capacity: null },
  offers: new Map(), // task -> {offer, el, countdown, claiming, skipping, gone}
  chats: new Map(), // task -> Chat
  active: null,
  presence: null, // the server's word: 'available' | 'away', null until it spoke
  quiet: { timer: 0, busy: false, again: false, unsupported: false, open: 0 }, // queue.get
  taken: [], // notices of chats taken back: {task, reason, text}, until dismissed
  toldLive: new Set(), // tasks whose take-back this page already said as it happened
};

function loadPrefs() {
  try {
    Object.assign(S.prefs, JSON.parse(localStorage.getItem(PREFS_KEY) || '{}'));
  } catch {}
}
function savePrefs() {
  try {
    localStorage.setItem(PREFS_KEY, JSON.stringify(S.prefs));
  } catch {}
}
function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY);
}
function storeToken(token, remember) {
  sessionStorage.setItem(TOKEN_KEY, token);
  if (remember) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}
function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(TAKEN_KEY);
}

/* ---------------------------------------------------------------- sign in */

async function loadDemoAccounts() {
  let list;
  try {
    // Only a --dev server has demo accounts, and /healthz says which this is: asking a
    // production server for them would be a 404 in every visitor's console.
    const hz = await fetch('/healthz', { headers: { accept: 'application/json' } });
    const health = await hz.json(); // 503 (storage down) still says whether it is --dev
    if (!health || health.dev !== true) return;
    const r = await fetch('/api/v1/dev/experts', { headers: { accept: 'application/json' } });
    if (!r.ok) return;
    list = await r.json();
  } catch {
    return;
  }
  if (!Array.isArray(list) || !list.length) return;
  const ul = $('demo-list');
  ul.replaceChildren(
    ...list
      .filter((u) => u && u.token)
      .map((u) =>
        h('li', {},
          h('button', { type: 'button', 'data-user': u.id, onclick: () => signIn(u.token, false) },
            u.name || u.id, h('small', { text: `${u.id} · ${u.role}` }))),
      ),
  );
  $('demo').hidden = false;
}

function showSignIn(error = '') {
  if (S.client) S.client.close();
  S.client = null;
  resetDesk();
  $('desk').hidden = true;
  $('who').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error;
  setConn('idle', 'Signed out');
  $('token').focus();
}

function signIn(token, remember) {
  token = String(token || '').trim();
  const claims = decodeToken(token);
  if (!claims || !claims.sub) {
    $('signin-error').textContent = 'That does not look like a gigcx token.';
    return;
  }
  if (claims.role === 'customer') {
    $('signin-error').textContent = 'This is a customer token; the console is for experts and staff.';
    return;
  }
  if (claims.exp && claims.exp * 1000 < Date.now()) {
    $('signin-error').textContent = 'This token has expired. Ask for a new one.';
    return;
  }
  storeToken(token, remember);
  S.token = token;
  S.claims = claims;
  $('signin').hidden = true;
  $('desk').hidden = false;
  $('who').hidden = false;
  $('who-name').textContent = claims.name || claims.sub;
  $('who-role').textContent = claims.role || 'expert';
  $('token').value = '';
  loadTakenNotices();
  connect();
  $('available').focus();
}

/* ------------------------------------------------------------- connection */

function setConn(state, text) {
  $('conn').dataset.state = state;
  $('conn-text').textContent = text;
}

function showBanner(text, action, bad = false) {
  $('banner').hidden = !text;
  $('banner').classList.toggle('bad', bad);
  $('banner-text').textContent = text || '';
  const b = $('banner-action');
  b.hidden = !action;
  if (action) {
    b.textContent = action.label;
    b.onclick = action.run;
  }
}

let reconnectTicker = 0;
function connect() {
  if (S.client) S.client.close();
  const client = new GxClient({ token: S.token, resume: resumeMap });
  S.client = client;
  client.addEventListener('state', (ev) => onState(client, ev.detail));
  client.addEventListener('welcome', (ev) => onWelcome(ev.detail));
  client.addEventListener('message', (ev) => onMessage(ev.detail));
  client.addEventListener('chatfailed', (ev) => S.chats.get(ev.detail.task)?.failed(ev.detail));
  client.connect();
}

function onState(client, { state, code, retryInMs, lostAt }) {
  if (client !== S.client) return;
  clearInterval(reconnectTicker);
  document.body.dataset.conn = state;
  switch (state) {
    case 'connecting':
      setConn(state, 'Connecting…');
      break;
    case 'online':
      setConn(state, 'Online');
      $('conn').title = '';
      showBanner('');
      break;
    case 'reconnecting': {
      // one steady line (a screen reader would repeat a countdown); the next try in the tooltip
      S.lostAt = lostAt || S.lostAt || Date.now();
      const until = Date.now() + (retryInMs || 0);
      const tick = () => {
        const left = until - Date.now();
        $('conn').title = left > 900 ? `Next try in ${Math.ceil(left / 1000)} s` : 'Trying now';
      };
      setConn(state, 'Connection lost, reconnecting…');
      tick();
      if (retryInMs) reconnectTicker = setInterval(tick, 500);
      markOffersStale();
      if (code === 1001) showBanner('The server is restarting. Reconnecting…');
      break;
    }
    case 'replaced':
      setConn(state, 'Opened elsewhere');
      markOffersStale(true);
      showBanner('This console was opened in another tab or device, so this one stopped.', {
        label: 'Use it here',
        run: () => {
          showBanner('');
          S.client.reconnectNow();
        },
      }, true);
      announce('Console opened elsewhere; this tab is disconnected.', true);
      break;
    case 'unauthorized':
      forgetToken();
      showSignIn('Your token was refused or has expired. Please sign in again.');
      break;
    default:
      break;
  }
  updateComposerState();
  if (state !== 'online') pollQueue(); // stops, and hides a line that would go stale
}

/** task -> newest message id held, for every chat we are still part of. */
function resumeMap() {
  const out = {};
  for (const c of S.chats.values()) if (!c.ended && c.newest) out[c.task] = c.newest;
  return out;
}

function onWelcome(w) {
  if (w.role === 'customer') {
    forgetToken();
    showSignIn('This is a customer token; the console is for experts and staff.');
    return;
  }
  $('who-name').textContent = w.name || w.user;
  $('who-role').textContent = w.role;
  document.body.dataset.role = w.role;
  S.presence = null; // until the presence.set below is answered
  S.quiet.unsupported = false; // this may be another (newer) server
  const held = new Set();
  for (const t of w.tasks || []) {
    held.add(t.task);
    let c = S.chats.get(t.task);
    if (!c) {
      c = openChat({ task: t.task, brand: t.brand, topic: t.topic, status: t.status });
      c.loadHistory(true);
    } else {
      c.setStatus(t.status);
    }
  }
  // Chats the server took from us while we were away, with when and why (welcome.taken_back,
  // said once): a notice each, and the chat's tab, when still shown, read-only with the reason.
  const told = onTakenBack(w.taken_back, held);
  // A chat we held but the server no longer lists, and welcome.taken_back does not name (an
  // older server), went back to the queue while we were away (the server gives an expert's
  // chats to others after its grace period, 60 s by default): what we know is the gap.
  const gap = S.lostAt ? [S.lostAt, Date.now()] : null;
  for (const c of S.chats.values()) if (!c.ended && !held.has(c.task) && !told.has(c.task)) c.takenBack(gap);
  S.lostAt = 0;
  // Offers are stale after a gap: drop them; going available resends the backlog.
  clearOffers();
  sendPresence();
  loadCanned(S.client);
  showSupervise(w.role, S.client);
  showWork(w.role, S.client);
  if (!S.active && S.chats.size) activate(S.chats.keys().next().value, false);
}

/* ------------------------------------------------------------- taken back */

const dayTimeFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
function whenText(at) {
  const d = new Date(at || Date.now());
  return d.toDateString() === new Date().toDateString() ? timeFmt.format(d) : dayTimeFmt.format(d);
}

/** What the expert is told about one welcome.taken_back item. */
function takenText(t, name) {
  const at = whenText(t.at);
  const chat = `Your chat with ${name}`;
  const queue = isStaff() ? 'the brand’s staff' : 'the queue';
  switch (t.reason) {
    case 'disconnected':
      return `${chat} was given back to ${queue} at ${at} because you were disconnected for too long.`;
    case 'deactivated':
      return `${chat} was given back to ${queue} at ${at} because your account was deactivated.`;
    case 'reassigned':
      return `${chat} was reassigned to another expert by the brand’s staff at ${at}.`;
    case 'taken_over':
      return `${chat} was taken over by ${t.by?.name || 'a staff member'} (staff) at ${at}.`;
    default:
      return `${chat} was taken back at ${at}.`;
  }
}

/** welcome.taken_back: returns the tasks it names (the gap guess is not needed for those). */
function onTakenBack(list, held) {
  const told = new Set();
  for (const t of Array.isArray(list) ? list : []) {
    if (!t || typeof t.task !== 'string' || held.has(t.task)) continue; // ours again since
    told.add(t.task);
    const c = S.chats.get(t.task);
    const text = takenText(t, t.customer?.name || c?.customer || 'a customer');
    if (c && (!c.ended || c.status === 'taken')) c.takenBackFor(t, text);
    // said already as it happened (a reassign or take-over while we were here)
    if (S.toldLive.has(t.task)) continue;
    addTakenNotice({ task: t.task, reason: String(t.reason || ''), text });
  }
  return told;
}

function addTakenNotice(n) {
  S.taken = S.taken.filter((x) => x.task !== n.task).concat(n);
  saveTakenNotices();
  renderTakenNotices();
  announce(n.text, true);
}

function dismissTakenNotice(task) {
  const i = S.taken.findIndex((x) => x.task === task);
  S.taken = S.taken.filter((x) => x.task !== task);
  saveTakenNotices();
  renderTakenNotices();
  // focus stays in the list while notices are left, else goes back to the page
  const buttons = $('taken-notices').querySelectorAll('button');
  (buttons[Math.min(i, buttons.length - 1)] || $('main')).focus();
}

function saveTakenNotices() {
  try {
    if (S.taken.length) sessionStorage.setItem(TAKEN_KEY, JSON.stringify({ user: S.claims?.sub, role: S.claims?.role, notices: S.taken }));
    else sessionStorage.removeItem(TAKEN_KEY);
  } catch {}
}

/** The notices not yet dismissed in this tab (the server says each once): after a reload too. */
function loadTakenNotices() {
  S.taken = [];
  try {
    const saved = JSON.parse(sessionStorage.getItem(TAKEN_KEY) || 'null');
    if (saved && saved.user === S.claims?.sub && saved.role === S.claims?.role && Array.isArray(saved.notices))
      S.taken = saved.notices.filter((n) => n && typeof n.task === 'string' && typeof n.text === 'string');
  } catch {}
  renderTakenNotices();
}

function renderTakenNotices() {
  const ul = $('taken-notices');
  ul.replaceChildren(
    ...S.taken.map((n) =>
      h('li', { class: 'taken-notice', 'data-task': n.task, 'data-reason': n.reason || '' },
        h('span', { class: 'taken-text', text: n.text }),
        h('button', { type: 'button', class: 'secondary', text: 'Dismiss', 'aria-label': `Dismiss: ${n.text}`, onclick: () => dismissTakenNotice(n.task) }))),
  );
  ul.hidden = S.taken.length === 0;
}

function onMessage(m) {
  if (onSuperviseMessage(m)) return; // a chat this staff member watches, not one of ours
  switch (m.type) {
    case 'presence':
      onPresence(m);
      break;
    case 'offer':
      addOffer(m);
      break;
    case 'offer.withdrawn':
      withdrawOffer(m.task, m.reason);
      break;
    case 'task.assigned':
      onAssigned(m);
      break;
    case 'task.update': {
      const c = S.chats.get(m.task);
      if (c) c.onUpdate(m);
      if (m.status !== 'queued' && S.offers.has(m.task) && !S.offers.get(m.task).claiming) withdrawOffer(m.task, m.status);
      break;
    }
    case 'chat.message':
      S.chats.get(m.task)?.addMessage(m, true);
      break;
    case 'chat.whisper':
      S.chats.get(m.task)?.addWhisper(m);
      break;
    case 'chat.ack':
      S.chats.get(m.task)?.confirm(m.cid, m.id, m.ts);
      break;
    case 'chat.typing':
      S.chats.get(m.task)?.peerTyping(m.from);
      break;
    case 'error':
      if (!m.ref) showBanner(m.message || m.code, null, true);
      break;
    default:
      break;
  }
}

/* --------------------------------------------------------------- presence */

function sendPresence() {
  const frame = { type: 'presence.set', status: S.prefs.available ? 'available' : 'away' };
  if (S.prefs.capacity) frame.capacity = S.prefs.capacity;
  S.client?.request(frame).catch((e) => {
    if (e.code !== 'disconnected') showBanner(`Could not change presence: ${e.message}`, null, true);
  });
}

function onPresence(p) {
  const avail = p.status === 'available';
  $('available').checked = avail;
  $('available-label').textContent = avail ? 'Available' : 'Away';
  document.body.dataset.presence = p.status;
  S.presence = p.status;
  $('offers-empty').textContent = avail ? 'No offers right now. New ones appear here.' : 'No offers. Set yourself available to receive them.';
  if (p.capacity) {
    S.capacity = p.capacity;
    if (p.max_capacity) S.maxCapacity = p.max_capacity;
    fillCapacity(p.capacity); // the server may lower it to the admin's ceiling
    const lowered = S.prefs.capacity && S.maxCapacity && S.prefs.capacity > S.maxCapacity;
    $('capacity-note').hidden = !lowered;
    $('capacity-note').textContent = lowered
      ? `Your limit is ${S.maxCapacity} chats at a time, set by your administrator.`
      : '';
  }
  renderActive();
  // Offers held stay when going away: the server keeps them ours (and withdraws them when
  // they go) and does not send them again when we come back.
  pollQueue(true);
}

function renderActive() {
  let n = 0;
  for (const c of S.chats.values()) if (!c.ended) n++;
  $('active').textContent = `${n} of ${S.capacity || '?'} active`;
}

// Options up to the ceiling the server told us (10 until it has).
function fillCapacity(value) {
  const sel = $('capacity');
  const max = S.maxCapacity || 10;
  if (sel.options.length !== max) {
    sel.replaceChildren(...Array.from({ length: max }, (_, i) => h('option', { value: String(i + 1), text: String(i + 1) })));
  }
  sel.title = S.maxCapacity ? `At most ${max}, set by your administrator` : '';
  sel.value = String(value);
}

/* ----------------------------------------------------------------- offers */

// Why an offer went, in words (offer.withdrawn reasons, and what a failed claim implies).
// Whatever the reason, the offer is gone; an unknown one gets the generic note.
const WITHDRAWN = {
  claimed: 'Taken by another expert.',
  cancelled: 'The customer left.',
  expired: 'Expired.',
  displaced: 'Made way for a more urgent task; it comes back when you have room.',
  declined: 'Skipped. It will not be offered to you again.',
  conflict: 'Taken by another expert.',
  assigned: 'Taken by another expert.',
};

function sortOffers() {
  const ul = $('offers');
  const items = [...S.offers.values()].filter((o) => !o.gone);
  items.sort((a, b) => (b.offer.priority || 0) - (a.offer.priority || 0) || a.offer.created_at - b.offer.created_at);
  for (const o of items) ul.append(o.el);
  for (const o of S.offers.values()) if (o.gone) ul.append(o.el);
}

function openOffers() {
  let n = 0;
  for (const o of S.offers.values()) if (!o.gone) n++;
  return n;
}

function updateOfferCount() {
  const n = openOffers();
  updateTitle();
  $('offer-count').textContent = String(n);
  $('offers-empty').hidden = S.offers.size > 0;
  const was = S.quiet.open;
  S.quiet.open = n;
  if (n) pollQueue(); // offers say enough: the line goes
  else if (was) pollQueue(true); // the last offer went: why is it quiet now?
}

function addOffer(o) {
  if (S.chats.has(o.task) && !S.chats.get(o.task).ended) return;
  const known = S.offers.get(o.task);
  if (known && !known.gone) {
    known.offer = o; // idempotent per task: refresh the data, keep the element
    return;
  }
  if (known) known.el.remove();
  const staff = isStaff();
  // Staff are the brand's own employees: the crowd expert's pay is none of their business.
  const label = `${o.topic} in ${String(o.language).toUpperCase()} for ${o.brand}${staff ? ', escalated' : `, pays ${money(o.pay)}`}`;
  const claim = h('button', { type: 'button', class: 'primary claim', text: 'Claim', 'aria-label': `Claim: ${label}` });
  const skip = h('button', { type: 'button', class: 'secondary decline', text: 'Skip', 'aria-label': `Skip: ${label}` });
  const countdown = h('time', { class: 'countdown' });
  const waited = h('span', { class: 'waited' });
  const note = h('p', { class: 'note', role: 'status' });
  const handover = HANDOVER[o.handover];
  const el = h('li', { class: 'offer', tabindex: '0', 'data-task': o.task, 'aria-keyshortcuts': 'Enter Delete', 'aria-label': `Offer: ${label}. Press Enter to claim${staff ? '' : ', Delete to skip'}.` },
    h('div', { class: 'top' },
      h('span', { class: 'brand', text: o.brand }),
      h('span', { class: 'chip topic', text: o.topic }),
      h('span', { class: 'chip lang', text: String(o.language).toUpperCase() }),
      o.priority ? h('span', { class: 'chip prio', text: `priority ${o.priority}` }) : null,
      handover ? h('span', { class: 'chip handover', text: handover }) : null,
      o.offline ? h('span', { class: 'chip offline', text: 'offline message' }) : null), // answered by e-mail
    h('p', { class: 'preview', text: o.preview || '' }),
    staff ? escalationInfo(o) : null,
    h('div', { class: 'bottom' }, staff ? null : h('span', { class: 'pay', text: money(o.pay) }), countdown, staff ? null : skip, claim),
    staff ? null : waited,
    note);
  const entry = { offer: o, el, countdown, waited, note, staff, claiming: false, skipping: false, gone: false };
  S.offers.set(o.task, entry);
  claim.addEventListener('click', () => claimOffer(o.task));
  skip.addEventListener('click', () => skipOffer(o.task));
  el.addEventListener('keydown', (ev) => {
    if (ev.target !== el) return;
    if (ev.key === 'Enter') {
      ev.preventDefault();
      claimOffer(o.task);
    } else if (ev.key === 'Delete') {
      ev.preventDefault();
      skipOffer(o.task);
    }
  });
  tickOffer(entry, Date.now());
  $('offers').append(el);
  sortOffers();
  updateOfferCount();
  announce(`New offer: ${label}.`);
  notifyOffer(o, label);
}

// offer.handover is not in gigcx.v1 (yet): shown when a server sends it.
const HANDOVER = { released: 'released by an expert', requeued: 'back in queue: its expert went silent' };

/** Why a staff member is offered this task: the expert's reason and name, when the offer
 *  carries them (gigcxd sends them with task.assigned; the offer may not have them). */
function escalationInfo(o) {
  const by = o.escalated_by?.name;
  const reason = o.escalation_reason;
  if (!by && !reason) return h('p', { class: 'esc-reason', text: 'Escalated; the reason shows once you claim it.' });
  return h('p', { class: 'esc-reason' }, reason ? `Reason: ${reason}` : 'Escalated', by ? h('span', { class: 'esc-by', text: ` (by ${by})` }) : null);
}

function isStaff() {
  return (S.client?.welcome?.role || S.claims?.role) === 'staff';
}

function tickOffer(entry, now) {
  if (entry.gone) return;
  const o = entry.offer;
  entry.waited.textContent = `Customer waiting ${mmss(now - o.created_at)}`;
  if (entry.staff) return tickStaffOffer(entry, now);
  const left = entry.offer.expires_at - now;
  entry.countdown.textContent = left > 0 ? `${mmss(left)} left` : 'expired';
  entry.countdown.dateTime = new Date(entry.offer.expires_at).toISOString();
  entry.countdown.classList.toggle('soon', left < 60000);
  if (left <= 0) entry.el.querySelector('.claim').disabled = true;
}

/** An escalation has its own clock: it started when the task was escalated (the queue
 *  time-out of expires_at is long past for a task escalated on time-out) and it does not
 *  expire; it stays until someone takes it or the customer leaves. */
function tickStaffOffer(entry, now) {
  const o = entry.offer;
  const since = o.escalated_at || o.created_at;
  entry.countdown.textContent = o.escalated_at ? `escalated ${mmss(now - since)} ago` : `customer waiting ${mmss(now - since)}`;
  entry.countdown.dateTime = new Date(since).toISOString();
  entry.countdown.classList.remove('soon');
}

function setOfferButtons(entry, disabled) {
  for (const b of entry.el.querySelectorAll('.bottom button')) b.disabled = disabled;
}

async function claimOffer(task) {
  const entry = S.offers.get(task);
  if (!entry || entry.gone || entry.claiming || entry.skipping) return;
  if (!S.client?.online) {
    entry.note.textContent = 'Not connected; try again in a moment.';
    return;
  }
  entry.claiming = true;
  const btn = entry.el.querySelector('.claim');
  setOfferButtons(entry, true);
  btn.textContent = 'Claiming…';
  entry.note.textContent = '';
  try {
    await S.client.request({ type: 'task.claim', task });
    // task.assigned is handled in onMessage (it carries our ref)
  } catch (e) {
    entry.claiming = false;
    setOfferButtons(entry, false);
    btn.textContent = 'Claim';
    if (e.code === 'conflict') {
      withdrawOffer(task, 'conflict');
    } else if (e.code === 'capacity') {
      entry.note.textContent = 'You are at capacity: finish a chat or raise your capacity.';
    } else if (e.code === 'forbidden') {
      withdrawOffer(task, 'forbidden', 'You are not eligible for this task.');
    } else if (e.code === 'not_found') {
      withdrawOffer(task, 'cancelled', 'This task no longer exists.');
    } else {
      entry.note.textContent = `Could not claim: ${e.message}`;
    }
    announce(entry.note.textContent || 'Claim failed', true);
  }
}

/** offer.decline: the server answers offer.withdrawn {reason: "declined"} and never offers
 *  this task to us again (until it is requeued). */
async function skipOffer(task) {
  const entry = S.offers.get(task);
  if (!entry || entry.staff || entry.gone || entry.claiming || entry.skipping) return;
  if (!S.client?.online) {
    entry.note.textContent = 'Not connected; try again in a moment.';
    return;
  }
  entry.skipping = true;
  // the disabled button would drop the focus to the page: keep it on the card meanwhile
  if (entry.el.contains(document.activeElement)) entry.el.focus();
  const btn = entry.el.querySelector('.decline');
  setOfferButtons(entry, true);
  btn.textContent = 'Skipping…';
  entry.note.textContent = '';
  try {
    await S.client.request({ type: 'offer.decline', task });
    withdrawOffer(task, 'declined'); // the reply is that offer.withdrawn (onMessage saw it first)
  } catch (e) {
    entry.skipping = false;
    btn.textContent = 'Skip';
    if (e.code === 'not_found') {
      withdrawOffer(task, 'gone', 'This offer is no longer open.');
    } else if (e.code === 'bad_request') {
      withdrawOffer(task, 'declined', 'Skipped.'); // a server without offer.decline: hide it here
    } else {
      setOfferButtons(entry, false);
      entry.note.textContent = `Could not skip: ${e.message}`;
      announce(entry.note.textContent, true);
    }
  }
}

function withdrawOffer(task, reason, text) {
  const entry = S.offers.get(task);
  if (!entry || entry.gone) return;
  if (entry.claiming && reason === 'claimed') return; // our own claim decides
  const wasFocused = entry.el.contains(document.activeElement); // before it stops being focusable
  entry.gone = true;
  entry.el.classList.add('gone');
  entry.el.removeAttribute('tabindex');
  entry.note.textContent = text || WITHDRAWN[reason] || 'No longer available.';
  entry.el.dataset.reason = reason;
  if (wasFocused) focusNextOffer(entry.el);
  announce(`Offer ${entry.offer.topic} withdrawn: ${entry.note.textContent}`);
  sortOffers();
  updateOfferCount();
  setTimeout(() => {
    if (S.offers.get(task) === entry) {
      S.offers.delete(task);
      entry.el.remove();
      updateOfferCount();
    }
  }, 4000);
}

function focusNextOffer(from) {
  const next = [...$('offers').querySelectorAll('.offer[tabindex]')].find((el) => el !== from);
  (next || $('available')).focus();
}

function clearOffers() {
  for (const e of S.offers.values()) e.el.remove();
  S.offers.clear();
  updateOfferCount();
}
function markOffersStale(drop = false) {
  if (drop) clearOffers();
  for (const e of S.offers.values()) setOfferButtons(e, true);
}

setInterval(() => {
  const now = Date.now();
  for (const e of S.offers.values()) tickOffer(e, now);
  for (const e of S.offers.values()) if (!e.gone && !e.staff && e.offer.expires_at <= now - 5000) withdrawOffer(e.offer.task, 'expired');
}, 1000);

/* ------------------------------------------------------- why it is quiet */

// With no open offer the console asks queue.get {} every QUEUE_POLL_MS (and at once when
// presence is answered, a chat ends or the last offer goes) and says in one line why
// nothing comes: nothing queued, the waves have not reached this expert yet, or no free
// slot. One request at a time; none while offers are shown or the socket is down.

function queueWanted() {
  return S.claims?.role === 'expert' && !!S.presence && !!S.client?.online && !S.quiet.unsupported && openOffers() === 0;
}

/** Asks now (soon = true) or at the next tick; without a reason to ask, stops and hides the line. */
function pollQueue(soon = false) {
  const q = S.quiet;
  clearTimeout(q.timer);
  q.timer = 0;
  if (!queueWanted()) {
    q.again = false;
    $('quiet').hidden = true;
    return;
  }
  if (q.busy) {
    q.again ||= soon; // one request in flight at a time: ask again when it is answered
    return;
  }
  q.timer = setTimeout(askQueue, soon ? 0 : QUEUE_POLL_MS);
}

async function askQueue() {
  const q = S.quiet;
  q.timer = 0;
  if (q.busy || !queueWanted()) return;
  q.busy = true;
  const client = S.client;
  let answer = null;
  try {
    answer = await client.request({ type: 'queue.get' });
  } catch (e) {
    // bad_request: a server without queue.get; say nothing rather than guess
    if (e.code === 'bad_request' || e.code === 'forbidden') q.unsupported = true;
  } finally {
    q.busy = false;
  }
  if (client !== S.client) return;
  if (answer && queueWanted()) showQueue(answer);
  const again = q.again;
  q.again = false;
  pollQueue(again);
}

const tasksText = (n) => `${n} ${n === 1 ? 'task' : 'tasks'}`;

/** queue {waiting, reached, wave} in words, one short line; wave is 0-based on the wire. */
function queueText({ waiting, reached, wave }, available, full) {
  const n = Number(waiting) || 0;
  const w = Number.isInteger(wave) ? wave + 1 : null;
  if (!available) {
    if (!n) return 'You are away. 0 tasks queued for your skills right now.';
    if (!reached && w) return `${tasksText(n)} waiting for your skills. Go available to be offered them in wave ${w}.`;
    return `${tasksText(n)} waiting for your skills. Go available to get offers.`;
  }
  if (!n) return 'Waiting for work: 0 tasks queued for your skills.';
  if (reached > 0) return full ? `${tasksText(n)} waiting; offers come as soon as you have a free slot.` : `${tasksText(n)} waiting; offers are on their way.`;
  if (w) return `${tasksText(n)} waiting for experts with your skills; you are in wave ${w}.`;
  return `${tasksText(n)} waiting for your skills.`;
}

function showQueue(answer) {
  let active = 0;
  for (const c of S.chats.values()) if (!c.ended) active++;
  const el = $('quiet');
  el.textContent = queueText(answer, S.presence === 'available', !!S.capacity && active >= S.capacity);
  el.title = Number.isInteger(answer.wave) ? 'New tasks are offered in waves, best-rated experts first.' : '';
  el.dataset.waiting = String(answer.waiting ?? '');
  el.dataset.reached = String(answer.reached ?? '');
  el.dataset.wave = answer.wave == null ? '' : String(answer.wave);
  el.hidden = false;
}

function onAssigned(a) {
  const o = S.offers.get(a.task);
  if (o) {
    S.offers.delete(a.task);
    o.el.remove();
    updateOfferCount();
  }
  let c = S.chats.get(a.task);
  if (!c || c.ended) {
    c?.destroy();
    c = openChat(a);
  } else {
    c.setMeta(a);
  }
  c.setStatus(a.status || 'assigned');
  for (const m of a.history || []) c.addMessage(m, false);
  c.hasMore = (a.history || []).length >= 200;
  c.renderOlderButton();
  c.loadNotes();
  c.scrollToEnd();
  activate(a.task, true);
  announce(`Chat started with ${c.customer || 'the customer'}.`);
}

/* ------------------------------------------------------------------ chats */

// Web addresses in chat text become links. Built with DOM nodes (text stays text: nothing
// here is ever parsed as HTML); only http(s) URLs that parse become links, they open in a
// new tab without giving it a handle on this page (noopener) or telling it where the
// click came from (noreferrer).
const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

function linkify(text) {
  const out = [];
  let at = 0;
  for (const m of String(text || '').matchAll(URL_RE)) {
    const raw = m[0].replace(/[.,;:!?)\]}'"]+$/, ''); // trailing punctuation ends the sentence, not the URL
    const href = safeHref(raw);
    if (!href) continue;
    out.push(text.slice(at, m.index), h('a', { href, target: '_blank', rel: 'noopener noreferrer', text: raw }));
    at = m.index + raw.length;
  }
  out.push(text.slice(at));
  return out.filter((x) => x !== '');
}

function safeHref(raw) {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

const ROLE_NAME = { customer: 'Customer', expert: 'Expert', staff: 'Staff' };

const STATUS_TEXT = {
  assigned: 'Active',
  escalated: 'Escalated',
  resolved: 'Resolved',
  cancelled: 'The customer left',
  expired: 'Expired',
  queued: 'Released to the queue',
  taken: 'Taken back',
  closed: 'Closed',
};

class Chat {
  constructor(info) {
    this.task = info.task;
    this.msgs = new Map(); // id -> li
    this.ids = []; // sorted ids
    this.pending = new Map(); // cid -> li (ours, not yet acked)
    this.newest = null;
    this.oldest = null;
    this.hasMore = true;
    this.loadingOlder = false;
    this.unread = 0;
    this.ended = false;
    this.status = 'assigned';
    this.lastTypingSent = 0;
    this.typingTimer = 0;
    this.build();
    this.setMeta(info);
  }

  build() {
    const t = this.task;
    this.badge = h('span', { class: 'badge', hidden: true });
    this.tabLabel = h('span', { class: 'tab-label' });
    this.tab = h('button', { type: 'button', role: 'tab', class: 'tab', id: `tab-${t}`, 'aria-controls': `panel-${t}`, 'aria-selected': 'false', tabindex: '-1', 'data-task': t },
      this.tabLabel, this.badge);
    this.tab.addEventListener('click', () => activate(t, true));
    this.tab.addEventListener('keydown', (ev) => tabKeys(ev, t));
    this.meta = h('div', { class: 'meta' });
    this.statusPill = h('span', { class: 'status-pill' });
    // Each action opens a small form first: that is the confirmation, and where the
    // optional release reason and resolve summary (both in the protocol) are written.
    this.forms = {};
    this.btnResolve = this.actionButton('resolve', 'Resolve…', 'secondary');
    this.btnEscalate = this.actionButton('escalate', 'Escalate…', 'secondary');
    this.btnRelease = this.actionButton('release', 'Release…', 'secondary danger');
    this.actions = h('div', { class: 'actions' }, this.btnResolve, this.btnEscalate, this.btnRelease);
    this.summary = this.actionForm('resolve', 'Summary for the record (optional)', 'Resolve chat', () => this.resolve());
    this.reason = this.actionForm('escalate', 'Reason for escalating', 'Escalate', () => this.escalate(), true);
    this.releaseReason = this.actionForm('release', 'Why are you releasing it? (optional)', 'Release to the queue', () => this.release());
    this.escForm = this.forms.escalate;
    this.notice = h('p', { class: 'notice', role: 'alert' });
    this.olderBtn = h('button', { type: 'button', class: 'secondary older', text: 'Load earlier messages', onclick: () => this.loadHistory(false) });
    this.list = h('ol', { class: 'msgs' });
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0' }, this.olderBtn, this.list);
    this.log.addEventListener('scroll', () => {
      if (this.log.scrollTop < 40 && this.hasMore && !this.loadingOlder && this.ids.length) this.loadHistory(false);
    });
    this.typing = h('p', { class: 'typing', 'aria-live': 'polite' });
    this.input = h('textarea', { id: `in-${t}`, rows: '2', maxlength: '4000', placeholder: 'Write a message… (Enter sends, Shift+Enter for a new line)' });
    this.sendBtn = h('button', { type: 'submit', class: 'primary', text: 'Send' });
    this.composer = h('form', { class: 'composer' }, h('label', { for: `in-${t}`, class: 'vh', text: 'Message' }), this.input, this.sendBtn);
    attachCanned(this.input, this.composer); // first: Enter on a chosen response inserts it
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener('input', () => this.typed());
    this.composer.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.send();
    });
    this.endedNote = h('div', { class: 'ended-note', hidden: true },
      h('span', { class: 'ended-text' }),
      h('button', { type: 'button', class: 'secondary', text: 'Close tab', onclick: () => closeChat(t) }));
    this.panel = h('section', { role: 'tabpanel', class: 'panel', id: `panel-${t}`, 'aria-labelledby': `tab-${t}`, hidden: true, 'data-task': t },
      h('header', { class: 'chat-head' }, this.meta, this.statusPill, this.actions),
      this.forms.resolve, this.forms.escalate, this.forms.release, this.notice, this.log, this.typing, this.endedNote, this.composer);
    $('tabs').append(this.tab);
    $('panels').append(this.panel);
  }

  actionButton(kind, text, cls) {
    return h('button', { type: 'button', class: `${cls} act-${kind}`, text, 'aria-expanded': 'false', 'aria-controls': `${kind}-form-${this.task}`, onclick: () => this.toggleForm(kind) });
  }

  /** An inline form: one text field, a confirm button and Cancel; returns the field. */
  actionForm(kind, label, confirm, run, required = false) {
    const id = `${kind === 'escalate' ? 'reason' : kind}-${this.task}`;
    const field = h('input', { type: 'text', id, maxlength: '1000', required, autocomplete: 'off' });
    const form = h('form', { class: `inline-form ${kind}-form`, id: `${kind}-form-${this.task}`, hidden: true },
      h('label', { for: id, text: label }), field,
      h('button', { type: 'submit', class: 'primary', text: confirm }),
      h('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: () => this.toggleForm(kind, false) }));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      run();
    });
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') this.toggleForm(kind, false);
    });
    this.forms[kind] = form;
    return field;
  }

  toggleForm(kind, show = this.forms[kind].hidden) {
    for (const [k, f] of Object.entries(this.forms)) {
      f.hidden = k !== kind || !show;
      this.actions.querySelector(`.act-${k}`)?.setAttribute('aria-expanded', String(k === kind && show));
    }
    if (show) this.forms[kind].querySelector('input').focus();
    else this.actions.querySelector(`.act-${kind}`).focus();
  }

  closeForms() {
    for (const [k, f] of Object.entries(this.forms)) {
      f.hidden = true;
      this.actions.querySelector(`.act-${k}`)?.setAttribute('aria-expanded', 'false');
    }
  }

  /** A line in the conversation saying who has the chat now (not a message). */
  line(text) {
    this.list.append(h('li', { class: 'handover-line', role: 'note', text }));
    this.scrollToEnd();
  }

  /** task.update from the server: ours (the answer to an action) or the server's own. */
  onUpdate(m) {
    const me = S.client?.welcome?.name || S.claims?.name;
    if (!this.ended && m.reason === 'taken_over' && m.expert?.name !== me) return this.takenOver(m.expert?.name);
    if (!this.ended && m.status === 'queued' && m.reason === 'reassigned') return this.reassigned();
    if (!this.ended && m.status === 'queued' && !this.releasing) return this.takenBack(null);
    if (!this.ended && m.expert?.name && me && m.expert.name !== me && (m.status === 'assigned' || m.status === 'escalated')) {
      const at = timeFmt.format(new Date());
      this.endText = `Taken back at ${at}: ${m.expert.name} has this chat now.`;
      this.line(`${m.expert.name} took over at ${at}.`);
      return this.setStatus('taken');
    }
    this.setStatus(m.status);
  }

  /** A staff member of the brand took the chat over: the tab closes, a banner says who. */
  takenOver(name) {
    S.toldLive.add(this.task);
    const who = name || 'A staff member';
    const customer = this.customer || 'the customer';
    closeChat(this.task);
    showBanner(`${who} (staff) took over your chat with ${customer}.`, null, false);
    $('banner').dataset.reason = 'taken_over';
    announce(`${who} took over your chat with ${customer}.`, true);
    pollQueue(true);
  }

  /** The brand's staff sent this chat to another expert: read-only, with a note. */
  reassigned() {
    S.toldLive.add(this.task);
    const at = timeFmt.format(new Date());
    this.endText = `Reassigned at ${at}: the brand’s staff sent this chat to another expert.`;
    this.line(`Reassigned by the brand’s staff at ${at}.`);
    this.setStatus('taken');
  }

  /** An internal note from the brand's staff: shown apart, never sent to the customer. */
  addWhisper(m) {
    if (!m?.id || this.list.querySelector(`.msg.whisper[data-wid="${CSS.escape(m.id)}"]`)) return;
    const li = h('li', { class: 'msg whisper', 'data-wid': m.id, role: 'note' },
      h('div', { class: 'bubble' },
        h('span', { class: 'who', text: `Internal note from ${m.from?.name || 'staff'} · the customer cannot see this` }),
        h('p', { class: 'text' }, linkify(m.text)),
        h('span', { class: 'meta' }, h('time', { class: 'ts', text: m.ts ? timeFmt.format(new Date(m.ts)) : '' }))));
    this.list.insertBefore(li, this.list.querySelector('.msg.pending'));
    this.scrollToEnd();
    if (S.active !== this.task) announce(`Internal note from ${m.from?.name || 'staff'}.`);
  }

  /** The whispers of this chat so far (chat.notes); an older server's refusal is ignored. */
  async loadNotes() {
    try {
      const r = await S.client.request({ type: 'chat.notes', task: this.task });
      for (const w of r.whispers || []) this.addWhisper(w);
    } catch {}
  }

  /** The server gave this chat to the queue without our asking; gap = [lost, back] or null. */
  takenBack(gap) {
    if (!gap) S.toldLive.add(this.task); // seen as it happened
    const at = timeFmt.format(new Date());
    this.endText = gap
      ? `Taken back while you were disconnected (${timeFmt.format(new Date(gap[0]))}–${timeFmt.format(new Date(gap[1]))}): ` +
        'a chat whose expert is gone longer than the grace period goes back to the queue for another expert.'
      : `Taken back at ${at}: the chat went back to the queue for another expert.`;
    this.line(gap ? 'Taken back while you were disconnected; back in the queue.' : `Taken back at ${at}; back in the queue.`);
    this.setStatus('taken');
  }

  /** welcome.taken_back named this chat: read-only, saying when and why. */
  takenBackFor(t, text) {
    this.endText = `${text} This chat is read-only.`;
    this.panel.dataset.takenReason = String(t.reason || '');
    const why = {
      disconnected: 'you were disconnected for too long',
      deactivated: 'your account was deactivated',
      reassigned: 'reassigned by the brand’s staff',
      taken_over: `taken over by ${t.by?.name || 'a staff member'} (staff)`,
    }[t.reason];
    this.line(`Taken back at ${whenText(t.at)}${why ? `: ${why}` : ''}.`);
    this.setStatus('taken');
  }

  setMeta(info) {
    if (info.brand) this.brand = info.brand;
    if (info.topic) this.topic = info.topic;
    if (info.language) this.language = info.language;
    if (info.pay) this.pay = info.pay;
    if (info.customer?.name) this.customer = info.customer.name;
    if (info.escalation_reason) this.escReason = info.escalation_reason;
    // offline message (widget form): nobody waits on the line; the brand e-mails the replies
    if (info.offline) this.offline = info.customer?.email || 'the customer';
    if (this.offline) this.panel.dataset.offline = 'true';
    const name = this.customer || 'Customer';
    this.tabLabel.textContent = `${name} · ${this.topic || ''}`;
    this.meta.replaceChildren(
      h('strong', { text: name }),
      ` · ${this.brand || ''} · ${this.topic || ''}${this.language ? ' · ' + this.language.toUpperCase() : ''}${this.pay ? ' · ' + money(this.pay) : ''}`,
      ...(this.escReason ? [h('div', { class: 'reason', text: `Escalated: ${this.escReason}` })] : []),
      ...(this.offline ? [h('div', { class: 'reason offline', text: `Offline message: the customer is not connected. Your replies are sent by e-mail to ${this.offline} when you resolve.` })] : []),
    );
    this.log.setAttribute('aria-label', `Messages with ${name}`);
    this.input.setAttribute('aria-label', `Message to ${name}`);
  }

  setStatus(status) {
    this.status = status;
    const role = S.claims?.role;
    const live = status === 'assigned' || (status === 'escalated' && role === 'staff');
    this.statusPill.textContent = STATUS_TEXT[status] || status;
    this.statusPill.dataset.status = status;
    this.panel.dataset.status = status;
    this.btnEscalate.hidden = role === 'staff';
    const wasEnded = this.ended;
    this.ended = !live;
    this.tab.classList.toggle('ended', this.ended);
    this.actions.hidden = this.ended;
    this.composer.hidden = this.ended;
    this.endedNote.hidden = !this.ended;
    if (this.ended) {
      this.closeForms();
      this.endedNote.querySelector('.ended-text').textContent =
        this.endText || (status === 'escalated' ? 'Escalated to the brand’s staff. Thank you!' : `${STATUS_TEXT[status] || status}. This chat is read-only.`);
      this.typing.textContent = '';
      if (!wasEnded) {
        announce(`Chat with ${this.customer || 'customer'}: ${STATUS_TEXT[status] || status}.`);
        pollQueue(true); // a slot came free: is anything waiting?
      }
    }
    updateComposerState();
    renderActive();
  }

  isMine(m) {
    const role = S.claims?.role;
    const name = S.client?.welcome?.name || S.claims?.name;
    return !!m.from && m.from.role === role && (!name || !m.from.name || m.from.name === name);
  }

  /** A sender's name; a customer's messages may come without one (an anonymous widget
   *  customer named only by the pre-chat form): the chat's customer, as its tab says. */
  who(from) {
    return from?.name || (from?.role === 'customer' && this.customer) || ROLE_NAME[from?.role] || '';
  }

  renderMsg(m, mine) {
    const li = h('li', { class: `msg ${mine ? 'mine' : 'theirs'}${m.from?.role === 'staff' && !mine ? ' other-staff' : ''}` },
      h('div', { class: 'bubble' },
        h('span', { class: 'who', text: mine ? 'You' : this.who(m.from) }),
        h('p', { class: 'text' }, linkify(m.text)),
        h('span', { class: 'meta' }, h('time', { class: 'ts' }), h('span', { class: 'tick', 'aria-label': '' }))));
    if (m.id) li.dataset.id = m.id;
    if (m.cid) li.dataset.cid = m.cid;
    this.stamp(li, m.ts, !!m.id);
    return li;
  }

  stamp(li, ts, sent) {
    const t = li.querySelector('.ts');
    if (ts) {
      t.textContent = timeFmt.format(new Date(ts));
      t.dateTime = new Date(ts).toISOString();
    }
    const tick = li.querySelector('.tick');
    if (li.classList.contains('mine')) {
      tick.textContent = sent ? '✓' : '…';
      tick.setAttribute('aria-label', sent ? 'sent' : 'sending');
    }
    li.classList.toggle('pending', !sent);
  }

  /** Inserts a stored message (deduplicated by id; ours replaces its pending copy). */
  addMessage(m, live) {
    if (!m || !m.id || this.msgs.has(m.id)) return;
    const nearBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
    let li = m.cid ? this.pending.get(m.cid) : null;
    const mine = li ? true : this.isMine(m);
    if (li) {
      this.pending.delete(m.cid);
      li.remove();
      li.dataset.id = m.id;
      this.stamp(li, m.ts, true);
    } else {
      li = this.renderMsg(m, mine);
    }
    this.insertSorted(m.id, li);
    if (live && !mine) {
      if (m.from) this.typing.textContent = '';
      if (S.active !== this.task || document.hidden) {
        this.unread++;
        this.renderBadge();
        if (S.active !== this.task) announce(`New message from ${m.from?.name || 'customer'}.`);
      }
    }
    if (nearBottom || mine) this.scrollToEnd();
  }

  insertSorted(id, li) {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareIds(ids[mid], id) < 0) lo = mid + 1;
      else hi = mid;
    }
    ids.splice(lo, 0, id);
    this.msgs.set(id, li);
    const before = lo + 1 < ids.length ? this.msgs.get(ids[lo + 1]) : null;
    if (before) this.list.insertBefore(li, before);
    else {
      // after every stored message, before our pending ones
      const firstPending = this.list.querySelector('.msg.pending');
      this.list.insertBefore(li, firstPending);
    }
    this.oldest = ids[0];
    this.newest = ids[ids.length - 1];
  }

  confirm(cid, id, ts) {
    const li = this.pending.get(cid);
    if (!li || !id) return;
    if (this.msgs.has(id)) {
      this.pending.delete(cid);
      li.remove();
      return;
    }
    this.pending.delete(cid);
    li.remove();
    li.dataset.id = id;
    this.stamp(li, ts, true);
    this.insertSorted(id, li);
  }

  failed({ cid, code, message }) {
    const li = this.pending.get(cid);
    if (!li) return;
    this.pending.delete(cid);
    li.classList.replace('pending', 'failed'); // not "sending" any more: it will not go
    const tick = li.querySelector('.tick');
    tick.textContent = '⚠ not sent';
    tick.setAttribute('aria-label', `not sent: ${message || code}`);
    this.notice.textContent = code === 'conflict' ? 'This chat has ended; the message was not sent.' : `Message not sent: ${message || code}`;
  }

  send() {
    const text = this.input.value.trim();
    if (!text || this.ended) return;
    if (text.length > 4000) {
      this.notice.textContent = 'Messages are limited to 4000 characters.';
      return;
    }
    const cid = randomId();
    const li = this.renderMsg({ text, cid, from: { role: S.claims.role }, ts: Date.now() }, true);
    this.pending.set(cid, li);
    this.list.append(li);
    this.input.value = '';
    this.lastTypingSent = 0; // the next keystroke announces typing again at once
    this.notice.textContent = '';
    this.scrollToEnd();
    S.client.sendChat(this.task, text, cid);
  }

  typed() {
    const now = Date.now();
    if (this.ended || now - this.lastTypingSent < TYPING_SEND_MS || !this.input.value) return;
    this.lastTypingSent = now;
    S.client?.send({ type: 'chat.typing', task: this.task });
  }

  peerTyping(from) {
    if (!from || from.role === S.claims?.role || this.ended) return;
    this.typing.textContent = `${from.name || 'The customer'} is typing…`;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => (this.typing.textContent = ''), TYPING_SHOW_MS);
  }

  async loadHistory(initial) {
    if (this.loadingOlder || (!initial && (!this.hasMore || !this.oldest))) return;
    this.loadingOlder = true;
    this.olderBtn.disabled = true;
    this.olderBtn.textContent = 'Loading…';
    const frame = { type: 'chat.history', task: this.task, limit: HISTORY_PAGE };
    if (!initial) frame.before = this.oldest;
    const prevHeight = this.log.scrollHeight;
    const prevTop = this.log.scrollTop;
    try {
      const r = await S.client.request(frame);
      const msgs = r.messages || [];
      for (const m of msgs) {
        this.addMessage(m, false);
        if (!this.customer && m.from?.role === 'customer' && m.from.name) this.setMeta({ customer: { name: m.from.name } });
      }
      this.hasMore = msgs.length >= HISTORY_PAGE;
      if (initial) this.loadNotes(); // whispers sent while we were away
      if (initial) this.scrollToEnd();
      else this.log.scrollTop = prevTop + (this.log.scrollHeight - prevHeight);
    } catch (e) {
      if (e.code !== 'disconnected') this.notice.textContent = `Could not load history: ${e.message}`;
    } finally {
      this.loadingOlder = false;
      this.renderOlderButton();
    }
  }

  renderOlderButton() {
    this.olderBtn.hidden = !this.hasMore;
    this.olderBtn.disabled = false;
    this.olderBtn.textContent = 'Load earlier messages';
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  renderBadge() {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = String(this.unread);
    this.badge.setAttribute('aria-label', `${this.unread} unread`);
    updateTitle();
  }

  async act(frame, doneText) {
    this.notice.textContent = '';
    for (const b of this.actions.querySelectorAll('button')) b.disabled = true;
    try {
      const r = await S.client.request({ ...frame, task: this.task });
      if (r.status) this.setStatus(r.status === 'queued' ? 'queued' : r.status);
      announce(doneText);
      return r;
    } catch (e) {
      if (!this.ended) this.endText = '';
      this.notice.textContent =
        e.code === 'conflict' ? 'This chat is no longer in a state for that.' : e.code === 'disconnected' ? 'Not connected; try again when back online.' : e.message;
    } finally {
      for (const b of this.actions.querySelectorAll('button')) b.disabled = false;
    }
  }

  resolve() {
    const summary = this.summary.value.trim();
    this.closeForms();
    this.endText = `Resolved at ${timeFmt.format(new Date())}.${summary ? ` Summary: ${summary}` : ''}`;
    return this.act({ type: 'task.resolve', ...(summary && { summary }) }, 'Chat resolved.');
  }
  async release() {
    const reason = this.releaseReason.value.trim();
    this.closeForms();
    this.endText = `You released this chat at ${timeFmt.format(new Date())}${reason ? ` (${reason})` : ''}; it is back in the queue.`;
    this.releasing = true; // the task.update {queued} that answers is ours, not a take-back
    const staff = isStaff();
    try {
      const done = await this.act({ type: 'task.release', ...(reason && { reason }) }, staff ? 'Chat released to the brand’s staff.' : 'Chat released back to the queue.');
      if (done && staff) this.releasedByStaff();
    } finally {
      this.releasing = false;
    }
  }
  /** A staff release leaves the task "escalated", a status that looks live to staff, but the
   *  chat is no longer this member's (the server refuses their messages) and goes to the
   *  brand's other staff: close the tab rather than keep a composer that can only fail. */
  releasedByStaff() {
    closeChat(this.task);
    if (!S.active) $('available').focus(); // the focus was on the form that just went away
    pollQueue(true); // a slot came free: is anything waiting?
  }
  escalate() {
    const reason = this.reason.value.trim();
    if (!reason) {
      this.notice.textContent = 'Please give a reason for escalating.';
      this.reason.focus();
      return;
    }
    this.closeForms();
    return this.act({ type: 'task.escalate', reason }, 'Chat escalated.');
  }

  destroy() {
    clearTimeout(this.typingTimer);
    this.tab.remove();
    this.panel.remove();
  }
}

function openChat(info) {
  const c = new Chat(info);
  S.chats.set(info.task, c);
  c.setStatus(info.status || 'assigned');
  $('chats-empty').hidden = true;
  return c;
}

function closeChat(task) {
  const c = S.chats.get(task);
  if (!c) return;
  const keys = [...S.chats.keys()];
  const i = keys.indexOf(task);
  c.destroy();
  S.chats.delete(task);
  renderActive();
  if (S.active === task) {
    S.active = null;
    const next = keys[i + 1] || keys[i - 1];
    if (next && S.chats.has(next)) activate(next, true);
  }
  $('chats-empty').hidden = S.chats.size > 0;
  updateTitle();
}

function activate(task, focus) {
  const c = S.chats.get(task);
  if (!c) return;
  S.active = task;
  for (const o of S.chats.values()) {
    const on = o === c;
    o.tab.setAttribute('aria-selected', String(on));
    o.tab.tabIndex = on ? 0 : -1;
    o.panel.hidden = !on;
  }
  c.unread = 0;
  c.renderBadge();
  c.scrollToEnd();
  if (focus) (c.ended ? c.tab : c.input).focus();
}

/** Arrow keys, Home and End move the focus along the tabs without opening them (manual
 *  activation): passing over a chat must not mark it read. Enter or Space opens it. */
function tabKeys(ev, task) {
  const keys = [...S.chats.keys()];
  let i = keys.indexOf(task);
  if (ev.key === 'ArrowRight') i = (i + 1) % keys.length;
  else if (ev.key === 'ArrowLeft') i = (i - 1 + keys.length) % keys.length;
  else if (ev.key === 'Home') i = 0;
  else if (ev.key === 'End') i = keys.length - 1;
  else return;
  ev.preventDefault();
  for (const c of S.chats.values()) c.tab.tabIndex = -1;
  const tab = S.chats.get(keys[i]).tab;
  tab.tabIndex = 0;
  tab.focus();
}

/** The tab says what waits: unread messages in brackets, then open offers; the favicon
 *  carries the offer count for a tab among many. */
function updateTitle() {
  let n = 0;
  for (const c of S.chats.values()) n += c.unread;
  const offers = openOffers();
  document.title = `${n ? `(${n}) ` : ''}${offers ? `${offers} ${offers === 1 ? 'offer' : 'offers'} · ` : ''}gigcx console`;
  drawFavicon(offers);
}

let faviconCount = -1;
function drawFavicon(count) {
  if (count === faviconCount) return;
  faviconCount = count;
  const link = $('favicon');
  if (!link) return;
  if (!count) {
    link.href = 'data:,';
    return;
  }
  const c = document.createElement('canvas');
  c.width = c.height = 32;
  const g = c.getContext('2d');
  if (!g) return;
  g.fillStyle = '#b42318';
  g.beginPath();
  g.arc(16, 16, 16, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = '#fff';
  g.font = 'bold 20px sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText(count > 9 ? '9+' : String(count), 16, 17);
  link.href = c.toDataURL('image/png');
  link.dataset.count = String(count);
}

/* ------------------------------------------------------- offer alerts */

// Both alerts are opt-in (the checkboxes by presence). The sound needs an AudioContext made
// during a click (browsers keep audio muted until the user has interacted), so it is made
// when the box is ticked. Desktop notifications only when the browser permits them, and only
// while the console is not in front: on screen, the list and the title say enough.
let audio = null;

function beep() {
  if (!audio) return;
  if (audio.state === 'suspended') audio.resume().catch(() => {});
  const t = audio.currentTime;
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.frequency.value = 880;
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
  osc.connect(gain).connect(audio.destination);
  osc.start(t);
  osc.stop(t + 0.3);
}

function notifyOffer(o, label) {
  if (S.prefs.sound) beep();
  if (!S.prefs.desktop || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  if (!document.hidden && document.hasFocus()) return;
  try {
    const n = new Notification('New offer', { body: `${label}\n${o.preview || ''}`.trim(), tag: `offer-${o.task}` });
    n.onclick = () => {
      window.focus();
      S.offers.get(o.task)?.el.focus();
      n.close();
    };
  } catch {}
}

function setSound(on) {
  S.prefs.sound = on;
  savePrefs();
  if (!on) return;
  try {
    audio ||= new AudioContext();
    beep(); // a sample, so the user knows what to listen for
  } catch {
    S.prefs.sound = false;
    $('sound').checked = false;
  }
}

async function setDesktop(on) {
  S.prefs.desktop = false;
  if (on && typeof Notification !== 'undefined') {
    const p = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
    S.prefs.desktop = p === 'granted';
    if (!S.prefs.desktop) showBanner('Desktop alerts are blocked for this site in your browser’s settings.', null, true);
  }
  $('desktop').checked = S.prefs.desktop;
  savePrefs();
}

function updateComposerState() {
  const online = S.client?.state === 'online';
  for (const c of S.chats.values()) {
    c.sendBtn.title = online ? '' : 'Offline: the message is sent when the connection is back';
  }
  for (const e of S.offers.values()) {
    if (e.claiming || e.skipping || e.gone) continue;
    e.el.querySelector('.claim').disabled = !online || (!e.staff && e.offer.expires_at <= Date.now());
    const skip = e.el.querySelector('.decline');
    if (skip) skip.disabled = !online;
  }
}

function resetDesk() {
  S.taken = [];
  S.toldLive.clear();
  renderTakenNotices();
  for (const c of S.chats.values()) c.destroy();
  S.chats.clear();
  S.active = null;
  clearOffers();
  $('chats-empty').hidden = false;
  showBanner('');
  updateTitle();
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && S.active) {
    const c = S.chats.get(S.active);
    if (c) {
      c.unread = 0;
      c.renderBadge();
    }
  }
});

/* ------------------------------------------------------------------ wiring */

function init() {
  loadPrefs();
  fillCapacity(S.prefs.capacity || 3);
  $('signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    signIn($('token').value, $('remember').checked);
  });
  $('signout').addEventListener('click', () => {
    forgetToken();
    showSignIn('');
  });
  $('available').addEventListener('change', () => {
    S.prefs.available = $('available').checked;
    $('available-label').textContent = S.prefs.available ? 'Available' : 'Away';
    savePrefs();
    sendPresence();
  });
  $('sound').checked = false; // audio needs a click in this page first: ask again
  S.prefs.sound = false;
  $('desktop').checked = !!S.prefs.desktop && typeof Notification !== 'undefined' && Notification.permission === 'granted';
  $('sound').addEventListener('change', () => setSound($('sound').checked));
  $('desktop').addEventListener('change', () => setDesktop($('desktop').checked));
  $('capacity').addEventListener('change', () => {
    S.prefs.capacity = Number($('capacity').value);
    savePrefs();
    sendPresence();
  });
  initCannedPanel();
  initSupervise();
  initWork();
  loadDemoAccounts();
  const token = storedToken();
  if (token) signIn(token, !!localStorage.getItem(TOKEN_KEY));
  else showSignIn('');
}

init();
