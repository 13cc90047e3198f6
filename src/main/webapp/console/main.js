import { call, session, ApiError } from './api.js';
import { $ } from './dom.js';
import { refreshTimes } from './format.js';
import { Refresher } from './live.js';
import { QueueView } from './queue.js';
import { JobView } from './job.js';
import { FairnessView } from './fairness.js';
import { DeadLetterView } from './deadletter.js';
import { LocksView } from './locks.js';
import { QuotasView } from './quotas.js';
import { QueuesView } from './queues.js';
import { PoliciesView } from './policies.js';
import { WorkersView } from './workers.js';
import { HistoryView } from './history.js';
import { setUpAsk } from './ask.js';

const REFRESH_KEY = 'fairqueue.refresh';

/** Views only ADMINs and VIEWERs see (a VIEWER without the controls). */
const OPS = ['dead-letter', 'locks', 'quotas', 'queues', 'policies', 'workers', 'history'];

/**
 * The console: sign-in, the views (#/queue, #/fairness, #/job/<id>, and for ADMINs and VIEWERs
 * #/dead-letter, #/locks, #/quotas, #/queues, #/policies, #/workers, #/history), and their refresh.
 */
class Console {
  constructor() {
    this.me = null;
    this.queue = new QueueView(this);
    this.job = new JobView(this);
    this.fairness = new FairnessView(this);
    this.views = {
      queue: this.queue, job: this.job, fairness: this.fairness,
      'dead-letter': new DeadLetterView(this), locks: new LocksView(this), quotas: new QuotasView(this),
      queues: new QueuesView(this), policies: new PoliciesView(this), workers: new WorkersView(this),
      history: new HistoryView(this),
    };
    setUpAsk();
    this.refresher = new Refresher(() => this.reload(), (event) => this.wants(event), (s) => { $('#live-state').textContent = s; },
      () => this.expired({ message: 'the server no longer accepts this token' }));
    $('#sign-in-form').addEventListener('submit', (e) => { e.preventDefault(); this.signIn($('#token').value.trim(), true); });
    $('#sign-out').addEventListener('click', () => this.signOut());
    const refresh = $('#refresh');
    refresh.value = localStorage.getItem(REFRESH_KEY) || 'live';
    refresh.addEventListener('change', () => {
      localStorage.setItem(REFRESH_KEY, refresh.value);
      if (this.me) this.refresher.start(refresh.value);
    });
    window.addEventListener('hashchange', () => { if (this.me) this.route(true); });
    setInterval(() => refreshTimes(), 15000);
  }

  start() {
    if (session.token) this.signIn(session.token, false);
    else this.showSignIn();
  }

  showSignIn(message) {
    $('#nav').hidden = $('#session').hidden = true;
    for (const v of Object.keys(this.views)) $(`#view-${v}`).hidden = true;
    $('#error').hidden = $('#notice').hidden = true;
    $('#sign-in').hidden = false;
    const error = $('#sign-in-error');
    error.hidden = !message;
    error.textContent = message || '';
    $('#token').focus();
  }

  async signIn(token, typed) {
    if (!token) return;
    const button = $('#sign-in-form button');
    button.disabled = true;
    try {
      const me = await call('GET', 'me', undefined, token);
      session.token = token;
      this.me = me;
    } catch (e) {
      session.clear();
      this.showSignIn(e instanceof ApiError && e.status === 401
        ? `This token was refused: ${e.message}.` : `Sign-in failed: ${e.message}.`);
      return;
    } finally {
      button.disabled = false;
    }
    const signedIn = this.me;
    try {
      await this.queue.prepare(signedIn);
      for (const view of Object.values(this.views)) if (view !== this.queue && view.prepare) view.prepare(signedIn);
    } catch (e) {
      this.problem(e);
    }
    if (this.me !== signedIn) return; // signed out (an expired token) while the views were prepared
    // the page shows the caller only now that its views are ready for it
    $('#token').value = '';
    $('#sign-in').hidden = true;
    $('#nav').hidden = $('#session').hidden = false;
    $('#who').textContent = `${this.me.id} (${this.me.role.toLowerCase()})`;
    document.body.dataset.role = this.me.role;
    this.ops = this.me.role === 'ADMIN' || this.me.role === 'VIEWER';
    for (const a of document.querySelectorAll('#nav a[data-ops]')) a.hidden = !this.ops;
    if (typed && !location.hash) location.hash = '#/queue';
    this.route(false);
    this.refresher.start($('#refresh').value);
  }

  signOut() {
    this.forget();
    delete document.body.dataset.role;
    history.replaceState(null, '', location.pathname);
    this.showSignIn();
  }

  /** Nothing of the signed-out caller stays: its token, and what the views showed it. */
  forget() {
    this.refresher.stop();
    session.clear();
    this.me = null;
    for (const view of Object.values(this.views)) view.clear();
  }

  expired(e) {
    this.forget();
    this.showSignIn(`You were signed out: ${e.message}.`);
  }

  route(reload) {
    const hash = location.hash || '#/queue';
    const job = /^#\/job\/(\d+)$/.exec(hash);
    const named = hash.slice(2);
    this.view = job ? 'job' : named === 'fairness' || (this.ops && OPS.includes(named)) ? named : 'queue';
    for (const v of Object.keys(this.views)) $(`#view-${v}`).hidden = v !== this.view;
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.view === this.view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    if (reload) $('#notice').hidden = true;
    if (job) {
      this.job.show(job[1]);
      if (reload) $('#job-title').focus();
    }
    if (reload) this.refreshNow();
  }

  refreshNow() { this.refresher.request(); }

  /** Every event concerns the queue and the fairness panel; a job's detail only its own changes, and the counts while it waits. */
  wants(event) {
    if (this.view !== 'job') return true;
    const job = this.job.job;
    if (!job) return true;
    if (event.name === 'counts') return ['PENDING', 'SCHEDULED', 'RETRY_WAIT'].includes(job.status);
    try {
      return JSON.parse(event.data).some((change) => String(change.id) === String(job.id));
    } catch (e) {
      return true;
    }
  }

  async reload() {
    if (!this.me) return;
    try {
      await this.views[this.view].load();
      if (!$('#error').dataset.sticky) $('#error').hidden = true;
    } catch (e) {
      this.problem(e);
    }
  }

  /** Waits for a view's change: done, the view draws afresh (its key forgotten); either way acted(). */
  async act(view, promise) {
    try {
      await promise;
      view.key = null;
      this.acted(null);
    } catch (e) {
      this.acted(e);
    }
  }

  /** After pause, resume or cancel: the API's refusal shown as it is, then the page read again. */
  acted(e) {
    if (e) this.problem(e, true);
    else { delete $('#error').dataset.sticky; $('#error').hidden = true; }
    this.refreshNow();
  }

  /** What an action did, in words, until the next action. */
  notice(text) {
    const el = $('#notice');
    el.textContent = text;
    el.hidden = false;
  }

  problem(e, sticky) {
    if (e instanceof ApiError && e.status === 401) { this.expired(e); return; }
    $('#notice').hidden = true;
    const el = $('#error');
    el.textContent = e instanceof ApiError ? `${e.problem.title || 'Error'}: ${e.message}` : String(e.message || e);
    if (sticky) el.dataset.sticky = '1'; else delete el.dataset.sticky;
    el.hidden = false;
  }
}

new Console().start();
