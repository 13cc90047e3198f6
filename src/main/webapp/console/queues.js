import { get, post, call } from './api.js';
import { h, replace, $ } from './dom.js';
import { ask } from './ask.js';

const WAITING = ['PENDING', 'SCHEDULED', 'RETRY_WAIT', 'PAUSED'];
const number = (text) => (text.trim() === '' ? null : Number(text));

/**
 * Queues for ADMINs: their limits edited in place (PATCH /queues/{name}), pause and resume, clear
 * (every waiting job cancelled, after a confirmation that says how many), and a new queue.
 */
export class QueuesView {
  constructor(app) {
    this.app = app;
    this.body = $('#queues tbody');
    this.form = $('#queue-create-form');
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.create(); });
  }

  prepare(me) {
    this.form.hidden = me.role !== 'ADMIN';
  }

  clear() {
    this.key = null;
    replace(this.body);
  }

  async load() {
    const queues = await get('queues');
    const key = JSON.stringify(queues);
    const editing = this.body.contains(document.activeElement) && document.activeElement.tagName === 'INPUT';
    if (key === this.key || editing) return; // not while a limit is being typed
    this.key = key;
    const admin = this.app.me.role === 'ADMIN';
    replace(this.body, queues.map((q) => {
      const field = (name, value, label, min, placeholder) => (admin
        ? h('input', { type: 'number', name, min, step: 1, value: value ?? '', placeholder, 'aria-label': `${label} of ${q.name}`, class: 'narrow' })
        : String(value ?? placeholder));
      return h('tr', { dataset: { queue: q.name, paused: q.paused } },
        h('td', { dataset: { label: 'Queue' } }, q.name, q.description ? h('span', { class: 'small' }, ` ${q.description}`) : null),
        h('td', { dataset: { label: 'Running at once' } }, field('maxConcurrent', q.maxConcurrent, 'Running at once', 1, 'unlimited')),
        h('td', { dataset: { label: 'Retries' } }, field('maxRetries', q.maxRetries, 'Retries', 0, '')),
        h('td', { dataset: { label: 'Backoff base (s)' } }, field('retryBaseDelaySeconds', q.retryBaseDelaySeconds, 'Backoff base', 1, '')),
        h('td', { dataset: { label: 'Lease (s)' } }, field('leaseSeconds', q.leaseSeconds, 'Lease', 1, '')),
        h('td', { dataset: { label: 'State' } }, q.paused ? h('span', { class: 'warn-text' }, 'paused') : 'running'),
        h('td', { class: 'act' }, admin ? h('span', { class: 'actions' },
          h('button', { type: 'button', dataset: { action: 'save' }, 'aria-label': `Save ${q.name}`, onclick: (e) => this.save(q, e.target.closest('tr')) }, 'Save'),
          h('button', { type: 'button', dataset: { action: q.paused ? 'resume' : 'pause' }, 'aria-label': `${q.paused ? 'Resume' : 'Pause'} ${q.name}`,
            onclick: () => this.run(post(`queues/${encodeURIComponent(q.name)}/${q.paused ? 'resume' : 'pause'}`)) }, q.paused ? 'Resume' : 'Pause'),
          h('button', { type: 'button', class: 'danger', dataset: { action: 'clear' }, 'aria-label': `Clear ${q.name}`, onclick: () => this.clearQueue(q) }, 'Clear'))
          : null));
    }));
  }

  run(promise) {
    return this.app.act(this, promise);
  }

  save(q, tr) {
    const value = (name) => number(tr.querySelector(`input[name=${name}]`).value);
    const body = { maxConcurrent: value('maxConcurrent') };
    for (const name of ['maxRetries', 'retryBaseDelaySeconds', 'leaseSeconds']) if (value(name) !== null) body[name] = value(name);
    return this.run(call('PATCH', `queues/${encodeURIComponent(q.name)}`, body).then(() => this.app.notice(`Saved queue ${q.name}.`)));
  }

  async clearQueue(q) {
    let stats;
    try {
      stats = await get(`queues/${encodeURIComponent(q.name)}/stats`);
    } catch (e) {
      this.app.acted(e);
      return;
    }
    const waiting = WAITING.reduce((n, s) => n + (stats.counts[s] || 0), 0);
    const answer = await ask({
      title: `Clear queue ${q.name}`,
      message: `${waiting} waiting jobs (pending, scheduled, retrying or paused) become cancelled; running jobs go on. Nothing is deleted.`,
      confirm: `Cancel ${waiting} jobs`, danger: true, reason: false,
    });
    if (answer === null) return;
    await this.run(call('DELETE', `queues/${encodeURIComponent(q.name)}/jobs`)
      .then((r) => this.app.notice(`Queue ${q.name} cleared: ${r.cancelled} jobs cancelled.`)));
  }

  async create() {
    const f = this.form.elements;
    const body = { name: f.name.value.trim() };
    if (f.description.value.trim()) body.description = f.description.value.trim();
    for (const name of ['maxConcurrent', 'maxRetries', 'leaseSeconds']) if (number(f[name].value) !== null) body[name] = number(f[name].value);
    await this.run(post('queues', body).then(() => { this.form.reset(); this.app.queue.queuesRead = 0; this.app.notice(`Created queue ${body.name}.`); }));
  }
}
