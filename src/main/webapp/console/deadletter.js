import { get, post, query } from './api.js';
import { h, replace, fillChoices, $ } from './dom.js';
import { time } from './format.js';
import { ask } from './ask.js';
import { bulk, payloadFilter } from './bulk.js';

/**
 * Dead letters: FAILED jobs with their last error, newest failure first (GET /dead-letter, with
 * the filters queue, user, type, error text, payload and submission time, all asked of the API).
 * An ADMIN retries one (POST /jobs/{id}/retry: a new job, the failed one stays FAILED), the
 * selected ones, or every match of the filters (POST /admin/jobs/bulk, counted and confirmed).
 */
export class DeadLetterView {
  constructor(app) {
    this.app = app;
    this.body = $('#dead-letters tbody');
    this.form = $('#dl-filters');
    this.selected = new Set();
    this.form.addEventListener('change', () => { this.selected.clear(); this.app.refreshNow(); });
    this.form.addEventListener('submit', (e) => e.preventDefault());
    this.bar = $('#dl-bulk');
    this.bar.querySelector('[data-do=retry-selected]').addEventListener('click', () => this.retryMany({ ids: [...this.selected] }));
    this.bar.querySelector('[data-do=retry-matching]').addEventListener('click', () => {
      const filter = this.filter();
      if (filter) this.retryMany({ filter: { ...filter, status: 'FAILED' } });
    });
  }

  prepare(me) {
    this.bar.hidden = me.role !== 'ADMIN';
  }

  clear() {
    this.key = null;
    this.selected.clear();
    replace(this.body);
  }

  /** The filters as the API takes them, or null (with the reason shown) when one is not usable. */
  filter() {
    const f = this.form.elements;
    let payload = null;
    try {
      payload = payloadFilter(f.payload.value);
    } catch (e) {
      $('#dl-note').textContent = `Payload filter: ${e.message}.`;
      return null;
    }
    const since = f.since.value ? new Date(Date.now() - Number(f.since.value) * 1000).toISOString() : undefined;
    return Object.fromEntries(Object.entries({
      queue: f.queue.value, userId: f.user.value.trim(), type: f.type.value.trim(), error: f.error.value.trim(),
      payload: payload || undefined, createdFrom: since,
    }).filter(([, v]) => v !== undefined && v !== ''));
  }

  async load() {
    await this.app.queue.freshQueues();
    const select = this.form.elements.queue;
    fillChoices(select, [...this.app.queue.queues.keys()], 'all queues');
    const filter = this.filter();
    if (!filter) return;
    const params = { ...filter, payload: filter.payload ? JSON.stringify(filter.payload) : undefined, limit: 200 };
    const jobs = await get('dead-letter' + query(params));
    $('#dl-note').textContent = `${jobs.length}${jobs.length === 200 ? ' (the newest 200)' : ''} shown`
      + (this.selected.size ? `, ${this.selected.size} selected.` : '.');
    const key = JSON.stringify([jobs, [...this.selected]]);
    if (key === this.key) return;
    this.key = key;
    const admin = this.app.me.role === 'ADMIN';
    for (const id of this.selected) if (!jobs.some((j) => j.id === id)) this.selected.delete(id);
    this.bar.querySelector('[data-do=retry-selected]').disabled = this.selected.size === 0;
    replace(this.body, jobs.length ? jobs.map((j) => h('tr', { dataset: { jobId: j.id } },
      h('td', { class: 'pick' }, admin ? h('input', {
        type: 'checkbox', 'aria-label': `Select job ${j.id}`, checked: this.selected.has(j.id),
        dataset: { focusKey: `pick-${j.id}` }, onchange: (e) => this.pick(j.id, e.target.checked),
      }) : null),
      h('td', { dataset: { label: 'Job' } }, h('a', { href: `#/job/${j.id}` }, `#${j.id}`)),
      h('td', { dataset: { label: 'User' } }, j.userId),
      h('td', { dataset: { label: 'Queue' } }, j.queue),
      h('td', { dataset: { label: 'Type' } }, j.type),
      h('td', { dataset: { label: 'Attempts' } }, String(j.attempts)),
      h('td', { dataset: { label: 'Failed' } }, time(j.finishedAt)),
      h('td', { class: 'error-cell', dataset: { label: 'Last error' } }, j.lastError || '—'),
      h('td', { class: 'act' }, admin ? h('button', {
        type: 'button', dataset: { action: 'retry', focusKey: `retry-${j.id}` }, 'aria-label': `Retry job ${j.id}`,
        onclick: () => this.retry(j),
      }, 'Retry') : null)))
      : h('tr', {}, h('td', { colspan: 9, class: 'empty' }, 'No dead letters match.')));
  }

  pick(id, on) {
    if (on) this.selected.add(id); else this.selected.delete(id);
    this.bar.querySelector('[data-do=retry-selected]').disabled = this.selected.size === 0;
    $('#dl-note').textContent = `${this.selected.size} selected.`;
  }

  async retry(job) {
    const answer = await ask({
      title: `Retry job #${job.id}`, message: 'A new job is submitted with the same queue, user, type and payload.',
      confirm: 'Retry', reason: false,
    });
    if (answer === null) return;
    try {
      const fresh = await post(`jobs/${job.id}/retry`);
      this.app.acted(null);
      this.app.notice(`Job #${job.id} retried as job #${fresh.id}.`);
    } catch (e) {
      this.app.acted(e);
    }
  }

  async retryMany(target) {
    try {
      await bulk(this.app, { action: 'retry', ...target });
      this.selected.clear();
      this.key = null;
      this.app.refreshNow();
    } catch (e) {
      this.app.acted(e);
    }
  }
}
