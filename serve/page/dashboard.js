// The xbuild dashboard page (served by serve/server.ts). It loads one build's snapshot
// (/api/builds/<id>), then follows it with server-sent events (/api/builds/<id>/live), which
// carry the summary and the rows changed since the version the page has. Following "latest",
// a newer build replaces the one shown. Data is put in the page as text, never as HTML.
// The table is Tabulator (virtual rendering: fast at 20,000 rows), in the order the server
// sends (by start, then waiting actions); the timeline is ECharts `lines` series, spans closer
// than a pixel merged at the current zoom.

const params = new URLSearchParams(location.search);
const token = params.get('token');
const withToken = (u) => (token ? `${u}${u.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : u);
const $ = (id) => document.getElementById(id);
const labelOf = (id) => id.slice(0, id.lastIndexOf('#'));

/** What the page shows; window.__xbuild for tests and measurements. */
const page = (window.__xbuild = {
  follow: params.get('build') || 'latest', id: undefined, version: 0, summary: undefined, compare: undefined,
  rows: new Map(), unshown: new Map(), table: undefined, chart: undefined, source: undefined, clockSkew: 0,
  tableRenderedAt: undefined, timelineDrawnAt: undefined, updates: 0,
});

function fmtDuration(ms) {
  if (ms === null || ms === undefined || !isFinite(ms)) return '';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return ms < 10_000 && ms % 1000 ? `${(ms / 1000).toFixed(1)}s` : `${s}s`;
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(r).padStart(2, '0')}s`;
}

// Numbers and dates without Intl: its first use costs a quarter of a second of the page load.
const num = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pad = (n) => String(n).padStart(2, '0');
function localTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function toRow(w) {
  const [id, mnemonic, status, start, end, lane, log] = w;
  return { id, label: labelOf(id), mnemonic, status, start, end, lane, log, dur: start !== null && end !== null ? end - start : null };
}

function logUrl(name) {
  return withToken(`logs/${encodeURIComponent(page.id)}/${encodeURIComponent(name)}`);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// ---- summary, running, failures, comparison --------------------------------------------------

function renderSummary() {
  const s = page.summary;
  if (!s) return;
  $('phase').textContent = s.phase;
  $('phase').className = `phase ${s.phase}`;
  $('patterns').textContent = `xbuild build ${s.patterns.join(' ')}`;
  for (const k of ['done', 'total', 'executed', 'cached', 'failed', 'skipped']) $(k).textContent = num(s[k]);
  $('nrunning').textContent = s.running.length;
  const total = Math.max(1, s.total);
  $('bar-done').style.width = `${(100 * (s.done - s.failed - s.skipped)) / total}%`;
  $('bar-failed').style.width = `${(100 * (s.failed + s.skipped)) / total}%`;
  $('eta-box').hidden = s.etaMs === undefined || s.etaMs === null;
  $('eta').textContent = fmtDuration(s.etaMs);
  tick();
  const list = $('running');
  list.replaceChildren(...s.running.slice().sort((a, b) => a[2] - b[2]).map(([id, mn, start]) =>
    el('li', { 'data-start': start }, el('span', {}, mn), el('span', {}, labelOf(id)), el('span', { class: 't' }, ''))));
  $('running-none').hidden = s.running.length > 0;
  tick();
  renderFailures();
  renderCompare();
}

/** Elapsed times move every second between updates (server clock, corrected for skew). */
function tick() {
  const s = page.summary;
  if (!s) return;
  const now = Date.now() + page.clockSkew;
  $('elapsed').textContent = fmtDuration((s.finishedMs ?? (s.phase === 'running' ? now : s.now)) - s.startedMs);
  for (const li of $('running').children) li.lastChild.textContent = fmtDuration(now - Number(li.dataset.start));
}
setInterval(tick, 1000);

function renderFailures() {
  const box = $('failures');
  const failures = page.summary.failures;
  $('nfailures').textContent = failures.length ? `(${failures.length})` : '';
  $('failures-none').hidden = failures.length > 0;
  const have = new Map([...box.children].map((c) => [c.dataset.id, c]));
  const keep = new Set(failures.map((f) => f.id));
  for (const [id, c] of have) if (!keep.has(id)) c.remove();
  for (const f of failures) {
    if (have.has(f.id)) continue;
    const head = el('div', { class: 'head' }, el('b', {}, f.label), ` (${f.mnemonic}): ${f.error}`);
    const div = el('div', { class: 'failure', 'data-id': f.id }, head, el('pre', { class: 'tail' }, f.logTail || '(empty log)'));
    if (f.log) div.append(el('a', { href: logUrl(f.log), target: '_blank', class: 'whole-log' }, `whole log: .xbuild/logs/${f.log}`));
    box.append(div);
  }
}

function renderCompare() {
  const c = page.compare;
  const box = $('compare');
  if (!c || !c.previous) {
    $('previous').textContent = '';
    box.replaceChildren(el('p', { class: 'muted' }, 'no earlier finished build in this workspace'));
    return;
  }
  $('previous').textContent = `(${c.previous})`;
  const group = (cls, title, ids) => {
    const shown = ids.slice(0, 30).map((id) => el('li', {}, labelOf(id)));
    if (ids.length > 30) shown.push(el('li', { class: 'muted' }, `and ${ids.length - 30} more`));
    return el('div', { class: `compare-group ${cls}` }, el('b', {}, `${title}: ${ids.length}`), ids.length ? el('ul', {}, ...shown) : '');
  };
  box.replaceChildren(group('newly', 'newly failing', c.newlyFailing), group('fixed', 'fixed', c.fixed),
    group('still', 'still failing', c.stillFailing), ...(c.notYet.length ? [group('notyet', 'not rebuilt yet', c.notYet)] : []));
}

function renderBuilds(builds) {
  const sel = $('builds');
  const opts = [el('option', { value: 'latest' }, 'latest (follow)')];
  for (const b of builds) opts.push(el('option', { value: b.id }, `${localTime(b.startedMs)}${b.phase ? ` — ${b.phase}` : ''}`));
  sel.replaceChildren(...opts);
  sel.value = page.follow;
}
$('builds').addEventListener('change', (e) => {
  page.follow = e.target.value;
  const u = new URL(location.href);
  if (page.follow === 'latest') u.searchParams.delete('build');
  else u.searchParams.set('build', page.follow);
  history.replaceState(null, '', u);
  load();
});

// ---- the table ----------------------------------------------------------------------------------

function stateCell(cell) {
  return el('span', { class: `state ${cell.getValue()}` }, cell.getValue());
}
function logCell(cell) {
  const v = cell.getValue();
  return v ? el('a', { href: logUrl(v), target: '_blank' }, 'log') : '';
}

function applyFilter() {
  const text = $('search').value.trim().toLowerCase();
  const status = $('status').value;
  if (!text && !status) {
    if (page.table.getFilters(true).length) page.table.clearFilter(); // a clear re-runs the whole data pipeline
  }
  else page.table.setFilter((r) => (!status || r.status === status) && (!text || r.label.toLowerCase().includes(text)));
}
let filterTimer;
$('search').addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(applyFilter, 120);
});
$('status').addEventListener('change', applyFilter);

function showCount() {
  if (page.table) $('shown').textContent = `(${num(page.table.getDataCount('active'))} of ${num(page.rows.size)})`;
}

function renderTable() {
  const data = [...page.rows.values()];
  if (page.table) {
    page.table.replaceData(data).then(() => { showCount(); page.tableRenderedAt = performance.now(); });
    return;
  }
  page.table = new Tabulator('#table', {
    data, index: 'id', height: '460px', rowHeight: 26, layout: 'fitColumns', placeholder: 'no actions yet',
    columns: [
      { title: 'Target', field: 'label', widthGrow: 5, minWidth: 200 },
      { title: 'Action', field: 'mnemonic', width: 110 },
      { title: 'State', field: 'status', width: 100, formatter: stateCell },
      { title: 'Started', field: 'start', width: 100, sorter: 'number', formatter: (c) => fmtDuration(c.getValue()) },
      { title: 'Took', field: 'dur', width: 90, sorter: 'number', formatter: (c) => fmtDuration(c.getValue()) },
      { title: 'Log', field: 'log', width: 60, headerSort: false, formatter: logCell },
    ],
  });
  page.table.on('tableBuilt', () => {
    applyFilter();
    showCount();
    page.tableRenderedAt = performance.now();
    loadECharts();
  });
  page.table.on('dataFiltered', () => setTimeout(showCount, 0));
}

// ---- the timeline -------------------------------------------------------------------------------

/** ECharts (1 MB) is loaded once the table is up, so that the numbers and the table come first. */
function loadECharts() {
  if (document.getElementById('echarts-script')) return;
  const s = document.createElement('script');
  s.id = 'echarts-script';
  s.src = withToken('static/echarts.min.js');
  document.head.append(s);
}

const TIMELINE_EVERY_MS = 10_000;
let lastDraw = 0;
let drawTimer;
function scheduleTimeline(now) {
  if (drawTimer) return;
  // While a build runs the timeline is redrawn at most every 10 s: it is the page's heaviest
  // part (a redraw of 2,600 spans took ~0.1 s of a core; every 3 s the open page cost the build
  // machine a third of a core when the browser ran there too).
  const wait = now ? 0 : Math.max(0, lastDraw + TIMELINE_EVERY_MS - Date.now());
  drawTimer = setTimeout(() => {
    drawTimer = undefined;
    drawTimeline();
  }, wait);
}

/**
 * Spans of the commands that ran, by series: [start s, end s, lane, label], each lane sorted by
 * start. Lane 0 is the critical path, lanes 1.. the slots.
 */
function collectSpans() {
  const s = page.summary;
  const critical = new Set(s.critical);
  const xmax = Math.max(0.001, ((s.finishedMs ?? Date.now() + page.clockSkew) - s.startedMs) / 1000);
  const series = { executed: [], failed: [], running: [], cached: [], critical: [] };
  let lanes = 0, count = 0;
  for (const r of page.rows.values()) {
    if (r.start === null || r.lane === null) continue;
    const a = r.start / 1000, b = Math.max(r.end ?? xmax * 1000, r.start + 1) / 1000;
    lanes = Math.max(lanes, r.lane + 1);
    (series[r.status] ?? series.executed).push([a, b, r.lane + 1, r.label]);
    if (critical.has(r.id)) series.critical.push([a, b, 0, r.label]);
    count++;
  }
  for (const list of Object.values(series)) list.sort((x, y) => x[2] - y[2] || x[0] - y[0]);
  return { series, lanes, xmax, count };
}

/**
 * What is drawn for the window [w0, w1] (seconds): the spans in it, where spans of one lane are
 * less than a pixel apart merged into one bar ("N actions"). A finished 20,000-action build is a
 * few hundred bars at full view; zooming in shows each action.
 */
function visibleSeries(t, w0, w1) {
  const width = Math.max(100, ($('timeline').clientWidth || 1000) - 114);
  const gap = (w1 - w0) / width;
  const colors = { executed: '#4f7fbf', failed: '#c62828', running: '#f2a900', cached: '#6a9f3b', critical: '#7b1fa2' };
  let bars = 0;
  const out = Object.entries(t.series).map(([name, spans]) => {
    const data = [];
    let cur;
    for (const [a, b, y, label] of spans) {
      if (b < w0 || a > w1) continue;
      if (cur && cur.y === y && a - cur.b <= gap) {
        cur.b = Math.max(cur.b, b);
        cur.n++;
        continue;
      }
      if (cur) data.push(cur);
      cur = { a, b, y, n: 1, label };
    }
    if (cur) data.push(cur);
    bars += data.length;
    // At least two pixels long: a short action on the critical path stays visible at full view.
    return { name, data: data.map((c) => ({ coords: [[c.a, c.y], [Math.max(c.b, c.a + 2 * gap), c.y]], name: c.n > 1 ? `${c.n} actions` : c.label })), color: colors[name] };
  });
  const large = bars > 3000;
  return out.map(({ name, data, color }) => ({
    name, type: 'lines', coordinateSystem: 'cartesian2d', data, large, clip: true, silent: large, animation: false,
    lineStyle: { width: 14, color, opacity: 1, cap: 'butt' }, emphasis: { disabled: true },
  }));
}

let spansNow;
function zoomWindow() {
  const dz = page.chart.getOption().dataZoom?.[0];
  return [(spansNow.xmax * (dz?.start ?? 0)) / 100, (spansNow.xmax * (dz?.end ?? 100)) / 100];
}

function drawTimeline() {
  if (typeof echarts === 'undefined') {
    // ECharts is still loading (see loadECharts).
    drawTimer = setTimeout(() => { drawTimer = undefined; drawTimeline(); }, 50);
    return;
  }
  lastDraw = Date.now();
  const t = (spansNow = collectSpans());
  const box = $('timeline');
  const height = 70 + (t.lanes + 1) * 24;
  if (box.clientHeight !== height) box.style.height = `${height}px`;
  if (!page.chart) {
    page.chart = echarts.init(box, null, { renderer: 'canvas' });
    let zoomTimer;
    page.chart.on('datazoom', () => {
      clearTimeout(zoomTimer);
      zoomTimer = setTimeout(() => page.chart.setOption({ series: visibleSeries(spansNow, ...zoomWindow()) }), 30);
    });
  } else page.chart.resize();
  const laneNames = ['critical path', ...Array.from({ length: t.lanes }, (_, i) => `slot ${i + 1}`)];
  const [w0, w1] = page.chart.getOption()?.dataZoom ? zoomWindow() : [0, t.xmax];
  page.chart.setOption({
    animation: false,
    grid: { left: 90, right: 24, top: 8, bottom: 56 },
    tooltip: { trigger: 'item', formatter: (p) => `${esc(p.name)}<br>${fmtDuration((p.data.coords[1][0] - p.data.coords[0][0]) * 1000)}` },
    legend: { bottom: 0, data: ['executed', 'failed', 'running', 'cached', 'critical'] },
    xAxis: { type: 'value', min: 0, max: t.xmax, axisLabel: { formatter: (v) => fmtDuration(v * 1000) } },
    yAxis: { type: 'value', min: -0.5, max: t.lanes + 0.5, inverse: true, splitLine: { show: false },
      axisLabel: { customValues: laneNames.map((_, i) => i), formatter: (v) => laneNames[v] ?? '' }, axisTick: { customValues: laneNames.map((_, i) => i) } },
    dataZoom: [{ type: 'slider', filterMode: 'none', height: 16, bottom: 24 }, { type: 'inside', filterMode: 'none' }],
    series: visibleSeries(t, w0, w1),
  }, { replaceMerge: ['series'] });
  page.timelineDrawnAt = performance.now();
  page.timelineSpans = t.count;
}

// ---- loading and following ---------------------------------------------------------------------

async function load() {
  page.source?.close();
  const res = await fetch(withToken(`api/builds/${encodeURIComponent(page.follow)}`));
  if (res.status === 404) {
    $('phase').textContent = 'no build yet';
    setTimeout(load, 1000);
    return;
  }
  performance.mark('snapshot-fetched');
  const snap = await res.json();
  performance.mark('snapshot-parsed');
  page.id = snap.summary.id;
  page.version = snap.summary.version;
  page.summary = snap.summary;
  page.compare = snap.compare;
  page.clockSkew = snap.summary.now - Date.now();
  page.rows = new Map(snap.rows.map((w) => [w[0], toRow(w)]));
  page.unshown.clear();
  renderBuilds(snap.builds);
  renderSummary();
  performance.mark('summary-rendered');
  renderTable();
  // The timeline after the table has been drawn: the numbers and the table come first.
  setTimeout(() => scheduleTimeline(true), 0);
  follow();
}

function follow() {
  const url = withToken(`api/builds/${encodeURIComponent(page.follow === 'latest' ? 'latest' : page.id)}/live?since=${page.version}`);
  const src = (page.source = new EventSource(url));
  src.onmessage = (m) => {
    const d = JSON.parse(m.data);
    page.updates++;
    page.summary = d.summary;
    page.compare = d.compare;
    page.version = d.summary.version;
    page.clockSkew = d.summary.now - Date.now();
    const changed = d.rows.map(toRow);
    for (const r of changed) {
      page.rows.set(r.id, r);
      page.unshown.set(r.id, r);
    }
    // A page nobody looks at (a background tab) only keeps its data; it draws when shown again.
    if (!document.hidden) showUpdates();
  };
  src.addEventListener('build', () => {
    src.close();
    if (page.follow === 'latest') load();
  });
  src.onerror = () => {
    // The server went away or restarted: start again from a snapshot once it answers.
    src.close();
    setTimeout(load, 2000);
  };
}

/** Draws what the live updates changed since the last time the page was drawn. */
function showUpdates() {
  renderSummary();
  const rows = [...page.unshown.values()];
  page.unshown.clear();
  if (rows.length && page.table) {
    // Rows the table has are updated in place; only new ones are added, in one batch: adding
    // rows makes Tabulator lay out every row again.
    const known = [], fresh = [];
    for (const r of rows) (page.table.getRow(r.id) ? known : fresh).push(r);
    if (known.length) page.table.updateData(known);
    if (fresh.length) page.table.addData(fresh).then(showCount);
  }
  if (rows.length || page.summary?.phase === 'running') scheduleTimeline();
}
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && page.summary) showUpdates();
});

window.addEventListener('resize', () => page.chart?.resize());
load();
