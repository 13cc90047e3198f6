import { get, query, ApiError } from './api.js';
import { h, replace, $ } from './dom.js';
import { time, duration, priority, status, reason } from './format.js';
import { jobActions } from './actions.js';
import { reorderControls, enableDrag } from './reorder.js';

const LIST_LIMIT = 200;

/**
 * The queue view: summary cards from GET /queue, the ordered PENDING list (GET /queue) or the
 * jobs of another status (GET /jobs, newest first), filtered by queue and user through the API
 * and by type, priority and submission time in the page.
 */
export class QueueView {
  constructor(app) {
    this.app = app;
    this.form = $('#filters');
    this.body = $('#jobs tbody');
    this.queues = new Map();
    // queue, user and status are asked of the API; type, priority and time are filtered here
    this.form.addEventListener('change', (e) => {
      if (['queue', 'user', 'status'].includes(e.target.name)) this.app.refreshNow(); else this.render();
    });
    this.form.addEventListener('input', (e) => { if (!['queue', 'user', 'status'].includes(e.target.name)) this.render(); });
    this.form.addEventListener('submit', (e) => e.preventDefault());
  }

  /** Once per sign-in: the queues for the filter and the reasons, and the busiest users for the user filter. */
  async prepare(me) {
    this.me = me;
    this.last = null;
    const userInput = this.form.elements.user;
    userInput.value = '';
    userInput.disabled = me.role === 'USER';
    userInput.placeholder = me.role === 'USER' ? me.id : 'any user';
    this.queuesRead = 0;
    await this.freshQueues();
    if (me.role === 'ADMIN' || me.role === 'VIEWER') {
      // suggestions: the busiest 200 users (any other id can still be typed)
      const busiest = await get('admin/fairness' + query({ limit: 200 }));
      replace($('#users'), busiest.users.map(({ user: u }) => h('option', { value: u.id }, u.displayName)));
    } else {
      replace($('#users'));
    }
  }

  /** The queues (the filter's choices, their limits for the reasons), read again once a minute. */
  async freshQueues() {
    if (Date.now() - this.queuesRead < 60000) return;
    const queues = await get('queues');
    this.queuesRead = Date.now();
    this.queues = new Map(queues.map((q) => [q.name, q]));
    const select = this.form.elements.queue;
    const chosen = select.value;
    const names = queues.map((q) => q.name).join('\n');
    if (names !== this.queueNames) {
      this.queueNames = names;
      replace(select, h('option', { value: '' }, 'all queues'), queues.map((q) => h('option', { value: q.name }, q.name)));
    }
    select.value = this.queues.has(chosen) ? chosen : '';
  }

  clear() {
    this.last = null;
    this.lastKey = null;
    replace($('#cards'));
    replace(this.body);
    $('#list-note').textContent = '';
  }

  filters() {
    const f = this.form.elements;
    return {
      queue: f.queue.value, userId: this.me.role === 'USER' ? '' : f.user.value.trim(), type: f.type.value.trim().toLowerCase(),
      status: f.status.value, tier: f.tier.value, since: f.since.value,
    };
  }

  async load() {
    const f = this.filters();
    const scope = { queue: f.queue, userId: f.userId };
    let overview;
    let items;
    let holders;
    try {
      [overview, items, holders] = await Promise.all([
        get('queue' + query({ ...scope, limit: LIST_LIMIT })),
        f.status === 'PENDING' ? null : get('jobs' + query({ ...scope, status: f.status, limit: LIST_LIMIT })).then((p) => p.items),
        // a user's limit counts its running jobs in every queue, so a queue's own slots cannot say it
        f.queue ? get('queue' + query({ userId: f.userId, limit: 0 })).then((o) => o.active.byUser) : null,
        this.freshQueues(),
      ]);
    } catch (e) {
      if (e instanceof ApiError && e.status === 400) {
        this.last = null;
        replace($('#cards'));
        replace(this.body);
        $('#list-note').textContent = `Nothing to show: ${e.message}`;
        return;
      }
      throw e;
    }
    const key = JSON.stringify([f.status, overview, items, holders]);
    if (this.last && key === this.lastKey) return; // nothing changed: the page stays as it is
    this.lastKey = key;
    this.last = { status: f.status, overview, jobs: items || overview.jobs, holders: holders || overview.active.byUser };
    this.render();
  }

  render(focusKey) {
    if (!this.last) return;
    const { overview, jobs, holders } = this.last;
    const f = { ...this.filters(), status: this.last.status };
    this.cards(overview);
    const since = f.since ? Date.now() - Number(f.since) * 1000 : null;
    const shown = jobs.filter((j) => (!f.type || j.type.toLowerCase().includes(f.type))
      && (!f.tier || j.tier === f.tier)
      && (!since || new Date(j.createdAt).getTime() >= since));
    const ctx = {
      users: new Map(holders.map((u) => [u.userId, u])),
      queues: this.queues,
      slotsMax: overview.queue ? null : overview.active.slotsMax,
    };
    // an ADMIN reorders the PENDING list: a priority dropdown, move buttons and drag and drop
    ctx.reorder = this.me.role === 'ADMIN' && f.status === 'PENDING' ? shown : null;
    replace(this.body, shown.length ? shown.map((j, i) => this.row(j, ctx, i))
      : h('tr', {}, h('td', { colspan: 11, class: 'empty' }, 'No jobs match.')));
    if (ctx.reorder) enableDrag(this.body, shown, (e) => this.app.acted(e));
    const total = f.status === 'PENDING' ? overview.pending.total : null;
    $('#list-note').textContent = f.status === 'PENDING'
      ? `${shown.length} shown of ${total} pending, in the order they will be claimed (priority, then age).`
      : `${shown.length} shown, newest first (the latest ${LIST_LIMIT} of this status).`;
    if (focusKey) {
      const el = this.body.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
      if (el) el.focus();
    }
  }

  row(job, ctx, index) {
    const words = reason(job, ctx);
    const place = job.position == null ? '—'
      : job.userPosition != null && this.me.role === 'USER' ? `${job.position} (yours: ${job.userPosition})` : String(job.position);
    return h('tr', { dataset: { jobId: job.id, status: job.status }, class: `tier-row-${job.tier.toLowerCase()}` },
      h('td', { class: 'pos', dataset: { label: 'Position' } }, place),
      h('td', { dataset: { label: 'Job' } }, h('a', { href: `#/job/${job.id}`, 'aria-label': `Job ${job.id} details` }, `#${job.id}`)),
      h('td', { class: 'user', dataset: { label: 'User' } }, job.userId),
      h('td', { dataset: { label: 'Queue' } }, job.queue),
      h('td', { dataset: { label: 'Type' } }, job.type),
      h('td', { dataset: { label: 'Priority' } }, priority(job)),
      h('td', { dataset: { label: 'Status' } }, status(job.status)),
      h('td', { dataset: { label: 'Submitted' } }, time(job.createdAt)),
      h('td', { dataset: { label: 'Estimated start' } }, time(job.estimatedStartAt)),
      h('td', { class: 'reason', dataset: { label: 'Why it waits', reason: job.waitingReason || '' },
        title: (job.waitingReasons || []).join(', ') || null }, words),
      h('td', { class: 'act' }, jobActions(this.me, job, (e) => this.app.acted(e), (key) => this.render(key)),
        ctx.reorder ? reorderControls(job, index, ctx.reorder, (e) => this.app.acted(e)) : null));
  }

  cards(o) {
    const c = o.counts;
    const card = (title, big, small, name) => h('div', { class: 'card', dataset: { card: name } },
      h('h3', {}, title), h('p', { class: 'big' }, big), h('p', { class: 'small' }, small));
    replace($('#cards'),
      card('Queued', String(o.pending.total),
        [h('span', { class: 'tier-text-urgent' }, `${o.pending.urgent} urgent`), ' · ',
          h('span', { class: 'tier-text-normal' }, `${o.pending.normal} normal`), ' · ',
          h('span', { class: 'tier-text-background' }, `${o.pending.background} background`)], 'queued'),
      card('Running', `${o.active.slotsUsed} / ${o.active.slotsMax == null ? '∞' : o.active.slotsMax}`,
        o.active.slotsMax == null ? 'slots in use (no global limit)' : 'slots in use', 'running'),
      card('Average wait', duration(o.avgWaitSecs), 'of the last 100 completed jobs', 'wait'),
      card('Waiting otherwise', String(c.SCHEDULED + c.RETRY_WAIT + c.PAUSED),
        `${c.SCHEDULED} scheduled · ${c.RETRY_WAIT} retrying · ${c.PAUSED} paused · ${c.FAILED} failed`, 'other'));
  }
}
