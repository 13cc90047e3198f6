import { get, call, query } from './api.js';
import { h, replace, $ } from './dom.js';
import { card } from './fairness.js';

const hours = (secs) => (secs == null ? '' : String(Math.round((secs / 3600) * 100) / 100));
const secs = (text) => (text.trim() === '' ? null : Math.round(Number(text) * 3600));
const number = (text) => (text.trim() === '' ? null : Number(text));

/**
 * Quotas and settings for ADMINs (a VIEWER sees the same, with the forms disabled): a user's
 * running limit, daily and weekly GPU-time quotas and monthly plan with their current use (the
 * fairness card, 80 % warning included); a project's quota; the scheduling settings
 * (per-user serialization, lock timeout, global slots).
 */
export class QuotasView {
  constructor(app) {
    this.app = app;
    this.userForm = $('#quota-user-form');
    this.projectForm = $('#quota-project-form');
    this.settingsForm = $('#settings-form');
    this.userForm.addEventListener('submit', (e) => { e.preventDefault(); this.saveUser(); });
    this.userForm.querySelector('[data-do=show]').addEventListener('click', () => this.showUser(true));
    this.userForm.elements.user.addEventListener('change', () => this.showUser(true));
    this.projectForm.addEventListener('submit', (e) => { e.preventDefault(); this.saveProject(); });
    this.settingsForm.addEventListener('submit', (e) => { e.preventDefault(); this.saveSettings(); });
  }

  prepare(me) {
    const readOnly = me.role !== 'ADMIN';
    for (const f of document.querySelectorAll('#view-quotas fieldset[data-edit]')) f.disabled = readOnly;
    this.userForm.elements.user.disabled = false; // a VIEWER may still look a user up
    this.userForm.querySelector('[data-do=show]').disabled = false;
  }

  clear() {
    this.shown = null;
    this.userForm.reset();
    replace($('#quota-user-status'));
    $('#quota-project-note').textContent = $('#settings-note').textContent = '';
  }

  async load() {
    const [settings, busiest] = await Promise.all([get('admin/settings'), get('admin/fairness' + query({ limit: 200 }))]);
    replace($('#quota-users'), busiest.users.map(({ user: u }) => h('option', { value: u.id }, u.displayName)));
    const s = this.settingsForm.elements;
    if (!this.settingsForm.contains(document.activeElement)) {
      s.serialization.checked = settings.perUserSerialization.enabled;
      s.lockTimeout.value = settings.perUserSerialization.lockTimeoutSeconds;
      s.globalSlots.value = settings.globalSlots ?? '';
    }
    $('#settings-note').textContent = settings.globalSlots
      ? `${settings.globalRunning} of ${settings.globalSlots} global slots in use.` : 'No global limit.';
    if (this.shown) await this.showUser(false);
  }

  /** The chosen user's limits and use; fills the form when asked (not on a live refresh). */
  async showUser(fill) {
    const id = this.userForm.elements.user.value.trim();
    if (!id) return;
    try {
      const [user, quota] = await Promise.all([
        get(`admin/users/${encodeURIComponent(id)}`), get('quota/status' + query({ userId: id }))]);
      this.shown = id;
      replace($('#quota-user-status'), card(user, quota));
      if (fill) {
        const f = this.userForm.elements;
        f.maxConcurrent.value = user.maxConcurrent;
        f.daily.value = hours(quota.day.limitSecs);
        f.weekly.value = hours(quota.week.limitSecs);
        f.monthly.value = user.monthlyHoursLimit ?? '';
      }
    } catch (e) {
      this.app.problem(e, true);
    }
  }

  async saveUser() {
    const f = this.userForm.elements;
    const id = f.user.value.trim();
    try {
      await call('PATCH', `admin/users/${encodeURIComponent(id)}`,
        { maxConcurrent: number(f.maxConcurrent.value), monthlyHoursLimit: number(f.monthly.value) });
      await call('PUT', `admin/users/${encodeURIComponent(id)}/quota`,
        { dailyLimitSecs: secs(f.daily.value), weeklyLimitSecs: secs(f.weekly.value) });
      this.app.acted(null);
      this.app.notice(`Saved the limits of ${id}.`);
      await this.showUser(false);
    } catch (e) {
      this.app.acted(e);
    }
  }

  async saveProject() {
    const f = this.projectForm.elements;
    const id = f.project.value.trim();
    try {
      const q = await call('PUT', `admin/projects/${encodeURIComponent(id)}/quota`,
        { dailyLimitSecs: secs(f.daily.value), weeklyLimitSecs: secs(f.weekly.value) });
      $('#quota-project-note').textContent = `Project ${id}: daily ${q.dailyLimitSecs == null ? 'no limit' : `${hours(q.dailyLimitSecs)} h`}, `
        + `weekly ${q.weeklyLimitSecs == null ? 'no limit' : `${hours(q.weeklyLimitSecs)} h`}.`;
      this.app.acted(null);
    } catch (e) {
      this.app.acted(e);
    }
  }

  async saveSettings() {
    const f = this.settingsForm.elements;
    try {
      await call('PUT', 'admin/settings', {
        perUserSerialization: { enabled: f.serialization.checked, lockTimeoutSeconds: Number(f.lockTimeout.value) },
        globalSlots: number(f.globalSlots.value),
      });
      this.app.acted(null);
      this.app.notice('Saved the scheduling settings.');
    } catch (e) {
      this.app.acted(e);
    }
  }
}
