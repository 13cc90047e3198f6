import { get, query } from './api.js';
import { h, replace, fillChoices, $ } from './dom.js';
import { duration, utc } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 720;
const H = 160;
const PAD = { left: 48, right: 8, top: 10, bottom: 22 };

/** An SVG element (attributes only: the page's CSP allows no inline style). */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const hhmm = (iso) => utc(new Date(iso)).slice(11, 16);
const ms = (v) => (v == null ? '—' : v < 1000 ? `${v} ms` : duration(v / 1000));

/**
 * History (GET /admin/history): per queue or overall, over the last hour (per minute) or day (per
 * 5 minutes), from the rollup the History timer writes each minute (never a count over the job
 * table per request). Four charts drawn as SVG: jobs completed and failed, the pending depth,
 * the wait and the run time (p50 and p95).
 */
export class HistoryView {
  constructor(app) {
    this.app = app;
    this.form = $('#history-filters');
    this.form.addEventListener('change', () => { this.key = null; this.app.refreshNow(); });
    this.form.addEventListener('submit', (e) => e.preventDefault());
  }

  clear() {
    this.key = null;
    replace($('#history-charts'));
  }

  async load() {
    await this.app.queue.freshQueues();
    const select = this.form.elements.queue;
    fillChoices(select, [...this.app.queue.queues.keys()], 'all queues');
    const history = await get('admin/history' + query({ queue: select.value, range: this.form.elements.range.value }));
    const key = JSON.stringify(history);
    if (key === this.key) return;
    this.key = key;
    const p = history.points;
    const sum = (k) => p.reduce((n, x) => n + (x[k] || 0), 0);
    $('#history-note').textContent = `${history.queue ? `Queue ${history.queue}` : 'All queues'}, ${hhmm(history.from)}–${hhmm(history.to)} UTC `
      + `in ${history.bucketSeconds / 60}-minute steps: ${sum('completed')} completed, ${sum('failed')} failed.`;
    replace($('#history-charts'),
      chart('Jobs ended', p, [{ key: 'completed', label: 'completed', cls: 'ok' }, { key: 'failed', label: 'failed', cls: 'bad' }], 'bars', String),
      chart('Pending depth', p, [{ key: 'pendingDepth', label: 'pending', cls: 'depth' }], 'lines', String),
      chart('Wait before start', p, [{ key: 'waitP50Ms', label: 'p50', cls: 'p50' }, { key: 'waitP95Ms', label: 'p95', cls: 'p95' }], 'lines', ms),
      chart('Run time', p, [{ key: 'runP50Ms', label: 'p50', cls: 'p50' }, { key: 'runP95Ms', label: 'p95', cls: 'p95' }], 'lines', ms));
  }
}

/** One chart: stacked bars or lines over the points, with its largest value and first/last time. */
function chart(title, points, series, kind, fmt) {
  const values = points.map((pt) => (kind === 'bars'
    ? series.reduce((n, se) => n + (pt[se.key] || 0), 0) : Math.max(0, ...series.map((se) => pt[se.key] || 0))));
  const max = Math.max(1, ...values);
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const step = iw / Math.max(1, points.length);
  const y = (v) => PAD.top + ih - (ih * v) / max;
  const marks = [];
  points.forEach((pt, i) => {
    const x = PAD.left + i * step;
    const tip = `${hhmm(pt.at)} UTC: ` + series.map((se) => `${se.label} ${fmt(pt[se.key] ?? null)}`).join(', ');
    const g = s('g', { class: 'point', 'data-at': pt.at, ...Object.fromEntries(series.map((se) => [`data-${se.key.toLowerCase()}`, pt[se.key] ?? ''])) },
      s('title', {}, tip));
    if (kind === 'bars') {
      let base = 0;
      for (const se of series) {
        const v = pt[se.key] || 0;
        if (v > 0) g.append(s('rect', { class: `bar ${se.cls}`, x: x + 1, width: Math.max(1, step - 2), y: y(base + v), height: y(base) - y(base + v) }));
        base += v;
      }
    } else {
      g.append(s('rect', { class: 'hit', x, width: step, y: PAD.top, height: ih }));
    }
    marks.push(g);
  });
  const lines = kind === 'lines' ? series.map((se) => {
    const d = points.map((pt, i) => (pt[se.key] == null ? null : `${PAD.left + i * step + step / 2},${y(pt[se.key])}`)).filter(Boolean);
    return d.length ? s('polyline', { class: `line ${se.cls}`, points: d.join(' ') }) : null;
  }) : [];
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}, largest ${fmt(max)}`, class: 'chart' },
    s('line', { class: 'axis', x1: PAD.left, y1: PAD.top + ih, x2: W - PAD.right, y2: PAD.top + ih }),
    s('text', { class: 'tick', x: PAD.left - 4, y: PAD.top + 8, 'text-anchor': 'end' }, fmt(max)),
    s('text', { class: 'tick', x: PAD.left - 4, y: PAD.top + ih, 'text-anchor': 'end' }, '0'),
    points.length ? s('text', { class: 'tick', x: PAD.left, y: H - 4 }, hhmm(points[0].at)) : null,
    points.length ? s('text', { class: 'tick', x: W - PAD.right, y: H - 4, 'text-anchor': 'end' }, hhmm(points[points.length - 1].at)) : null,
    marks, lines);
  return h('figure', { class: 'chart-box', dataset: { chart: title } },
    h('figcaption', {}, title, ' ', series.map((se) => h('span', { class: `key ${se.cls}` }, se.label))), svg);
}
