import { call } from './api.js';
import { ask } from './ask.js';

/** The most jobs one call changes (the API's cap); more are done in further calls, each confirmed. */
export const CAP = 1000;

const VERBS = { retry: ['Retry', 'retried'], cancel: ['Cancel', 'cancelled'], reprioritize: ['Reprioritize', 'reprioritized'] };

/**
 * A bulk action run on the server (POST /admin/jobs/bulk) on a selection (ids) or on every job a
 * filter matches: counted first (dryRun), confirmed with the count and the admin's reason, then
 * done at most CAP jobs per call; while jobs remain the person is asked again. Answers what was
 * done: {applied, created, skipped}.
 */
export async function bulk(app, { action, ids, filter, priority }) {
  const target = ids ? { ids } : { filter };
  const base = { action, ...target, ...(priority === undefined ? {} : { priority }) };
  const [verb, done] = VERBS[action];
  const counted = await call('POST', 'admin/jobs/bulk', { ...base, reason: 'count', dryRun: true });
  const total = { applied: 0, created: [], skipped: 0 };
  let remaining = counted.matched;
  if (remaining === 0) {
    app.notice(`No job to ${verb.toLowerCase()}: none ${ids ? 'of the selection' : 'matches'} is in a state it applies to.`);
    return total;
  }
  let reason = '';
  while (remaining > 0) {
    const now = Math.min(remaining, CAP);
    reason = await ask({
      title: `${verb} ${remaining} ${remaining === 1 ? 'job' : 'jobs'}`,
      message: `${verb} ${now} of the ${remaining} matching jobs${action === 'reprioritize' ? ` (priority ${priority})` : ''}`
        + (remaining > CAP ? `: at most ${CAP} per call, you are asked again for the other ${remaining - now}.` : '.'),
      confirm: `${verb} ${now}`, danger: action === 'cancel', value: reason,
    });
    if (reason === null) break;
    const r = await call('POST', 'admin/jobs/bulk', { ...base, reason, max: CAP });
    total.applied += r.applied.length;
    total.created.push(...r.created);
    total.skipped += r.skipped.length;
    if (r.applied.length === 0) break; // the rest cannot change now (held or moved meanwhile)
    remaining = r.remaining;
  }
  app.notice(`${total.applied} ${total.applied === 1 ? 'job' : 'jobs'} ${done}`
    + (total.created.length ? ` as ${total.created.length} new ${total.created.length === 1 ? 'job' : 'jobs'}` : '')
    + (total.skipped ? `; ${total.skipped} skipped (held or moved meanwhile)` : '') + '.');
  return total;
}

/**
 * The payload filter as people type it: `scene = intro`, `render.frames = 240` (a path, then a
 * value read as JSON when it is JSON, else as text), or a JSON object. Answers the object for
 * JSONB containment, or null when the text is empty; throws with a message when it is not usable.
 */
export function payloadFilter(text) {
  const t = text.trim();
  if (!t) return null;
  if (t.startsWith('{')) {
    const o = JSON.parse(t);
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error('the payload filter must be a JSON object');
    return o;
  }
  const at = t.indexOf('=');
  if (at <= 0) throw new Error('write the payload filter as path = value, e.g. scene = intro');
  const path = t.slice(0, at).trim().split('.').map((p) => p.trim());
  if (path.some((p) => !p)) throw new Error('the payload path has an empty part');
  const raw = t.slice(at + 1).trim();
  let value;
  try { value = JSON.parse(raw); } catch (e) { value = raw; }
  return path.reduceRight((inner, key) => ({ [key]: inner }), value);
}
