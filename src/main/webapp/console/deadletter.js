import { get, post, query } from './api.js';
import { h, replace, $ } from './dom.js';
import { time } from './format.js';
import { ask } from './ask.js';

/**
 * Dead letters: FAILED jobs with their last error, newest failure first (GET /dead-letter); an
 * ADMIN retries one (POST /jobs/{id}/retry submits a new job, the failed one stays FAILED).
 */
export class DeadLetterView {
  constructor(app) {
    this.app = app;
    this.body = $('#dead-letters tbody');
    this.form = $('#dl-filters');
    this.form.addEventListener('change', () => this.app.refreshNow());
  }

  clear() {
    this.key = null;
    replace(this.body);
  }

  async load() {
    await this.app.queue.freshQueues();
    const select = this.form.elements.queue;
    const names = [...this.app.queue.queues.keys()];
    if (names.join('\n') !== this.names) {
      const chosen = select.value;
      this.names = names.join('\n');
      replace(select, h('option', { value: '' }, 'all queues'), names.map((n) => h('option', { value: n }, n)));
      select.value = names.includes(chosen) ? chosen : '';
    }
    const jobs = await get('dead-letter' + query({ queue: select.value, limit: 200 }));
    const key = JSON.stringify(jobs);
    if (key === this.key) return;
    this.key = key;
    const admin = this.app.me.role === 'ADMIN';
    replace(this.body, jobs.length ? jobs.map((j) => h('tr', { dataset: { jobId: j.id } },
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
      : h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No dead letters.')));
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
}
