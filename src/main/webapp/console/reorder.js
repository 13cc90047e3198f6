import { call } from './api.js';
import { h } from './dom.js';
import { ask } from './ask.js';

const MIN = -100;
const MAX = 100;
/** The dropdown's choices: the tiers (urgent 10, normal 0, background -10) and steps around them. */
const CHOICES = [100, 50, 20, 10, 5, 0, -5, -10, -20, -50, -100];

/**
 * The priority that puts a job between two others of the ordered PENDING list (above, below:
 * jobs or null at the ends). The list is ordered by priority, then age, so a place can only be
 * reached through the priority:
 * - at the top: one above the first job's priority (100 at most);
 * - at the bottom: one below the last job's (-100 at least);
 * - between two jobs: the middle of their priorities when one lies strictly between them, else
 *   the priority of the job above (the moved job then sits among the jobs of that priority by
 *   its age).
 */
export function priorityBetween(above, below) {
  if (!above && !below) return 0;
  if (!above) return Math.min(MAX, below.priority + 1);
  if (!below) return Math.max(MIN, above.priority - 1);
  if (above.priority - below.priority >= 2) return Math.floor((above.priority + below.priority) / 2);
  return above.priority;
}

/** Asks for the reason, then PUT /admin/queue/reorder; done(error or null) after. */
export async function reorder(job, priority, where, done) {
  if (priority === job.priority) {
    done(null);
    return;
  }
  const reason = await ask({
    title: `Reorder job #${job.id}`,
    message: `${where}: its priority goes from ${job.priority} to ${priority}. The next claim sees it.`,
    confirm: 'Reorder',
  });
  if (reason === null) {
    done(null);
    return;
  }
  try {
    await call('PUT', 'admin/queue/reorder', { jobId: job.id, priority, reason });
    done(null);
  } catch (e) {
    done(e);
  }
}

/**
 * An ADMIN's reorder controls for one row of the PENDING list: the priority dropdown and the
 * keyboard alternative to dragging (move up, move down, to the top).
 */
export function reorderControls(job, index, jobs, done) {
  const options = [...new Set([...CHOICES, job.priority])].sort((a, b) => b - a);
  const select = h('select', {
    'aria-label': `Priority of job ${job.id}`, dataset: { reorder: 'priority', focusKey: `prio-${job.id}` },
    onchange: (e) => reorder(job, Number(e.target.value), 'Priority chosen', done),
  }, options.map((p) => h('option', { value: p, selected: p === job.priority }, String(p))));
  const move = (label, action, above, below, where) => h('button', {
    type: 'button', class: 'icon', 'aria-label': `${label}: job ${job.id}`, title: label,
    dataset: { action, focusKey: `${action}-${job.id}` },
    onclick: () => reorder(job, priorityBetween(above, below), where, done),
  }, { 'move-up': '↑', 'move-down': '↓', 'move-top': '⤒' }[action]);
  const list = [select];
  if (index > 0) {
    list.push(move('Move up', 'move-up', jobs[index - 2] || null, jobs[index - 1], `Above job #${jobs[index - 1].id}`));
    list.push(move('Move to the top', 'move-top', null, jobs[0], 'At the top'));
  }
  if (index < jobs.length - 1) {
    list.push(move('Move down', 'move-down', jobs[index + 1], jobs[index + 2] || null, `Below job #${jobs[index + 1].id}`));
  }
  return h('span', { class: 'reorder' }, list);
}

/**
 * Drag and drop on the PENDING list's rows (HTML5): a job dropped on a row goes just above that
 * row (to the very bottom: the keyboard's move down).
 */
export function enableDrag(tbody, jobs, done) {
  const byId = new Map(jobs.map((j) => [String(j.id), j]));
  let dragged = null;
  for (const tr of tbody.querySelectorAll('tr[data-job-id]')) {
    tr.draggable = true;
    tr.addEventListener('dragstart', (e) => {
      dragged = byId.get(tr.dataset.jobId);
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', tr.dataset.jobId);
      tr.classList.add('dragging');
    });
    tr.addEventListener('dragend', () => tr.classList.remove('dragging'));
    tr.addEventListener('dragover', (e) => { e.preventDefault(); tr.classList.add('drop-target'); });
    tr.addEventListener('dragleave', () => tr.classList.remove('drop-target'));
    tr.addEventListener('drop', (e) => {
      e.preventDefault();
      tr.classList.remove('drop-target');
      const job = dragged || byId.get(e.dataTransfer.getData('text/plain'));
      const target = byId.get(tr.dataset.jobId);
      if (!job || !target || job === target) return;
      const rest = jobs.filter((j) => j !== job);
      const at = rest.indexOf(target);
      reorder(job, priorityBetween(rest[at - 1] || null, target), at === 0 ? 'At the top' : `Above job #${target.id}`, done);
    });
  }
}
