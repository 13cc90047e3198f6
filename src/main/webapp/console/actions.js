import { post } from './api.js';
import { h } from './dom.js';

const PAUSABLE = new Set(['SCHEDULED', 'PENDING', 'DISPATCHED', 'RUNNING', 'RETRY_WAIT']);
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** Jobs whose Cancel was pressed and waits for "Yes, cancel": kept across live re-renders. */
const asking = new Set();

/** Pause, resume and cancel: a job's owner or an ADMIN (the API's rule); a VIEWER or WORKER never. */
export function mayManage(me, job) {
  return me.role === 'ADMIN' || (me.role === 'USER' && job.userId === me.id);
}

/**
 * The buttons for one job, or nothing when the caller may not act on it. Cancel asks again in
 * place (no modal dialog). done(error) runs after each call, with the API's error or null;
 * rerender() after a change of the buttons themselves.
 */
export function jobActions(me, job, done, rerender) {
  if (!mayManage(me, job) || TERMINAL.has(job.status)) return null;
  const act = (verb) => async (event) => {
    for (const b of event.target.parentElement.querySelectorAll('button')) b.disabled = true;
    asking.delete(job.id);
    try {
      await post(`jobs/${job.id}/${verb}`, verb === 'resume' ? undefined : { reason: `${verb === 'pause' ? 'paused' : 'cancelled'} from the console` });
      done(null);
    } catch (e) {
      done(e);
    }
  };
  const button = (verb, label, extra = {}) => h('button', {
    type: 'button', onclick: act(verb), 'aria-label': `${label} job ${job.id}`,
    dataset: { action: verb, focusKey: `${verb}-${job.id}` }, ...extra,
  }, label);
  if (asking.has(job.id)) {
    return h('span', { class: 'actions' },
      h('span', { class: 'confirm' }, `Cancel #${job.id}?`),
      button('cancel', 'Yes, cancel', { class: 'danger' }),
      h('button', {
        type: 'button', 'aria-label': `Keep job ${job.id}`,
        dataset: { action: 'keep', focusKey: `ask-cancel-${job.id}` },
        onclick: () => { asking.delete(job.id); rerender(`ask-cancel-${job.id}`); },
      }, 'Keep'));
  }
  const list = [];
  if (PAUSABLE.has(job.status)) list.push(button('pause', 'Pause'));
  if (job.status === 'PAUSED') list.push(button('resume', 'Resume'));
  list.push(h('button', {
    type: 'button', class: 'danger', 'aria-label': `Cancel job ${job.id}`,
    dataset: { action: 'ask-cancel', focusKey: `ask-cancel-${job.id}` },
    onclick: () => { asking.add(job.id); rerender(`cancel-${job.id}`); },
  }, 'Cancel'));
  return h('span', { class: 'actions' }, list);
}
