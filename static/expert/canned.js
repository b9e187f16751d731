// Canned responses in the console: typing "/" at the start of a composer opens a picker
// of the brand's and one's own responses, filtered as one types (title and text); arrow
// keys choose, Enter or Tab inserts the text, Escape closes. A small "Canned" panel adds
// and deletes one's own. Frames: canned.list, canned.save, canned.delete (docs/protocol.md).
import { $, h } from '../lib/dom.js';

const PICK_MAX = 8; // rows shown at once
const C = { client: null, items: [], mine: [] };

/** Reads the list again (after welcome, a save or a delete); failures leave the old one. */
export async function loadCanned(client) {
  C.client = client;
  try {
    const r = await client.request({ type: 'canned.list' });
    C.mine = Array.isArray(r.mine) ? r.mine : [];
    C.items = [...C.mine.map((m) => ({ ...m, mine: true })), ...(Array.isArray(r.brand) ? r.brand : [])];
  } catch {
    return; // an older server, or offline: no picker entries, nothing else breaks
  }
  renderManage();
}

function matches(query) {
  const q = query.toLowerCase();
  return C.items.filter((c) => !q || `${c.title}\n${c.text}`.toLowerCase().includes(q)).slice(0, PICK_MAX);
}

/** Wires the picker to one composer textarea. Must be attached before the composer's own
 *  Enter handler: a chosen response is inserted, not sent. */
export function attachCanned(input, composer) {
  const list = h('ul', { class: 'canned-pick', role: 'listbox', 'aria-label': 'Canned responses', hidden: true });
  composer.prepend(list);
  const st = { open: false, at: 0, rows: [] };
  // The picker lies over the end of the conversation: while it is open the log gets that
  // much room below its last message, so the message being answered stays in view above it.
  const makeRoom = (on) => {
    const log = composer.closest('.panel')?.querySelector('.log');
    if (!log) return;
    const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.style.paddingBottom = on ? `${list.offsetHeight + 12}px` : ''; // CSSOM: fine under the CSP
    if (atEnd) log.scrollTop = log.scrollHeight;
  };
  const close = () => {
    st.open = false;
    list.hidden = true;
    input.removeAttribute('aria-activedescendant');
    makeRoom(false);
  };
  const render = () => {
    st.rows = matches(input.value.slice(1));
    st.at = Math.min(st.at, Math.max(0, st.rows.length - 1));
    list.replaceChildren(
      ...(st.rows.length
        ? st.rows.map((c, i) =>
            h('li', { role: 'option', class: `canned-opt${i === st.at ? ' on' : ''}`, 'aria-selected': String(i === st.at), 'data-id': c.id,
              onmousedown: (ev) => {
                ev.preventDefault();
                insert(c);
              } },
              h('strong', { text: c.title }), c.mine ? h('span', { class: 'chip', text: 'mine' }) : null,
              h('span', { class: 'canned-text', text: c.text })))
        : [h('li', { class: 'canned-none', text: C.items.length ? 'No canned response matches.' : 'No canned responses yet.' })]),
    );
    list.hidden = false;
    st.open = true;
    makeRoom(true);
  };
  const insert = (c) => {
    input.value = c.text;
    close();
    input.focus();
    input.dispatchEvent(new Event('input'));
  };
  input.addEventListener('input', () => {
    if (input.value.startsWith('/') && !input.value.includes('\n')) render();
    else if (st.open) close();
  });
  input.addEventListener('keydown', (ev) => {
    if (!st.open) return;
    if (ev.key === 'Escape') close();
    else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      const n = st.rows.length || 1;
      st.at = (st.at + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
      render();
    } else if ((ev.key === 'Enter' || ev.key === 'Tab') && st.rows.length) insert(st.rows[st.at]);
    else return;
    ev.preventDefault();
    ev.stopImmediatePropagation(); // the composer's Enter must not send "/..."
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
}

/* ---------------------------------------------------------- the manage panel */

function renderManage() {
  const ul = $('canned-mine');
  if (!ul) return;
  ul.replaceChildren(
    ...C.mine.map((c) =>
      h('li', { 'data-id': c.id }, h('strong', { text: c.title }), ' ', h('span', { class: 'canned-text', text: c.text }),
        h('button', { type: 'button', class: 'link canned-del', text: 'Delete', 'aria-label': `Delete ${c.title}`, onclick: () => remove(c.id) }))),
  );
  $('canned-empty').hidden = C.mine.length > 0;
}

async function remove(id) {
  try {
    await C.client.request({ type: 'canned.delete', id });
  } catch (e) {
    $('canned-error').textContent = e.message;
  }
  loadCanned(C.client);
}

async function save(ev) {
  ev.preventDefault();
  const title = $('canned-title').value.trim();
  const text = $('canned-body').value.trim();
  $('canned-error').textContent = '';
  if (!title || !text) {
    $('canned-error').textContent = 'A title and a text, please.';
    return;
  }
  try {
    await C.client.request({ type: 'canned.save', title, text });
    $('canned-title').value = '';
    $('canned-body').value = '';
  } catch (e) {
    $('canned-error').textContent = e.code === 'capacity' ? 'You have the most personal responses allowed; delete one first.' : e.message;
  }
  loadCanned(C.client);
}

export function initCannedPanel() {
  $('canned-toggle').addEventListener('click', () => {
    const p = $('canned-panel');
    p.hidden = !p.hidden;
    $('canned-toggle').setAttribute('aria-expanded', String(!p.hidden));
    if (!p.hidden) $('canned-title').focus();
  });
  $('canned-form').addEventListener('submit', save);
}
