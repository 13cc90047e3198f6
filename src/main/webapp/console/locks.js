import { get, call, query } from './api.js';
import { h, replace, $ } from './dom.js';
import { time } from './format.js';
import { ask } from './ask.js';

/**
 * Locks (seed 002): who holds a slot, since when and until when (GET /admin/locks); an ADMIN
 * releases one job's lock or all of a user's, with a reason (DELETE /admin/locks/{user}).
 */
export class LocksView {
  constructor(app) {
    this.app = app;
    this.body = $('#locks tbody');
  }

  clear() {
    this.key = null;
    replace(this.body);
  }

  async load() {
    const locks = await get('admin/locks');
    const key = JSON.stringify(locks);
    if (key === this.key) return;
    this.key = key;
    const admin = this.app.me.role === 'ADMIN';
    const perUser = new Map();
    for (const l of locks) perUser.set(l.userId, (perUser.get(l.userId) || 0) + 1);
    replace(this.body, locks.length ? locks.map((l, i) => h('tr', { dataset: { lockJob: l.jobId, user: l.userId } },
      h('td', { dataset: { label: 'User' } }, l.userId),
      h('td', { dataset: { label: 'Job' } }, h('a', { href: `#/job/${l.jobId}` }, `#${l.jobId}`)),
      h('td', { dataset: { label: 'Queue' } }, l.queue),
      h('td', { dataset: { label: 'Worker' } }, l.workerId),
      h('td', { dataset: { label: 'Since' } }, time(l.acquiredAt)),
      h('td', { dataset: { label: 'Until' } }, time(l.expiresAt)),
      h('td', { class: 'act' }, admin ? h('span', { class: 'actions' },
        h('button', { type: 'button', class: 'danger', dataset: { action: 'release', focusKey: `release-${l.jobId}` },
          'aria-label': `Release the lock of job ${l.jobId}`, onclick: () => this.release(l.userId, l.jobId) }, 'Release'),
        perUser.get(l.userId) > 1 && locks.findIndex((x) => x.userId === l.userId) === i
          ? h('button', { type: 'button', class: 'danger', dataset: { action: 'release-all' },
            'aria-label': `Release all locks of ${l.userId}`, onclick: () => this.release(l.userId, null) }, `Release all ${perUser.get(l.userId)}`)
          : null) : null)))
      : h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'Nobody holds a slot.')));
  }

  async release(userId, jobId) {
    const reason = await ask({
      title: jobId ? `Release the lock of job #${jobId}` : `Release every lock of ${userId}`,
      message: 'The attempt ends as failed (the retry policy applies) and the slot is free at once; the worker\'s later calls are refused.',
      confirm: 'Release', danger: true,
    });
    if (reason === null) return;
    try {
      await call('DELETE', `admin/locks/${encodeURIComponent(userId)}` + query({ jobId: jobId || undefined, reason }));
      this.app.acted(null);
    } catch (e) {
      this.app.acted(e);
    }
  }
}
