/* gigcx customer chat widget. One tag on a brand's page:
 *   <script src="https://HOST/widget.js" data-widget-key="gxw_..." async></script>
 * Optional: data-color="#2454d6", data-lang="en|de", data-topic="billing", data-token="<customer token
 * the brand minted>" (or GigCX.identify(token) later): an identified customer, who finds the
 * chats the brand opened for them.
 * Draws a launcher and a chat panel inside a shadow root (the page's CSS cannot reach in,
 * ours cannot leak out), talks gigcx.v1 to the server the script came from, keeps its
 * customer token in localStorage per widget key so a reload or a second tab carries on. */
(function () {
  'use strict';
  try {
    performance.mark('gigcx-widget-start');
  } catch (e) {}
  var script = document.currentScript;
  if (!script || !/widget\.js/.test(script.src)) {
    var all = document.getElementsByTagName('script');
    for (var i = all.length - 1; i >= 0; i--) if (/\/widget\.js(?:[?#]|$)/.test(all[i].src)) { script = all[i]; break; }
  }
  if (!script || script.__gigcx) return;
  script.__gigcx = 1;
  var D = script.dataset, KEY = D.widgetKey || '';
  var ORIGIN = new URL(script.src, location.href).origin;
  var TOPIC = D.topic || 'general';
  var STORE = 'gigcx.widget.' + KEY;

  var T = {
    en: {
      launch: 'Chat with us', close: 'Close chat', title: 'Chat with us', hi: 'Hi! How can we help you today?',
      ph: 'Write a message…', send: 'Send', unavailable: 'Sorry, chat is not available right now. Please try again later.',
      connecting: 'Connecting…', reconnecting: 'Connection lost, reconnecting…', waiting: 'Waiting for an expert…',
      queued: 'You are number {n} in the queue.', assigned: '{name} is here to help.', typing: '{name} is typing…',
      sending: 'sending', sent: 'delivered', ended: 'This chat has ended.', rate: 'How did we do?', stars: '{n} of 5 stars',
      comment: 'Anything to add? (optional)', submit: 'Send rating', thanks: 'Thank you for your feedback!',
      again: 'Start a new chat', cancelled: 'You ended this chat.', expired: 'Sorry, no one was available. Please try again later.',
      escalated: 'We are passing you to our team. Someone will be with you shortly.', end: 'End chat', you: 'You',
      expert: 'Expert', error: 'Something went wrong. Please try again.', unread: 'new messages', message: 'Message',
      left: '{name} has left the chat. You are back in the queue; the next available expert will take over.',
      sure: 'End this chat?', keep: 'Keep chatting', norate: 'Thank you! We could not record a rating for this chat.',
      nobody: 'Sorry, nobody is available for this right now. Please try again later.',
      offline: 'Nobody is online right now. Leave us a message and we will answer by e-mail.',
      closed: 'We are closed right now. Leave us a message and we will answer by e-mail.',
      name: 'Your name', email: 'Your e-mail', leave: 'Send message', got: 'Thank you! We will answer by e-mail.',
      pre: 'Before we start, who are you?', go: 'Start chat'
    },
    de: {
      launch: 'Chatten Sie mit uns', close: 'Chat schließen', title: 'Chatten Sie mit uns', hi: 'Hallo! Wie können wir helfen?',
      ph: 'Nachricht schreiben…', send: 'Senden', unavailable: 'Der Chat ist gerade leider nicht verfügbar. Bitte versuchen Sie es später.',
      connecting: 'Verbinde…', reconnecting: 'Verbindung unterbrochen. Verbinde neu…', waiting: 'Warte auf eine Expertin oder einen Experten…',
      queued: 'Sie sind Nummer {n} in der Warteschlange.', assigned: '{name} hilft Ihnen gern.', typing: '{name} schreibt…',
      sending: 'wird gesendet', sent: 'zugestellt', ended: 'Dieser Chat ist beendet.', rate: 'Wie zufrieden waren Sie?', stars: '{n} von 5 Sternen',
      comment: 'Möchten Sie etwas ergänzen? (optional)', submit: 'Bewertung senden', thanks: 'Vielen Dank für Ihr Feedback!',
      again: 'Neuen Chat beginnen', cancelled: 'Sie haben diesen Chat beendet.', expired: 'Leider war niemand verfügbar. Bitte versuchen Sie es später.',
      escalated: 'Wir verbinden Sie mit unserem Team. Gleich ist jemand für Sie da.', end: 'Chat beenden', you: 'Sie',
      expert: 'Expertin/Experte', error: 'Etwas ist schiefgelaufen. Bitte erneut versuchen.', unread: 'neue Nachrichten', message: 'Nachricht',
      left: '{name} hat den Chat verlassen. Sie sind wieder in der Warteschlange; die nächste freie Person übernimmt.',
      sure: 'Chat beenden?', keep: 'Weiter chatten', norate: 'Vielen Dank! Ihre Bewertung konnte für diesen Chat nicht gespeichert werden.',
      nobody: 'Leider ist dafür gerade niemand verfügbar. Bitte versuchen Sie es später.',
      offline: 'Gerade ist niemand online. Hinterlassen Sie uns eine Nachricht, wir antworten per E-Mail.',
      closed: 'Wir haben gerade geschlossen. Hinterlassen Sie uns eine Nachricht, wir antworten per E-Mail.',
      name: 'Ihr Name', email: 'Ihre E-Mail', leave: 'Nachricht senden', got: 'Vielen Dank! Wir antworten per E-Mail.',
      pre: 'Bevor es losgeht: Wer sind Sie?', go: 'Chat starten'
    }
  };
  var LANG = (D.lang || document.documentElement.lang || navigator.language || 'en').slice(0, 2).toLowerCase();
  if (!T[LANG]) LANG = 'en';
  function t(k, v) {
    return T[LANG][k].replace(/\{(\w+)\}/g, function (_, n) { return v && v[n] != null ? v[n] : ''; });
  }
  var color = D.color && window.CSS && CSS.supports('color', D.color) ? D.color : '#2454d6';

  var CSS_TEXT =
    ':host{all:initial!important;display:block!important;position:fixed!important;right:16px!important;bottom:16px!important;' +
    'left:auto!important;top:auto!important;width:auto!important;height:auto!important;z-index:2147483000!important;' +
    'visibility:visible!important;opacity:1!important;transform:none!important;filter:none!important;contain:none!important;' +
    'pointer-events:auto!important;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif!important;color:#1b1f24!important}' +
    '*{box-sizing:border-box;font:inherit;color:inherit;margin:0;letter-spacing:normal;text-transform:none}' +
    '[hidden]{display:none!important}' +
    'button{cursor:pointer;border:0;background:none;padding:0}' +
    ':focus-visible{outline:3px solid var(--c);outline-offset:2px}' +
    '.l{width:56px;height:56px;border-radius:50%;background:var(--c);color:#fff;display:flex;align-items:center;justify-content:center;box-shadow:0 4px 14px #0004;position:relative}' +
    '.l svg{width:28px;height:28px;fill:#fff}.l svg+svg,.l[aria-expanded=true] svg:first-of-type{display:none}.l[aria-expanded=true] svg+svg{display:block}' +
    '.b{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;background:#b42318;color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px}' +
    '.p{position:fixed;right:16px;bottom:84px;width:min(370px,calc(100vw - 24px));height:min(560px,calc(100vh - 110px));background:#fff;border-radius:14px;' +
    'box-shadow:0 10px 40px #0004;display:flex;flex-direction:column;overflow:hidden;border:1px solid #0001}' +
    '.h{background:var(--c);color:#fff;padding:12px 14px;display:flex;gap:8px;align-items:flex-start}' +
    '.h div{flex:1;min-width:0}.h strong{display:block;font-weight:700;font-size:15px}' +
    '.s{font-size:12.5px;opacity:.95;display:block}.x{color:#fff;font-size:22px;line-height:1;width:28px;height:28px;border-radius:6px}' +
    '.e{color:#fff;font-size:12px;text-decoration:underline;padding:4px}' +
    '.g{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:6px;background:#f6f7f9;list-style:none}' +
    '.g li{display:flex;flex-direction:column;max-width:85%;align-self:flex-start}' +
    '.g li.me{align-self:flex-end;align-items:flex-end}' +
    '.g p{background:#fff;border:1px solid #0001;border-radius:12px;padding:7px 10px;white-space:pre-wrap;overflow-wrap:anywhere}' +
    '.g li.me p{background:var(--c);color:#fff;border-color:transparent}' +
    '.g a{color:inherit;text-decoration:underline}.g li.pend p{opacity:.7}.g small{font-size:11px;color:#5b6470;padding:1px 4px}' +
    '.g .sys{align-self:center;max-width:100%;text-align:center;font-size:12.5px;color:#5b6470}' +
    '.y{font-size:12px;color:#5b6470;font-style:italic;padding:2px 12px;min-height:20px;background:#f6f7f9}' +
    '.f{display:flex;gap:8px;padding:10px;border-top:1px solid #0002;background:#fff;align-items:flex-end}' +
    '.f textarea{flex:1;resize:none;height:42px;max-height:120px;border:1px solid #0003;border-radius:10px;padding:10px;background:#fff;white-space:pre-wrap}' +
    '.f button,.r .go,.n{background:var(--c);color:#fff;border-radius:10px;padding:10px 14px;font-weight:600}' +
    '.f button:disabled,.r .go:disabled{opacity:.5;cursor:default}' +
    '.r{padding:14px;border-top:1px solid #0002;display:flex;flex-direction:column;gap:10px;background:#fff}' +
    '.st{display:flex;gap:4px}.st button{font-size:28px;line-height:1;color:#c3c8cf;width:40px;height:40px;border-radius:8px}' +
    '.st button[aria-checked=true]{color:#f0a700}' +
    '.r input,.r textarea{border:1px solid #0003;border-radius:10px;padding:8px;resize:none}.r textarea{height:60px}' +
    '.u{padding:24px;text-align:center;color:#5b6470}' +
    '.cf{display:flex;gap:8px;align-items:center;padding:8px 10px;background:#fff4e5;border-top:1px solid #0002}.cf span{flex:1}' +
    '.cf button{border-radius:8px;padding:6px 10px;border:1px solid #0003;background:#fff}.cf .go{background:var(--c);color:#fff;border:0}' +
    '.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}' +
    '@media (max-width:480px){.p{right:0;bottom:0;width:100vw;height:100%;border-radius:0}.l[aria-expanded=true]{display:none}}';

  /* ---- DOM ---- */
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function attr(e, o) {
    for (var k in o) e.setAttribute(k, o[k]);
    return e;
  }
  var host = el('gigcx-widget');
  var root = host.attachShadow({ mode: 'open' });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS_TEXT);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(el('style', null, CSS_TEXT));
  }
  var wrap = attr(el('div'), { lang: LANG });
  wrap.style.setProperty('--c', color); // CSSOM, not a style attribute: fine under a strict CSP
  var launcher = attr(el('button', 'l'), { type: 'button', 'aria-label': t('launch'), 'aria-expanded': 'false', 'aria-controls': 'gx-p', part: 'launcher' });
  launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>' +
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>';
  var badge = el('span', 'b');
  badge.hidden = true;
  launcher.appendChild(badge);
  var panel = attr(el('div', 'p'), { id: 'gx-p', role: 'dialog', 'aria-label': t('title'), part: 'panel' });
  panel.hidden = true;
  var head = el('div', 'h'), headText = el('div');
  var statusLine = attr(el('span', 's', t('hi')), { role: 'status', 'aria-live': 'polite' });
  headText.appendChild(el('strong', null, t('title')));
  headText.appendChild(statusLine);
  var endBtn = attr(el('button', 'e', t('end')), { type: 'button' });
  endBtn.hidden = true;
  var closeBtn = attr(el('button', 'x', '×'), { type: 'button', 'aria-label': t('close') });
  head.appendChild(headText);
  head.appendChild(endBtn);
  head.appendChild(closeBtn);
  var log = attr(el('ol', 'g'), { role: 'log', 'aria-live': 'polite', 'aria-label': t('title'), tabindex: '0' });
  var typing = attr(el('div', 'y'), { 'aria-live': 'polite' });
  var form = el('form', 'f');
  var input = attr(el('textarea'), { rows: '1', maxlength: '4000', placeholder: t('ph'), 'aria-label': t('message') });
  var sendBtn = attr(el('button', null, t('send')), { type: 'submit' });
  form.appendChild(input);
  form.appendChild(sendBtn);
  var rateBox = el('div', 'r');
  rateBox.hidden = true;
  var unavailable = attr(el('div', 'u', t('unavailable')), { role: 'alert' });
  unavailable.hidden = true;
  // "End chat" asks first: one slip of the finger would hang up on the expert
  var confirmBar = attr(el('div', 'cf'), { role: 'alertdialog', 'aria-label': t('sure') });
  var endYes = attr(el('button', 'go', t('end')), { type: 'button' });
  var endNo = attr(el('button', null, t('keep')), { type: 'button' });
  confirmBar.appendChild(el('span', null, t('sure')));
  confirmBar.appendChild(endNo);
  confirmBar.appendChild(endYes);
  confirmBar.hidden = true;
  [head, unavailable, log, typing, confirmBar, form, rateBox].forEach(function (n) { panel.appendChild(n); });
  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(wrap);

  /* ---- state ---- */
  // {t: token, x: expires ms, task, st: status, ex: expert name, rated, rd: newest message id
  //  read, ask: the customer ended a chat with an expert (ask for a rating), norate}
  var sess = load();
  var ws = null, online = false, attempt = 0, retryTimer = 0, opened = false, unread = 0, titled = false;
  // liveness (see lib/gxclient.js): any frame proves the line; ping a quiet one, give up on
  // one silent past the deadline, and on a socket that never said welcome
  var lastRx = 0, pingRef = '', pingAt = 0, openedAt = 0, liveTimer = 0;
  var ids = [], byId = {}, pend = {}, newest = null, position = 0, openFrame = null;
  var lastTyping = 0, typingTimer = 0, creating = null, view = 'start', asking = false; // asking: a form of ask() is up

  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(STORE) || 'null');
      return s && s.t && s.x > Date.now() + 60000 ? s : null;
    } catch (e) {
      return null;
    }
  }
  function save() {
    try {
      if (sess) localStorage.setItem(STORE, JSON.stringify(sess));
      else localStorage.removeItem(STORE);
    } catch (e) {}
  }
  function rid() {
    var a = crypto.getRandomValues(new Uint8Array(12)), s = '';
    for (var i = 0; i < a.length; i++) s += (a[i] & 63).toString(36);
    return 'w' + s + Date.now().toString(36);
  }
  function cmp(a, b) {
    var x = a.split('-'), y = b.split('-');
    return x[0].length - y[0].length || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (+x[1] || 0) - (+y[1] || 0));
  }
  function first(name) {
    return String(name || t('expert')).split(' ')[0];
  }
  var fmt = null; // made on first use: loading the locale data costs ~50-100 ms
  function hhmm(ts) {
    fmt = fmt || new Intl.DateTimeFormat(LANG, { hour: '2-digit', minute: '2-digit' });
    return fmt.format(new Date(ts));
  }

  /* ---- rendering ---- */
  function status(text) {
    statusLine.textContent = text;
  }
  function setView(v) {
    view = v;
    asking = false;
    confirmBar.hidden = true;
    unavailable.hidden = v !== 'unavailable';
    log.hidden = v === 'unavailable';
    form.hidden = v !== 'start' && v !== 'chat';
    rateBox.hidden = v !== 'rate' && v !== 'done';
    endBtn.hidden = v !== 'chat';
    typing.hidden = v !== 'chat';
    host.setAttribute('data-view', v);
  }
  function describe() {
    if (view === 'unavailable') return;
    if (!online && ws) return status(attempt ? t('reconnecting') : t('connecting'));
    if (!online && attempt) return status(t('reconnecting'));
    var st = sess && sess.task ? sess.st : '';
    if (st === 'queued') status(t('waiting') + (position ? ' ' + t('queued', { n: position }) : ''));
    else if (st === 'assigned' || (st === 'escalated' && sess.ex)) status(t('assigned', { name: first(sess.ex) }));
    else if (st === 'escalated') status(t('escalated'));
    else if (st === 'resolved') status(t('ended'));
    else if (st === 'cancelled') status(t('cancelled'));
    else if (st === 'expired') status(t('expired'));
    else status(t('hi'));
  }
  function msgEl(m, mine) {
    var li = el('li', mine ? 'me' : '');
    if (!mine) li.appendChild(el('small', null, first(m.from && m.from.name)));
    li.appendChild(linkify(el('p'), m.text));
    var meta = el('small');
    li.appendChild(meta);
    stamp(li, m.ts, !!m.id || !mine);
    return li;
  }
  /* Web addresses in chat text become links, by the rules of the expert console's linkify
   * (static/expert/console.js; a classic script on other sites' pages cannot import its
   * module): DOM nodes only, never parsed as HTML; only http(s) URLs that parse; a new tab
   * with no handle on the brand's page (noopener) that is not told where it came from. */
  function linkify(p, text) {
    var re = /\bhttps?:\/\/[^\s<>"']+/gi, at = 0, m, raw, href;
    text = text == null ? '' : String(text);
    while ((m = re.exec(text))) {
      raw = m[0].replace(/[.,;:!?)\]}'"]+$/, ''); // trailing punctuation ends the sentence
      if (!(href = safeHref(raw))) continue;
      addText(p, text.slice(at, m.index));
      p.appendChild(attr(el('a', null, raw), { href: href, target: '_blank', rel: 'noopener noreferrer' }));
      at = m.index + raw.length;
    }
    addText(p, text.slice(at));
    return p;
  }
  function addText(p, s) {
    if (s) p.appendChild(document.createTextNode(s));
  }
  function safeHref(raw) {
    try {
      var u = new URL(raw);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (e) {
      return null;
    }
  }
  function stamp(li, ts, ok) {
    var meta = li.lastChild;
    meta.textContent = (ts ? hhmm(ts) : '') + (li.className.indexOf('me') >= 0 ? ' ' + (ok ? '✓' : '…') : '');
    if (li.className.indexOf('me') >= 0) meta.setAttribute('aria-label', ok ? t('sent') : t('sending'));
    li.classList.toggle('pend', !ok);
  }
  function nearEnd() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }
  function toEnd() {
    log.scrollTop = log.scrollHeight;
  }
  function place(id, li) {
    var lo = 0, hi = ids.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (cmp(ids[mid], id) < 0) lo = mid + 1;
      else hi = mid;
    }
    ids.splice(lo, 0, id);
    byId[id] = li;
    li.setAttribute('data-id', id);
    var next = lo + 1 < ids.length ? byId[ids[lo + 1]] : log.querySelector('.pend');
    log.insertBefore(li, next || null);
    newest = ids[ids.length - 1];
  }
  function addMsg(m, live) {
    if (!m.id || byId[m.id] || (sess && m.task !== sess.task)) return;
    var end = nearEnd();
    var mine = m.from && m.from.role === 'customer';
    var li = mine && m.cid && pend[m.cid] ? pend[m.cid].li : null;
    if (li) {
      delete pend[m.cid];
      stamp(li, m.ts, true);
    } else li = msgEl(m, mine);
    place(m.id, li);
    if (!mine) {
      typing.textContent = '';
      var fits = sess && m.from && m.from.name && m.from.role === (sess.st === 'escalated' ? 'staff' : 'expert');
      if (fits && sess.ex !== m.from.name) {
        sess.ex = m.from.name;
        save();
        describe();
      }
      // unread = not mine and newer than the newest message the customer saw (kept in the
      // session, so a reload does not count again what was read before it)
      if (!(sess && sess.rd && cmp(m.id, sess.rd) <= 0)) {
        if (opened && !document.hidden) markRead();
        else {
          unread++;
          showUnread();
        }
      }
    }
    if (end || mine) toEnd();
  }
  function markRead() {
    if (sess && newest && (!sess.rd || cmp(newest, sess.rd) > 0)) {
      sess.rd = newest;
      save();
    }
    unread = 0;
    showUnread();
  }
  function showUnread() {
    badge.hidden = !unread;
    badge.textContent = unread;
    launcher.setAttribute('aria-label', t('launch') + (unread ? ' (' + unread + ' ' + t('unread') + ')' : ''));
    // the page's title says it too, for a customer in another tab: "(2) Shop"
    if (!unread && !titled) return;
    var bare = titled ? document.title.replace(/^\(\d+\) /, '') : document.title;
    document.title = unread ? '(' + unread + ') ' + bare : bare;
    titled = !!unread;
  }
  function sysLine(text) {
    var li = el('li', 'sys', text);
    log.appendChild(li);
    toEnd();
  }

  /* ---- connection ---- */
  function connect() {
    if (ws || !sess) return;
    clearTimeout(retryTimer);
    var sock;
    try {
      sock = new WebSocket(ORIGIN.replace(/^http/, 'ws') + '/ws', 'gigcx.v1');
    } catch (e) {
      return retry(0);
    }
    ws = sock;
    openedAt = Date.now();
    pingRef = '';
    liveTimer = liveTimer || setInterval(checkLive, 500);
    describe();
    sock.onopen = function () {
      var hello = { type: 'hello', token: sess.t };
      if (sess.task) {
        hello.resume = {};
        hello.resume[sess.task] = newest || '0-0';
      }
      sock.send(JSON.stringify(hello));
    };
    sock.onmessage = function (e) {
      if (sock !== ws) return;
      lastRx = Date.now();
      var m;
      try {
        m = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (m.ref && m.ref === pingRef) pingRef = ''; // our probe: answered (an unknown type's error)
      else on(m);
    };
    sock.onclose = function (e) {
      if (sock !== ws) return;
      ws = null;
      online = false;
      if (e.code === 4401) {
        // the token is no longer accepted: start afresh with a new anonymous session
        sess = null;
        save();
        reset();
        if (opened) ensureSession();
        return;
      }
      retry(e.code === 1008 ? 5000 : 0);
    };
  }
  function checkLive() {
    var now = Date.now();
    if (!ws) return;
    if (!online) {
      if (now - openedAt > 10000) lost(); // no welcome: this socket goes nowhere
    } else if (pingRef) {
      if (now - pingAt > 3500) lost();
    } else if (now - lastRx >= 3000 && ws.readyState === 1) {
      pingRef = 'ping' + now;
      pingAt = now;
      ws.send(JSON.stringify({ type: 'ping', ref: pingRef }));
    }
  }
  // Drop a dead socket without waiting for the browser to notice (minutes), and retry.
  function lost() {
    var s = ws;
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = null;
    try {
      s.close(4000, 'lost');
    } catch (e) {}
    ws = null;
    online = false;
    retry(0);
  }
  addEventListener('offline', lost);
  addEventListener('online', function () {
    if (ws || !sess || !attempt) return; // only while waiting for a retry
    clearTimeout(retryTimer);
    attempt = Math.min(attempt, 1);
    connect();
  });
  function retry(floor) {
    attempt++;
    var base = Math.min(30000, 500 * Math.pow(2, Math.min(attempt - 1, 6)));
    retryTimer = setTimeout(connect, Math.max(floor, base * (0.5 + Math.random())));
    describe();
    host.setAttribute('data-conn', 'reconnecting');
  }
  function raw(m) {
    if (!online) return false;
    ws.send(JSON.stringify(m));
    return true;
  }

  function on(m) {
    var tp = m.type;
    if (tp === 'welcome') {
      online = true;
      attempt = 0;
      host.setAttribute('data-conn', 'online');
      var found = null, list = m.tasks || [];
      for (var i = 0; i < list.length; i++) if (sess.task ? list[i].task === sess.task : true) found = found || list[i];
      if (found) {
        if (!sess.task) {
          // a task opened elsewhere (another tab): carry on with it
          sess.task = found.task;
          openFrame = null;
          raw({ type: 'chat.history', task: found.task, limit: 200 });
        }
        if (found.status === 'queued' && /assigned|escalated/.test(sess.st)) {
          sysLine(t('left', { name: first(sess.ex) })); // our expert went while we were away
          sess.ex = '';
        } else if (found.status === 'escalated' && sess.st !== 'escalated') sysLine(t('escalated'));
        sess.st = found.status;
      } else if (sess.task && /^(queued|assigned|escalated)$/.test(sess.st)) {
        sess.st = sess.st === 'queued' ? 'expired' : 'resolved'; // it ended while we were away
      }
      save();
      if (openFrame) raw(openFrame);
      for (var c in pend) if (pend[c].f) raw(pend[c].f);
      afterStatus();
      return;
    }
    if (tp === 'task.created') {
      openFrame = null;
      sess.task = m.task;
      sess.st = 'queued';
      sess.ex = '';
      sess.rated = sess.ask = sess.norate = false;
      position = m.position || 0;
      save();
      if (pend.open) stamp(pend.open.li, Date.now(), true);
      afterStatus();
    } else if (tp === 'task.update') {
      if (!sess || m.task !== sess.task) return;
      var was = sess.st, who = sess.ex;
      if (m.expert && m.expert.name) sess.ex = m.expert.name;
      else if (m.status === 'escalated' || m.status === 'queued') sess.ex = ''; // someone new will come
      if (m.position) position = m.position;
      sess.st = m.status;
      save();
      // handovers are lines in the conversation: who left, who came
      if (was !== m.status && m.status === 'queued' && /assigned|escalated/.test(was)) sysLine(t('left', { name: first(who) }));
      if (was !== m.status && m.status === 'escalated') sysLine(t('escalated'));
      if (sess.ex && sess.ex !== who && /assigned|escalated/.test(m.status)) sysLine(t('assigned', { name: first(sess.ex) }));
      afterStatus();
    } else if (tp === 'chat.message') addMsg(m, true);
    else if (tp === 'chat.ack') {
      var p = pend[m.cid];
      if (p) {
        delete pend[m.cid];
        if (byId[m.id]) p.li.remove();
        else {
          stamp(p.li, m.ts, true);
          place(m.id, p.li);
        }
      }
    } else if (tp === 'chat.history') {
      (m.messages || []).forEach(function (x) { addMsg(x, false); });
      toEnd();
    } else if (tp === 'chat.typing') {
      if (m.from && m.from.role !== 'customer') {
        typing.textContent = t('typing', { name: first(m.from.name || sess.ex) });
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { typing.textContent = ''; }, 3000);
      }
    } else if (tp === 'task.rated') {
      sess.rated = true;
      save();
      afterStatus();
    } else if (tp === 'error') {
      if (m.ref === 'open') unopened(t('error'));
      else if (m.ref && pend[m.ref]) {
        var q = pend[m.ref];
        if (m.code === 'rate_limited' || m.code === 'unavailable') setTimeout(function () { if (pend[q.f.cid]) raw(q.f); }, 800);
        else {
          // refused for good (e.g. the chat ended): say so and stop resending
          delete pend[m.ref];
          q.li.lastChild.textContent = '⚠ ' + t('error');
        }
      } else if (m.ref === 'rate' && m.code === 'conflict') {
        sess.norate = sess.st !== 'resolved'; // this server rates resolved chats only
        sess.rated = true;
        save();
        afterStatus();
      }
    }
  }

  function afterStatus() {
    var st = sess && sess.task ? sess.st : '';
    var rateIt = st === 'resolved' || (st === 'cancelled' && sess.ask); // ended by either side
    if (rateIt && !sess.rated) buildRate();
    else if (st === 'resolved' || st === 'cancelled' || st === 'expired') buildDone(sess.norate ? t('norate') : rateIt ? t('thanks') : '');
    // a form up (pre-chat, offline message) stays while there is no chat: a welcome that
    // arrives after it (a slow connect) must not hide it under the customer's typing
    else if (view !== 'unavailable' && !(asking && !(sess && sess.task))) setView(sess && sess.task ? 'chat' : 'start');
    describe();
  }

  function buildRate() {
    setView('rate');
    rateBox.textContent = '';
    rateBox.appendChild(el('strong', null, t('rate')));
    var stars = attr(el('div', 'st'), { role: 'radiogroup', 'aria-label': t('rate') }), score = 0, btns = [];
    for (var n = 1; n <= 5; n++) {
      (function (n) {
        var b = attr(el('button', null, '★'), { type: 'button', role: 'radio', 'aria-checked': 'false', 'aria-label': t('stars', { n: n }), 'data-score': n });
        b.onclick = function () {
          score = n;
          btns.forEach(function (x, i) { x.setAttribute('aria-checked', String(i < n)); x.tabIndex = i === n - 1 ? 0 : -1; });
          go.disabled = false;
        };
        b.onkeydown = function (e) {
          var d = e.key === 'ArrowRight' || e.key === 'ArrowUp' ? 1 : e.key === 'ArrowLeft' || e.key === 'ArrowDown' ? -1 : 0;
          if (!d) return;
          e.preventDefault();
          var k = Math.min(5, Math.max(1, (score || n) + d));
          btns[k - 1].click();
          btns[k - 1].focus();
        };
        b.tabIndex = n === 1 ? 0 : -1;
        btns.push(b);
        stars.appendChild(b);
      })(n);
    }
    var note = attr(el('textarea'), { maxlength: '1000', placeholder: t('comment'), 'aria-label': t('comment') });
    var go = attr(el('button', 'go', t('submit')), { type: 'button' });
    go.disabled = true;
    go.onclick = function () {
      if (!score || !sess || !sess.task) return;
      var f = { type: 'task.rate', task: sess.task, score: score, ref: 'rate' };
      if (note.value.trim()) f.comment = note.value.trim().slice(0, 1000);
      if (raw(f)) go.disabled = true;
    };
    rateBox.appendChild(stars);
    rateBox.appendChild(note);
    rateBox.appendChild(go);
    toEnd(); // the box took room from the log: keep its last message in view
  }
  function buildDone(text) {
    setView('done');
    rateBox.textContent = '';
    if (text) rateBox.appendChild(attr(el('strong', null, text), { role: 'status' }));
    var again = attr(el('button', 'n', t('again')), { type: 'button' });
    again.onclick = function () {
      if (sess) {
        sess.task = null;
        sess.st = '';
        sess.ex = '';
        sess.rated = sess.ask = sess.norate = false;
        save();
      }
      reset();
      setView('start');
      describe();
      input.focus();
    };
    rateBox.appendChild(again);
    toEnd();
  }
  function reset() {
    log.textContent = '';
    ids = [];
    byId = {};
    pend = {};
    newest = null;
    position = 0;
    openFrame = null;
    typing.textContent = '';
    if (view !== 'unavailable') setView('start');
  }

  /* ---- session ---- */
  function ensureSession() {
    if (sess) {
      connect();
      return Promise.resolve(true);
    }
    if (creating) return creating;
    status(t('connecting'));
    creating = fetch(ORIGIN + '/api/v1/widget/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ widget_key: KEY }),
      credentials: 'omit'
    })
      .then(function (r) {
        if (!r.ok) throw r;
        return r.json();
      })
      .then(function (j) {
        sess = { t: j.token, x: j.expires_at || Date.now() + 864e5, task: null, st: '', ex: '' };
        save();
        connect();
        return true;
      })
      .catch(function () {
        // 403 (origin or key not allowed) or the server cannot be reached: stay polite
        setView('unavailable');
        host.setAttribute('data-view', 'unavailable');
        return false;
      })
      .then(function (ok) {
        creating = null;
        describe();
        return ok;
      });
    return creating;
  }

  // Is anyone there for TOPIC in LANG? 'nobody' (topic or language unknown), 'closed' (outside
  // business hours) or 'offline' (no expert online, busy or not) only when the server says so;
  // when the question fails (older server, 429, network) task.open decides. pre: ask who first.
  var pre = false;
  function anyone() {
    var q = '?widget_key=' + encodeURIComponent(KEY) + '&topic=' + encodeURIComponent(TOPIC) + '&language=' + encodeURIComponent(LANG);
    return fetch(ORIGIN + '/api/v1/widget/availability' + q, { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j) return 'yes';
        pre = j.prechat;
        if (!j.topic_known || !j.language_known) return 'nobody';
        if (j.open === false) return 'closed';
        return (j.available != null ? j.available : j.online) > 0 ? 'yes' : 'offline';
      }, function () { return 'yes'; });
  }
  // A small form in the lower box: fields (name, e-mail, and the message when text is a
  // string), then done(values) on its button.
  function ask(title, text, label, done) {
    setView('done');
    asking = true;
    rateBox.textContent = '';
    rateBox.appendChild(el('strong', null, title));
    var nm = attr(el('input'), { maxlength: '100', autocomplete: 'name', placeholder: t('name'), 'aria-label': t('name'), name: 'name' });
    var em = attr(el('input'), { type: 'email', maxlength: '254', autocomplete: 'email', placeholder: t('email'), 'aria-label': t('email'), name: 'email' });
    var tx = attr(el('textarea'), { maxlength: '4000', 'aria-label': t('message'), name: 'text' });
    var go = attr(el('button', 'go', label), { type: 'button' });
    tx.value = text || '';
    go.onclick = function () {
      var v = { name: nm.value.trim(), email: em.value.trim(), text: tx.value.trim() };
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.email)) return em.focus();
      if (text != null && !v.text) return tx.focus();
      go.disabled = true;
      done(v, go);
    };
    [nm, em].concat(text != null ? [tx] : [], [go]).forEach(function (n) { rateBox.appendChild(n); });
    nm.focus();
  }
  // nobody to chat with: an offline message, answered by e-mail through the brand
  function offlineForm(text, why) {
    if (pend.open) pend.open.li.remove();
    delete pend.open;
    ask(t(why), text, t('leave'), function (v, go) {
      v.widget_key = KEY;
      v.topic = TOPIC;
      v.language = LANG;
      fetch(ORIGIN + '/api/v1/widget/offline', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(v), credentials: 'omit' })
        .then(function (r) {
          if (!r.ok) throw r;
          buildDone(t('got'));
          host.setAttribute('data-view', 'sent');
        })
        .catch(function () {
          go.disabled = false;
          status(t('error'));
        });
    });
    host.setAttribute('data-view', 'offline');
  }
  // the chat was not opened: the text goes back into the box, and why
  function unopened(why) {
    openFrame = null;
    if (pend.open) {
      pend.open.li.remove();
      input.value = pend.open.text;
      delete pend.open;
    }
    sysLine(why);
  }

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    if (text.length > 4000) text = text.slice(0, 4000);
    input.value = '';
    lastTyping = 0;
    if (!sess || !sess.task) {
      if (openFrame || pend.open) return;
      var li = msgEl({ text: text, ts: Date.now() }, true);
      log.appendChild(li);
      pend.open = { li: li, text: text };
      setView('chat');
      var f = { type: 'task.open', topic: TOPIC, language: LANG, text: text, ref: 'open' };
      anyone().then(function (v) {
        host.setAttribute('data-nobody', String(v !== 'yes'));
        if (v === 'nobody') return unopened(t('nobody'));
        if (v !== 'yes') return offlineForm(text, v);
        var open = function () {
          setView('chat');
          openFrame = f;
          ensureSession().then(function (ok) { if (ok && openFrame) raw(openFrame); });
        };
        if (!pre || sess && sess.who) return open();
        // the brand asks who is writing: it comes with the chat as meta {name, email}
        ask(t('pre'), null, t('go'), function (w) {
          f.meta = w;
          delete w.text;
          ensureSession().then(function () { if (sess) sess.who = 1; open(); });
        });
      });
    } else {
      var cid = rid();
      var f = { type: 'chat.send', task: sess.task, text: text, cid: cid, ref: cid };
      var li2 = msgEl({ text: text, ts: Date.now() }, true);
      log.appendChild(li2);
      pend[cid] = { li: li2, f: f };
      raw(f);
    }
    toEnd();
  }

  /* ---- events ---- */
  function toggle(show) {
    opened = show;
    panel.hidden = !show;
    launcher.setAttribute('aria-expanded', String(show));
    host.setAttribute('data-open', String(show));
    if (show) {
      ensureSession().then(function () { if (view !== 'unavailable') input.focus(); });
      toEnd();
      markRead();
    } else launcher.focus();
  }
  launcher.onclick = function () { toggle(!opened); };
  closeBtn.onclick = function () { toggle(false); };
  panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') toggle(false); });
  form.onsubmit = function (e) {
    e.preventDefault();
    submit();
  };
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', function () {
    var now = Date.now();
    if (sess && sess.task && /assigned|escalated/.test(sess.st) && now - lastTyping > 2500) {
      lastTyping = now;
      raw({ type: 'chat.typing', task: sess.task });
    }
  });
  endBtn.onclick = function () {
    confirmBar.hidden = false;
    endYes.focus();
  };
  endNo.onclick = function () {
    confirmBar.hidden = true;
    input.focus();
  };
  endYes.onclick = function () {
    confirmBar.hidden = true;
    if (!sess || !sess.task) return;
    sess.ask = !!sess.ex && /assigned|escalated/.test(sess.st); // someone helped: ask how it went
    save();
    raw({ type: 'task.cancel', task: sess.task, ref: 'cancel' });
  };
  document.addEventListener('visibilitychange', function () {
    if (opened && !document.hidden) markRead();
  });
  window.addEventListener('storage', function (e) {
    if (e.key !== STORE) return;
    var s = load();
    if (!s || !sess || s.t !== sess.t || s.task !== sess.task) {
      // another tab started over or opened a task: follow it
      if (ws) {
        var old = ws;
        ws = null;
        online = false;
        old.close();
      }
      sess = s;
      reset();
      afterStatus();
      if (sess && (opened || sess.task)) connect();
    } else if (s.st !== sess.st || s.rated !== sess.rated) {
      sess.st = s.st;
      sess.rated = s.rated;
      afterStatus();
    }
  });

  // An identified customer: a token the brand minted for its own customer id. Their open chats
  // (also those the brand opened over the API) come with welcome.
  function identify(tok) {
    var p;
    try {
      p = JSON.parse(atob(String(tok).split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    } catch (e) {
      return false;
    }
    if (sess && sess.t === tok) return true;
    if (ws) {
      var old = ws;
      ws = null;
      online = false;
      old.close();
    }
    sess = { t: tok, x: (p.exp || 0) * 1000, task: null, st: '', ex: '', who: 1 };
    save();
    reset();
    connect();
    return true;
  }
  window.GigCX = window.GigCX || {};
  window.GigCX.identify = identify;

  function mount() {
    (document.body || document.documentElement).appendChild(host);
    setView('start');
    if (D.token) identify(D.token);
    if (sess) {
      afterStatus();
      if (sess.task) connect();
    }
    describe();
    host.setAttribute('data-ready', 'true');
    try {
      performance.mark('gigcx-widget-ready');
    } catch (e) {}
    host.dispatchEvent(new CustomEvent('gigcx:ready', { bubbles: true, composed: true }));
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
