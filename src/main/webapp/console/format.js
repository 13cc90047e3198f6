import { h } from './dom.js';

const pad = (n) => String(n).padStart(2, '0');

/** 2026-12-02 16:40:05 UTC */
export function utc(date) {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} `
    + `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}

/** "in 3 min", "12 s ago", "now" */
export function relative(date, now = Date.now()) {
  const secs = Math.round((date.getTime() - now) / 1000);
  const a = Math.abs(secs);
  if (a < 5) return 'now';
  const span = a < 60 ? `${a} s` : a < 3600 ? `${Math.round(a / 60)} min`
    : a < 86400 ? `${Math.round(a / 360) / 10} h` : `${Math.round(a / 8640) / 10} d`;
  return secs > 0 ? `in ${span}` : `${span} ago`;
}

/** A <time>: absolute UTC, local time on hover, relative after it (kept fresh by refreshTimes). */
export function time(iso) {
  if (!iso) return h('span', { class: 'none' }, '—');
  const d = new Date(iso);
  return h('span', { class: 'when' },
    h('time', { datetime: iso, title: 'local time: ' + d.toLocaleString() }, utc(d)),
    ' ', h('span', { class: 'rel', dataset: { at: iso } }, relative(d)));
}

export function refreshTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('.rel[data-at]')) el.textContent = relative(new Date(el.dataset.at), now);
}

/** 95 -> "1 min 35 s" */
export function duration(secs) {
  if (secs === null || secs === undefined) return '—';
  const s = Math.round(secs);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

export const words = (constant) => (constant || '').toLowerCase().replaceAll('_', ' ');

const TIERS = { URGENT: 'urgent', NORMAL: 'normal', BACKGROUND: 'background' };

/** The priority as a colour-coded badge: urgent red, normal blue, background grey. */
export function priority(job) {
  const tier = job.tier || (job.priority >= 10 ? 'URGENT' : job.priority <= -10 ? 'BACKGROUND' : 'NORMAL');
  return h('span', { class: `badge tier-${TIERS[tier]}`, dataset: { tier }, title: `priority ${job.priority}` },
    `${TIERS[tier]} (${job.priority})`);
}

export function status(value) {
  return h('span', { class: `status status-${value.toLowerCase()}`, dataset: { status: value } }, words(value));
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/**
 * Why a job is not running, in words. ctx: users (userId -> {running, maxConcurrent}), queues
 * (name -> queue), slotsMax (the global limit, when known).
 */
export function reason(job, ctx) {
  const why = job.waitingReason;
  if (!why) return '';
  switch (why) {
    case 'AHEAD_IN_QUEUE':
      return job.position > 1 ? `ready: ${plural(job.position - 1, 'job', 'jobs')} ahead` : 'ready: next to run';
    case 'USER_LIMIT': {
      const u = ctx.users.get(job.userId);
      return u
        ? `waiting: ${job.userId} already runs ${u.running} of ${u.maxConcurrent} allowed`
        : `waiting: ${job.userId} already runs as many jobs as allowed`;
    }
    case 'QUEUE_LIMIT': {
      const q = ctx.queues.get(job.queue);
      return q && q.maxConcurrent != null
        ? `waiting: queue ${job.queue} already runs ${q.maxConcurrent} of ${q.maxConcurrent} allowed`
        : `waiting: queue ${job.queue} runs as many jobs as allowed`;
    }
    case 'GLOBAL_SLOTS':
      return ctx.slotsMax != null ? `waiting: all ${ctx.slotsMax} slots are in use` : 'waiting: all slots are in use';
    case 'QUOTA_EXCEEDED':
      return `waiting: ${job.userId}'s GPU time quota is used up${job.projectId ? ` (or project ${job.projectId}'s)` : ''}`;
    case 'QUEUE_PAUSED':
      return `waiting: queue ${job.queue} is paused`;
    case 'OFF_PEAK_WINDOW':
      return 'waiting: runs off-peak only, the window is closed';
    case 'SCHEDULED':
      return job.scheduledStartAt ? `scheduled: starts at ${utc(new Date(job.scheduledStartAt))}` : 'scheduled';
    case 'RETRY_BACKOFF':
      return job.nextRetryAt ? `retrying at ${utc(new Date(job.nextRetryAt))}` : 'waiting to retry';
    default:
      return `waiting: ${words(why)}`;
  }
}
