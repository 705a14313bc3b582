// idvault review page. It renders the JSON the local server gives it and posts the user's
// choices back; the server decides everything else. No data is written with innerHTML: file
// names and reasons are hostile input and only ever go in through textContent, after shown()
// has made their control and bidi characters visible (the server sends them raw).
'use strict';

const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/';
const KINDS = ['passport', 'id_card', 'residence_permit', 'travel_permit', 'visa',
  'driver_licence', 'id_selfie', 'kyc_screenshot', 'screen_recording', 'document_scan',
  'screenshot'];
const HEARTBEAT_MS = 30000;
const PROGRESS_MS = 400;
const SCANNING_MS = 700;

let catalogs = {};
let lang = 'en';
let state = null;
let selected = new Set(); // card ids chosen; a card joins it on arrival if it is recommended
const seen = new Set(); // card ids already given their default selection
let filter = 'all';
let timer = null;
let stopped = false;

const $ = (id) => document.getElementById(id);

// A value from a scanned file (a name, a tag's text, an error quoting them) as the page shows
// it: control characters and bidi overrides, which could make one name look like another,
// become visible \u{…} escapes, as the terminal output shows them.
function shown(value) {
  return String(value).replace(/[\\\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu,
    (c) => (c === '\\' ? '\\\\' : '\\u{' + c.codePointAt(0).toString(16) + '}'));
}

// The catalog's text for `key`, with `{name}` filled from `args` (escaped by shown()).
function t(key, args) {
  const text = (catalogs[lang] && catalogs[lang][key]) || (catalogs.en && catalogs.en[key]) || key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (args && name in args ? shown(args[name]) : m));
}

function el(tag, props, children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children || []) if (c) e.appendChild(c);
  return e;
}

async function api(path, body) {
  const init = body === undefined ? { cache: 'no-store' } : {
    method: 'POST', cache: 'no-store', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
  let resp;
  try {
    resp = await fetch(base + path, init);
  } catch (e) {
    showStopped(t('page.stopped'));
    throw e;
  }
  const data = await resp.json().catch(() => ({}));
  // The session is bound to the browser that opened the page first: this one gets nothing.
  // (Before the catalog has loaded, the server's own English sentence says so.)
  if (resp.status === 403) showStopped(catalogs.en ? t('page.elsewhere') : data.error || resp.statusText);
  if (!resp.ok) throw new Error(data.error || resp.statusText);
  return data;
}

function showStopped(text) {
  stopped = true;
  clearTimeout(timer);
  $('stopped-text').textContent = text;
  $('stopped').hidden = false;
}

function securable(c) {
  return !c.dismissed && (c.state === 'open' || c.state === 'failed');
}

function chosen() {
  return state.cards.filter((c) => selected.has(c.id) && securable(c));
}

// ---- rendering -------------------------------------------------------------------------

const thumbs = new Map(); // card id -> its thumbnail, kept across renders (no refetching)

function thumb(c) {
  const kept = thumbs.get(c.id);
  if (kept) {
    const h = kept.querySelector('.hold');
    // A secured file's pictures are gone from the server too: nothing left to reveal.
    if (h && (c.state === 'secured' || c.state === 'kept')) h.remove();
    else if (h) { h.textContent = t('card.reveal'); h.title = t('card.reveal_help'); }
    return kept;
  }
  const made = makeThumb(c);
  thumbs.set(c.id, made);
  return made;
}

// Thumbnails are fetched one after another, not all at once: each can take the server a second
// to make, and one at a time leaves its few threads free for the page's other requests.
const pendingThumbs = [];
let thumbLoading = false;

// The server shows pictures of open and failed cards only. A file sent to be secured while its
// thumbnail waited in the queue may be gone by the time its turn comes: its thumbnail is not
// asked for (the answer would be a 404).
const leaving = new Set();

function pictureGone(id) {
  const c = state.cards.find((x) => x.id === id);
  return leaving.has(id) || !c || !(c.state === 'open' || c.state === 'failed');
}

function loadNextThumb() {
  let next = pendingThumbs.shift();
  while (next && pictureGone(next.id)) {
    next.img.dataset.queued = '';
    next.img.replaceWith(el('p', { class: 'none', text: t('card.no_preview') }));
    next = pendingThumbs.shift();
  }
  thumbLoading = !!next;
  if (next) next.img.src = next.src;
}

function queueThumb(img, src, id) {
  const done = () => { if (thumbLoading && img.dataset.queued === '1') { img.dataset.queued = ''; loadNextThumb(); } };
  img.dataset.queued = '1';
  img.addEventListener('load', done);
  img.addEventListener('error', done);
  pendingThumbs.push({ img, src, id });
  if (!thumbLoading) loadNextThumb();
}

function makeThumb(c) {
  if (!c.preview) return el('div', { class: 'thumb' }, [el('p', { class: 'none', text: t('card.no_preview') })]);
  const blurred = base + 'thumb/' + c.id + '/blurred';
  const img = el('img', { class: 'blurred', alt: '', draggable: false, 'data-role': 'thumb' });
  queueThumb(img, blurred, c.id);
  img.addEventListener('error', () => {
    img.replaceWith(el('p', { class: 'none', text: t('card.no_preview') }));
    hold.remove();
  });
  const reveal = () => {
    img.src = base + 'thumb/' + c.id + '/sharp';
    img.classList.remove('blurred');
  };
  const hide = () => {
    if (img.classList.contains('blurred')) return;
    img.src = blurred;
    img.classList.add('blurred');
  };
  const hold = el('button', { type: 'button', class: 'hold', text: t('card.reveal'), title: t('card.reveal_help'), 'data-role': 'hold' });
  hold.addEventListener('pointerdown', (e) => { e.preventDefault(); hold.setPointerCapture(e.pointerId); reveal(); });
  for (const ev of ['pointerup', 'pointercancel', 'lostpointercapture', 'blur']) hold.addEventListener(ev, hide);
  hold.addEventListener('keydown', (e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) { e.preventDefault(); reveal(); } });
  hold.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') hide(); });
  hold.addEventListener('click', (e) => e.preventDefault());
  return el('div', { class: 'thumb' }, [img, hold]);
}

function card(c) {
  const pct = Math.round(c.confidence * 100);
  const box = el('input', { type: 'checkbox', checked: selected.has(c.id), disabled: !securable(c), 'data-role': 'choose' });
  box.addEventListener('change', () => {
    if (box.checked) selected.add(c.id); else selected.delete(c.id);
    render();
  });
  const head = el('div', { class: 'head' }, [
    el('label', { title: t('card.choose') }, [box, el('span', { text: t('kind.' + c.kind) })]),
    el('span', { class: 'conf', text: t('card.confidence', { percent: pct }) }),
    c.recommended ? el('span', { class: 'badge', text: t('card.recommended') }) : null,
  ]);
  const parts = [head, el('div', { class: 'path', text: shown(c.path) })];
  if (c.document && c.document.number_masked) {
    parts.push(el('div', {}, [
      el('span', { text: t('card.number') + ': ' }),
      el('span', { class: 'number', text: c.document.number_masked }),
    ]));
  }
  if (c.reasons.length) {
    parts.push(el('h3', { text: t('card.reasons') }));
    // The scanner's details are English; other languages get the signal's own sentence, with
    // the detail (which names the file or the tag it saw) on hover.
    const reason = (r) => (lang !== 'en' && catalogs[lang]['signal.' + r.signal]
      ? el('li', { text: catalogs[lang]['signal.' + r.signal], title: shown(r.detail) })
      : el('li', { text: shown(r.detail), title: r.signal }));
    parts.push(el('ul', { class: 'reasons' }, c.reasons.map(reason)));
  }
  if (c.risks.length) {
    parts.push(el('h3', { text: t('card.risks') }));
    parts.push(el('ul', { class: 'risks' }, c.risks.map((r) => el('li', { text: t('risk.' + r) }))));
  }
  if (c.wipe_limited && securable(c)) parts.push(el('p', { class: 'note', text: t('card.wipe_limited') }));
  if (c.cannot_wipe && securable(c)) parts.push(el('p', { class: 'warn', text: t('card.cannot_wipe', { reason: c.cannot_wipe }) }));
  const stateText = {
    securing: t('card.securing'), secured: t('card.secured'), kept: t('card.kept'),
    failed: t('card.failed', { error: c.detail || '' }),
  }[c.state];
  if (stateText) parts.push(el('p', { class: 'state ' + c.state, text: stateText, 'data-role': 'state' }));
  if (c.state === 'open' || c.state === 'failed') {
    const b = el('button', { type: 'button', class: 'dismiss', disabled: !state.marks, text: c.dismissed ? t('card.undismiss') : t('card.dismiss'), 'data-role': c.dismissed ? 'undismiss' : 'dismiss' });
    b.addEventListener('click', () => dismiss(c, !c.dismissed));
    parts.push(b);
  }
  const cls = ['card', selected.has(c.id) && securable(c) ? 'chosen' : '',
    c.state === 'secured' || c.state === 'kept' ? 'secured' : '', c.state === 'failed' ? 'failed' : ''];
  return el('article', { class: cls.join(' ').trim(), 'data-id': String(c.id), 'data-kind': c.kind, 'data-state': c.state }, [thumb(c), el('div', { class: 'body' }, parts)]);
}

function renderStatic() {
  document.documentElement.lang = lang;
  document.title = t('page.title');
  $('title').textContent = t('page.title');
  $('intro').textContent = t('page.intro');
  $('lang').textContent = t('page.language');
  $('select-all').textContent = t('page.select_all');
  $('select-none').textContent = t('page.select_none');
  $('select-default').textContent = t('page.select_default');
  $('pass-label').textContent = state && !state.vault.exists ? t('secure.passphrase_new') : t('secure.passphrase');
  $('repeat-label').textContent = t('secure.passphrase_repeat');
  $('confirm-yes').textContent = t('secure.button', { count: state ? chosen().length : 0 });
  $('confirm-no').textContent = '×';
  $('done').textContent = t('done.button');
  $('dismissed-help').textContent = t('dismissed.help');
}

function render() {
  renderStatic();
  const open = state.cards.filter((c) => !c.dismissed);
  const dismissed = state.cards.filter((c) => c.dismissed);
  const nChosen = chosen().length;
  const scanning = state.scan.running;
  $('counts').textContent = (scanning ? t('page.scanning', { files: state.scan.files }) + ' · ' : '')
    + t('page.found', { count: open.length }) + ' · ' + t('page.selected', { count: nChosen });

  const filters = $('filters');
  filters.replaceChildren();
  const present = KINDS.filter((k) => open.some((c) => c.kind === k));
  if (filter !== 'all' && !present.includes(filter)) filter = 'all';
  for (const k of ['all', ...present]) {
    const n = k === 'all' ? open.length : open.filter((c) => c.kind === k).length;
    const b = el('button', { type: 'button', text: (k === 'all' ? t('page.filter_all') : t('kind.' + k)) + ' (' + n + ')', 'aria-pressed': String(filter === k), 'data-kind': k });
    b.addEventListener('click', () => { filter = k; render(); });
    filters.appendChild(b);
  }

  const groups = $('groups');
  groups.replaceChildren();
  if (!open.length) groups.appendChild(el('p', { class: 'loading', text: scanning ? t('page.loading') : t('page.empty') }));
  for (const k of present) {
    if (filter !== 'all' && filter !== k) continue;
    const cs = open.filter((c) => c.kind === k);
    groups.appendChild(el('section', { class: 'group', 'data-kind': k }, [
      el('h2', { text: t('kind.' + k) + ' (' + cs.length + ')' }),
      el('div', { class: 'cards' }, cs.map(card)),
    ]));
  }

  $('dismissed').hidden = !dismissed.length;
  $('dismissed-heading').textContent = t('dismissed.heading', { count: dismissed.length });
  $('dismissed-cards').replaceChildren(...dismissed.map(card));

  const job = state.job;
  const running = !!(job && job.running);
  $('vault').textContent = (state.vault.exists ? t('secure.vault_existing', { path: state.vault.path }) : t('secure.vault_new', { path: state.vault.path }))
    + (state.passphrase_given ? ' · ' + t('secure.passphrase_given') : '');
  const ask = !state.passphrase_given;
  $('pass').hidden = $('pass-label').hidden = !ask;
  $('repeat').hidden = $('repeat-label').hidden = !ask || state.vault.exists;
  $('secure').textContent = t('secure.button', { count: nChosen });
  $('secure').disabled = running || scanning || nChosen === 0;
  $('done').disabled = running;
  const progress = $('progress');
  progress.hidden = !running;
  if (running) {
    progress.max = job.total;
    progress.value = job.done;
    $('status').textContent = t('secure.running', { done: job.done, total: job.total });
  } else if (job && job.error) {
    $('status').textContent = t('page.error', { error: job.error });
  } else if (job) {
    $('status').textContent = t('secure.finished', { ok: job.ok, failed: job.failed });
  } else if (scanning) {
    $('status').textContent = t('secure.wait_scan');
  } else if ($('status').textContent === t('secure.wait_scan')) {
    $('status').textContent = '';
  }
}

// ---- actions ---------------------------------------------------------------------------

async function refresh() {
  clearTimeout(timer);
  if (stopped) return;
  try {
    state = await api('api/state');
  } catch (e) {
    return;
  }
  for (const c of state.cards) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    if (c.recommended) selected.add(c.id);
  }
  render();
  const running = state.job && state.job.running;
  timer = setTimeout(refresh, running ? PROGRESS_MS : state.scan.running ? SCANNING_MS : HEARTBEAT_MS);
}

async function dismiss(c, on) {
  try {
    await api('api/dismiss', { id: c.id, dismissed: on });
    if (on) selected.delete(c.id);
  } catch (e) {
    $('status').textContent = t('page.error', { error: e.message });
  }
  refresh();
}

function askToConfirm(e) {
  e.preventDefault();
  const n = chosen().length;
  if (!n) return;
  if (!state.passphrase_given) {
    if (!$('pass').value) { $('status').textContent = t('secure.empty_passphrase'); return; }
    if (!state.vault.exists && $('pass').value !== $('repeat').value) { $('status').textContent = t('secure.mismatch'); return; }
  }
  $('confirm-text').textContent = t('secure.confirm', { count: n });
  $('confirm-yes').textContent = t('secure.button', { count: n });
  $('confirm').hidden = false;
  $('secure-form').hidden = true;
}

function closeConfirm() {
  $('confirm').hidden = true;
  $('secure-form').hidden = false;
}

async function secure() {
  closeConfirm();
  const body = { ids: chosen().map((c) => c.id) };
  for (const id of body.ids) leaving.add(id);
  if (!state.passphrase_given) {
    body.passphrase = $('pass').value;
    if (!state.vault.exists) body.repeat = $('repeat').value;
  }
  // The passphrase leaves the page once, in this request; the fields are cleared at once.
  $('pass').value = '';
  $('repeat').value = '';
  try {
    await api('api/secure', body);
    $('status').textContent = t('card.securing');
  } catch (e) {
    $('status').textContent = t('page.error', { error: e.message });
  }
  refresh();
}

async function done() {
  try {
    await api('api/done', {});
    showStopped(t('done.message'));
  } catch (e) {
    $('status').textContent = t('page.error', { error: e.message });
  }
}

function setSelection(ids) {
  selected = new Set(ids);
  render();
}

async function start() {
  try {
    catalogs = await api('api/messages');
    state = await api('api/state');
  } catch (e) {
    return;
  }
  lang = state.lang in catalogs ? state.lang : 'en';
  $('lang').addEventListener('click', () => { lang = lang === 'en' ? 'zh-CN' : 'en'; render(); });
  $('select-all').addEventListener('click', () => setSelection(state.cards.filter((c) => !c.dismissed).map((c) => c.id)));
  $('select-none').addEventListener('click', () => setSelection([]));
  $('select-default').addEventListener('click', () => setSelection(state.cards.filter((c) => c.recommended).map((c) => c.id)));
  $('secure-form').addEventListener('submit', askToConfirm);
  $('confirm-yes').addEventListener('click', secure);
  $('confirm-no').addEventListener('click', closeConfirm);
  $('done').addEventListener('click', done);
  refresh();
}

start();
