import { get, ApiError } from './api.js';
import { h, replace, $ } from './dom.js';
import { time, duration, priority, status, reason } from './format.js';
import { jobActions } from './actions.js';

const ENDS_ATTEMPT = new Set(['COMPLETED', 'RETRY_WAIT', 'FAILED', 'PAUSED', 'CANCELLED', 'PENDING']);

/**
 * Each attempt from the audit log: it begins with a claim (to DISPATCHED), may start (to
 * RUNNING), and ends with the next move out of DISPATCHED or RUNNING, whose reason is the error of
 * a failed attempt.
 */
export function attempts(transitions) {
  const list = [];
  let current = null;
  for (const t of transitions) {
    if (t.to === 'DISPATCHED') {
      current = { n: list.length + 1, claimedAt: t.at, startedAt: null, endedAt: null, outcome: null, error: null };
      list.push(current);
    } else if (current && t.to === 'RUNNING' && t.from === 'DISPATCHED') {
      current.startedAt = t.at;
    } else if (current && (t.from === 'DISPATCHED' || t.from === 'RUNNING') && ENDS_ATTEMPT.has(t.to)) {
      current.endedAt = t.at;
      current.outcome = t.to;
      current.error = t.to === 'COMPLETED' ? null : t.reason;
      current = null;
    }
  }
  return list;
}

/** The job detail: facts, placement, payload and result, attempts and the transitions timeline. */
export class JobView {
  constructor(app) {
    this.app = app;
    this.root = $('#job');
  }

  clear() {
    this.job = null;
    this.lastKey = null;
    replace(this.root);
  }

  show(id) {
    this.id = id;
    this.job = null;
    this.missing = null;
    $('#job-title').textContent = `Job #${id}`;
    replace(this.root, h('p', { class: 'note' }, 'Loading…'));
  }

  async load() {
    if (this.missing === this.id) return; // a job that does not exist (for this caller) is not asked for again on refresh
    let job;
    let transitions;
    try {
      [job, transitions] = await Promise.all([get(`jobs/${this.id}`), get(`jobs/${this.id}/transitions`)]);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        this.missing = this.id;
        replace(this.root, h('p', { class: 'error', role: 'alert' }, `Job #${this.id} does not exist or is not yours to see.`));
        return;
      }
      throw e;
    }
    const key = JSON.stringify([job, transitions]);
    if (this.job && this.job.id === job.id && key === this.lastKey) return;
    this.lastKey = key;
    this.job = job;
    const users = new Map();
    if (job.waitingReason === 'USER_LIMIT') {
      const q = await get('queue?limit=0' + (this.app.me.role === 'USER' ? '' : `&userId=${encodeURIComponent(job.userId)}`));
      for (const u of q.active.byUser) users.set(u.userId, u);
    }
    const words = reason(job, { users, queues: this.app.queue.queues, slotsMax: null });
    $('#job-title').textContent = `Job #${job.id}: ${job.type}`;
    const fact = (term, value, name) => [h('dt', {}, term), h('dd', { dataset: { fact: name || term.toLowerCase() } }, value)];
    replace(this.root,
      h('div', { class: 'job-head' }, status(job.status), ' ', priority(job), ' ',
        jobActions(this.app.me, job, (e) => this.app.acted(e), () => { this.lastKey = null; this.load(); })),
      h('div', { class: 'job-grid' },
        h('section', { 'aria-labelledby': 'job-facts' }, h('h3', { id: 'job-facts' }, 'Facts'),
          h('dl', { class: 'facts' },
            fact('Queue', job.queue), fact('User', job.userId), job.projectId && fact('Project', job.projectId),
            fact('Attempts', `${job.attempts} of ${job.maxRetries + 1} allowed`),
            fact('Submitted', time(job.createdAt)),
            job.scheduledStartAt && fact('Scheduled start', time(job.scheduledStartAt), 'scheduled'),
            job.offPeakOnly && fact('Off-peak only', 'yes', 'offpeak'),
            job.claimedAt && fact('Claimed', time(job.claimedAt)),
            job.startedAt && fact('Started', time(job.startedAt)),
            job.finishedAt && fact('Finished', time(job.finishedAt)),
            job.actualDurationSecs != null && fact('Ran for', duration(job.actualDurationSecs), 'duration'),
            job.workerId && fact('Worker', job.workerId),
            job.leaseExpiresAt && fact('Lease expires', time(job.leaseExpiresAt), 'lease'),
            job.nextRetryAt && fact('Next retry', time(job.nextRetryAt), 'retry'),
            job.retryOf && fact('Retry of', h('a', { href: `#/job/${job.retryOf}` }, `#${job.retryOf}`), 'retryof'),
            job.lastError && fact('Last error', h('span', { class: 'error-text' }, job.lastError), 'error'))),
        h('section', { 'aria-labelledby': 'job-place' }, h('h3', { id: 'job-place' }, 'Place in the queue'),
          job.waitingReason
            ? h('dl', { class: 'facts' },
              job.position != null && fact('Position', String(job.position)),
              job.userPosition != null && fact(`Among ${job.userId}'s jobs`, String(job.userPosition), 'userposition'),
              job.estimatedStartAt && fact('Estimated start', time(job.estimatedStartAt), 'eta'),
              fact('Why it waits', h('span', { dataset: { reason: job.waitingReason } }, words), 'reason'),
              (job.waitingReasons || []).length > 1 && fact('Also held by', job.waitingReasons.slice(1).map((r) => r.toLowerCase().replaceAll('_', ' ')).join(', '), 'reasons'))
            : h('p', { class: 'note' }, job.status === 'RUNNING' || job.status === 'DISPATCHED' ? 'Running now.' : 'Not waiting.'))),
      h('div', { class: 'job-grid' },
        h('section', { 'aria-labelledby': 'job-payload' }, h('h3', { id: 'job-payload' }, 'Payload'), json(job.payload, 'payload')),
        h('section', { 'aria-labelledby': 'job-result' }, h('h3', { id: 'job-result' }, 'Result'), json(job.result, 'result'))),
      h('section', { 'aria-labelledby': 'job-attempts' }, h('h3', { id: 'job-attempts' }, 'Attempts'), attemptTable(attempts(transitions))),
      h('section', { 'aria-labelledby': 'job-timeline' }, h('h3', { id: 'job-timeline' }, 'Timeline'),
        h('ol', { class: 'timeline' }, transitions.map((t) => h('li', { dataset: { to: t.to } },
          time(t.at), ' ',
          h('span', { class: 'move' }, t.from ? [status(t.from), ' → ', status(t.to)] : ['created as ', status(t.to)]),
          ' ', h('span', { class: 'by' }, `by ${t.triggeredBy || 'the system'}`),
          t.reason ? h('span', { class: 'why' }, `: ${t.reason}`) : null)))));
  }
}

function json(value, name) {
  if (value === undefined || value === null) return h('p', { class: 'note', dataset: { json: name } }, 'none');
  return h('pre', { class: 'json', tabindex: 0, dataset: { json: name } }, JSON.stringify(value, null, 2));
}

function attemptTable(list) {
  if (!list.length) return h('p', { class: 'note' }, 'Not claimed yet.');
  return h('table', { class: 'attempts' },
    h('thead', {}, h('tr', {}, ['#', 'Claimed', 'Started', 'Ended', 'Outcome', 'Error'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, list.map((a) => h('tr', {},
      h('td', {}, String(a.n)), h('td', {}, time(a.claimedAt)), h('td', {}, time(a.startedAt)),
      h('td', {}, a.endedAt ? time(a.endedAt) : 'running'),
      h('td', {}, a.outcome ? status(a.outcome) : ''), h('td', { class: 'error-text' }, a.error || '')))));
}
