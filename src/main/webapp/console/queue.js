import { get, query, ApiError } from './api.js';
import { h, replace, fillChoices, $ } from './dom.js';
import { time, duration, priority, status, reason } from './format.js';
import { jobActions } from './actions.js';
import { reorderControls, enableDrag } from './reorder.js';
import { bulk, payloadFilter } from './bulk.js';

const LIST_LIMIT = 200;

/**
 * The queue view: summary cards from GET /queue, the ordered PENDING list (GET /queue) or the
 * jobs of another status (GET /jobs, newest first), filtered by queue, user and payload through
 * the API and by type, priority and submission time in the page. An ADMIN cancels or
 * reprioritizes the selected jobs or every match of the filters (POST /admin/jobs/bulk).
 */
export class QueueView {
  constructor(app) {
    this.app = app;
    this.form = $('#filters');
    this.body = $('#jobs tbody');
    this.queues = new Map();
    // queue, user and status are asked of the API; type, priority and time are filtered here
    const asked = ['queue', 'user', 'status', 'payload'];
    this.form.addEventListener('change', (e) => {
      if (asked.includes(e.target.name)) { this.selected.clear(); this.app.refreshNow(); } else this.render();
    });
    this.form.addEventListener('input', (e) => { if (!asked.includes(e.target.name)) this.render(); });
    this.form.addEventListener('submit', (e) => e.preventDefault());
    this.selected = new Set();
    this.bar = $('#queue-bulk');
    const act = (name, run) => this.bar.querySelector(`[data-do=${name}]`).addEventListener('click', run);
    act('cancel-selected', () => this.bulk({ action: 'cancel', ids: [...this.selected] }));
    act('cancel-matching', () => this.bulkMatching('cancel'));
    act('reprioritize-matching', () => this.bulkMatching('reprioritize'));
  }

  /** Every match of the filters the server can apply (all but the priority tier and a part of a type). */
  async bulkMatching(action) {
    const f = this.filters();
    if (f.tier) {
      this.app.problem(new Error('clear the priority filter first: a bulk action filters by queue, user, status, exact type, payload and time'), true);
      return;
    }
    let payload;
    try { payload = payloadFilter(f.payload); } catch (e) { this.app.problem(e, true); return; }
    const filter = Object.fromEntries(Object.entries({
      status: f.status || undefined, queue: f.queue, userId: f.userId, type: this.form.elements.type.value.trim(),
      payload: payload || undefined, createdFrom: f.since ? new Date(Date.now() - Number(f.since) * 1000).toISOString() : undefined,
    }).filter(([, v]) => v !== undefined && v !== ''));
    const priority = action === 'reprioritize' ? Number(this.bar.querySelector('input[name=priority]').value) : undefined;
    await this.bulk({ action, filter, priority });
  }

  async bulk(request) {
    try {
      await bulk(this.app, request);
      this.selected.clear();
      this.lastKey = null;
      this.app.refreshNow();
    } catch (e) {
      this.app.acted(e);
    }
  }

  /** Once per sign-in: the queues for the filter and the reasons, and the busiest users for the user filter. */
  async prepare(me) {
    this.me = me;
    this.last = null;
    const userInput = this.form.elements.user;
    userInput.value = '';
    userInput.disabled = me.role === 'USER';
    userInput.placeholder = me.role === 'USER' ? me.id : 'any user';
    this.bar.hidden = me.role !== 'ADMIN';
    this.selected.clear();
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
    fillChoices(this.form.elements.queue, queues.map((q) => q.name), 'all queues');
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
      status: f.status.value, tier: f.tier.value, since: f.since.value, payload: f.payload.value.trim(),
    };
  }

  async load() {
    const f = this.filters();
    const scope = { queue: f.queue, userId: f.userId };
    let payload;
    try {
      payload = payloadFilter(f.payload);
    } catch (e) {
      this.last = null;
      replace(this.body);
      $('#list-note').textContent = `Payload filter: ${e.message}.`;
      return;
    }
    let overview;
    let items;
    let holders;
    // a payload search reads GET /jobs (newest first): the claim-ordered list cannot filter by payload
    const searched = payload ? { payload: JSON.stringify(payload) } : null;
    try {
      [overview, items, holders] = await Promise.all([
        get('queue' + query({ ...scope, limit: LIST_LIMIT })),
        f.status === 'PENDING' && !searched ? null
          : get('jobs' + query({ ...scope, status: f.status, ...searched, limit: LIST_LIMIT })).then((p) => p.items),
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
    this.last = { status: f.status, searched: Boolean(searched), overview, jobs: items || overview.jobs, holders: holders || overview.active.byUser };
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
    ctx.reorder = this.me.role === 'ADMIN' && f.status === 'PENDING' && !this.last.searched ? shown : null;
    for (const id of this.selected) if (!shown.some((j) => j.id === id)) this.selected.delete(id);
    this.bar.querySelector('[data-do=cancel-selected]').disabled = this.selected.size === 0;
    replace(this.body, shown.length ? shown.map((j, i) => this.row(j, ctx, i))
      : h('tr', {}, h('td', { colspan: 11, class: 'empty' }, 'No jobs match.')));
    if (ctx.reorder) enableDrag(this.body, shown, (e) => this.app.acted(e));
    const total = f.status === 'PENDING' ? overview.pending.total : null;
    $('#list-note').textContent = (f.status === 'PENDING' && !this.last.searched
      ? `${shown.length} shown of ${total} pending, in the order they will be claimed (priority, then age).`
      : `${shown.length} shown, newest first (the latest ${LIST_LIMIT} of this status${this.last.searched ? ' whose payload matches' : ''}).`)
      + (this.selected.size ? ` ${this.selected.size} selected.` : '');
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
      h('td', { class: 'act' },
        this.me.role === 'ADMIN' ? h('input', {
          type: 'checkbox', class: 'pick', 'aria-label': `Select job ${job.id}`, checked: this.selected.has(job.id),
          dataset: { focusKey: `pick-${job.id}` }, onchange: (e) => this.pick(job.id, e.target.checked),
        }) : null,
        jobActions(this.me, job, (e) => this.app.acted(e), (key) => this.render(key)),
        ctx.reorder ? reorderControls(job, index, ctx.reorder, (e) => this.app.acted(e)) : null));
  }

  pick(id, on) {
    if (on) this.selected.add(id); else this.selected.delete(id);
    this.bar.querySelector('[data-do=cancel-selected]').disabled = this.selected.size === 0;
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
