import { get, query } from './api.js';
import { h, replace, $ } from './dom.js';
import { duration } from './format.js';

const MAX_USERS = 40;
const WARNING = 0.8;

/**
 * Per user: running against maxConcurrent, PENDING jobs, and quota bars (GET /quota/status) for
 * the day, week and month, amber from 80 % and red when used up. A USER sees itself; an ADMIN or
 * VIEWER every user with jobs running or waiting (the busiest first, at most 40 at a time; the
 * filter finds any other), read in one call (GET /admin/fairness) whatever the number of users.
 */
export class FairnessView {
  constructor(app) {
    this.app = app;
    this.root = $('#fairness');
    this.filter = h('input', { id: 'fairness-user', type: 'search', spellcheck: 'false', placeholder: 'any user' });
    this.filter.addEventListener('input', () => this.app.refreshNow());
    this.head = h('p', { class: 'filters' }, h('label', { for: 'fairness-user' }, 'User '), this.filter);
    this.body = h('div', { class: 'users' });
    this.note = h('p', { class: 'note', 'aria-live': 'polite' });
    this.root.append(this.head, this.note, this.body);
  }

  clear() {
    this.lastKey = null;
    this.note.textContent = '';
    replace(this.body);
  }

  prepare(me) {
    this.me = me;
    this.filter.value = '';
    this.head.hidden = me.role === 'USER' || me.role === 'WORKER';
  }

  async load() {
    let users;
    let quotas;
    if (this.head.hidden) {
      users = [await get('me')];
      quotas = [await get('quota/status' + query({ userId: users[0].id }))];
      this.note.textContent = '';
    } else {
      const wanted = this.filter.value.trim();
      const answer = await get('admin/fairness' + query({ user: wanted || undefined, limit: MAX_USERS }));
      users = answer.users.map((s) => s.user);
      quotas = answer.users.map((s) => s.quota);
      const more = answer.matched > users.length;
      this.note.textContent = wanted
        ? `${answer.matched} users match “${wanted}”${more ? `, the busiest ${users.length} shown` : ''}.`
        : `${answer.matched} of ${answer.total} users have jobs running or waiting${more ? `; the busiest ${users.length} shown` : ''}.`;
    }
    const key = JSON.stringify([users, quotas]);
    if (key === this.lastKey) return;
    this.lastKey = key;
    replace(this.body, users.length ? users.map((u, i) => card(u, quotas[i])) : h('p', { class: 'note' }, 'Nobody is running or waiting.'));
  }
}

export function card(user, quota) {
  const full = user.running >= user.maxConcurrent;
  return h('article', { class: 'user-card', dataset: { user: user.id }, 'aria-label': `User ${user.id}` },
    h('h3', {}, user.id, user.displayName && user.displayName !== user.id ? h('span', { class: 'small' }, ` ${user.displayName}`) : null,
      ' ', h('span', { class: 'role' }, user.role.toLowerCase())),
    h('div', { class: 'row' },
      h('span', { class: 'label' }, 'Running'),
      bar(user.running, user.maxConcurrent, full ? 'full' : 'ok', 'slots', `${user.id} running`),
      h('span', { class: 'value', dataset: { running: user.running, max: user.maxConcurrent } },
        `${user.running} of ${user.maxConcurrent} allowed${full ? ' (at the limit)' : ''}`)),
    h('div', { class: 'row' }, h('span', { class: 'label' }, 'Waiting'),
      h('span', { class: 'value', dataset: { pending: user.pending } }, `${user.pending} pending`)),
    ['day', 'week', 'month'].map((w) => window_(w, quota[w], quota.timezone, user.id)),
    quota.exhausted ? h('p', { class: 'error-text', dataset: { quotaState: 'exhausted' } }, 'A quota is used up: new jobs wait until it resets.')
      : quota.warning ? h('p', { class: 'warn-text', dataset: { quotaState: 'warning' } }, 'At 80 % or more of a quota.') : null);
}

function window_(name, w, zone, userId) {
  const label = { day: 'Today', week: 'This week', month: 'This month' }[name];
  if (w.limitSecs == null) {
    return h('div', { class: 'row', dataset: { quota: name } }, h('span', { class: 'label' }, label),
      bar(0, 0, 'none', name, `${userId} ${name} quota`),
      h('span', { class: 'value' }, `${duration(w.usedSecs)} used, no limit`));
  }
  const share = w.limitSecs === 0 ? 1 : w.usedSecs / w.limitSecs;
  const level = share >= 1 ? 'exhausted' : share >= WARNING ? 'warning' : 'ok';
  return h('div', { class: 'row', dataset: { quota: name, level } }, h('span', { class: 'label' }, label),
    bar(w.usedSecs, w.limitSecs, level, name, `${userId} ${name} quota`),
    h('span', { class: 'value', title: `resets ${new Date(w.resetsAt).toUTCString()} (${zone})` },
      `${duration(w.usedSecs)} of ${duration(w.limitSecs)} (${Math.round(share * 100)} %)`
      + (level === 'warning' ? ' ⚠ 80 %+' : level === 'exhausted' ? ' used up' : '')));
}

function bar(value, max, level, name, label) {
  const fill = h('span', { class: 'fill' });
  fill.style.width = max > 0 ? `${Math.min(100, (100 * value) / max)}%` : '0%';
  return h('span', {
    class: `bar bar-${level}`, role: 'meter', 'aria-label': label, 'aria-valuemin': 0,
    'aria-valuemax': max > 0 ? max : 1, 'aria-valuenow': max > 0 ? Math.min(value, max) : 0, dataset: { bar: name },
  }, fill);
}
