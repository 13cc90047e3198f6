import { get, post, call } from './api.js';
import { h, replace, $ } from './dom.js';
import { relative } from './format.js';
import { ask } from './ask.js';

const pad = (n) => String(n).padStart(2, '0');

/**
 * Scheduling policies for ADMINs: off-peak windows (start, end, time zone, enabled) and the
 * quota-reset time zone, with a preview of what the claim sees now ("Off-peak now: yes, until
 * 08:00 UTC"), read from the server (GET /admin/scheduling-policies/off-peak) after every change.
 */
export class PoliciesView {
  constructor(app) {
    this.app = app;
    this.body = $('#policies tbody');
    this.form = $('#policy-form');
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    this.form.elements.policyType.addEventListener('change', () => this.kind());
    this.form.querySelector('[data-do=new]').addEventListener('click', () => this.edit(null));
    if (Intl.supportedValuesOf) {
      replace($('#time-zones'), Intl.supportedValuesOf('timeZone').map((z) => h('option', { value: z })));
    }
  }

  prepare(me) {
    this.form.hidden = me.role !== 'ADMIN';
    this.edit(null);
  }

  clear() {
    this.key = null;
    replace(this.body);
    $('#off-peak-preview').textContent = '';
  }

  /** Shows the start and end fields for an off-peak window only. */
  kind() {
    const offPeak = this.form.elements.policyType.value === 'OFF_PEAK';
    for (const l of this.form.querySelectorAll('[data-off-peak]')) {
      l.hidden = !offPeak;
      l.querySelector('input').required = offPeak;
    }
  }

  /** Fills the form with a policy to change, or empties it for a new one. */
  edit(policy) {
    this.editing = policy;
    const f = this.form.elements;
    this.form.reset();
    $('#policy-form-title').textContent = policy ? `Change policy ${policy.id}` : 'New policy';
    if (policy) {
      f.policyType.value = policy.policyType;
      f.name.value = policy.name || '';
      f.start.value = policy.config.start || '';
      f.end.value = policy.config.end || '';
      f.timezone.value = policy.config.timezone || '';
      f.enabled.checked = policy.enabled;
    }
    f.policyType.disabled = Boolean(policy);
    this.kind();
  }

  async load() {
    const [policies, preview] = await Promise.all([get('admin/scheduling-policies'), get('admin/scheduling-policies/off-peak')]);
    this.preview(preview);
    const key = JSON.stringify(policies);
    if (key === this.key) return;
    this.key = key;
    const admin = this.app.me.role === 'ADMIN';
    replace(this.body, policies.length ? policies.map((p) => h('tr', { dataset: { policy: p.id, type: p.policyType } },
      h('td', { dataset: { label: 'Policy' } }, p.policyType === 'OFF_PEAK' ? 'off-peak window' : p.policyType === 'QUOTA_RESET' ? 'quota reset time zone' : p.policyType),
      h('td', { dataset: { label: 'Name' } }, p.name || '—'),
      h('td', { dataset: { label: 'Window / time zone' } }, p.policyType === 'OFF_PEAK'
        ? `${p.config.start}–${p.config.end} ${p.config.timezone || 'UTC'}` : (p.config.timezone || 'UTC')),
      h('td', { dataset: { label: 'Enabled' } }, p.enabled ? 'yes' : 'no'),
      h('td', { class: 'act' }, admin ? h('span', { class: 'actions' },
        h('button', { type: 'button', dataset: { action: 'edit' }, 'aria-label': `Change policy ${p.id}`, onclick: () => { this.edit(p); this.form.elements.name.focus(); } }, 'Change'),
        h('button', { type: 'button', dataset: { action: p.enabled ? 'disable' : 'enable' }, 'aria-label': `${p.enabled ? 'Disable' : 'Enable'} policy ${p.id}`,
          onclick: () => this.run(call('PUT', `admin/scheduling-policies/${p.id}`, { policyType: p.policyType, name: p.name, config: p.config, enabled: !p.enabled })) },
        p.enabled ? 'Disable' : 'Enable'),
        h('button', { type: 'button', class: 'danger', dataset: { action: 'delete' }, 'aria-label': `Delete policy ${p.id}`, onclick: () => this.remove(p) }, 'Delete'))
        : null)))
      : h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No policies: it is never off-peak, quotas reset at midnight UTC.')));
  }

  preview(p) {
    const el = $('#off-peak-preview');
    el.dataset.offPeak = p.offPeak;
    if (!p.changesAt) {
      el.textContent = `Off-peak now: ${p.offPeak ? 'yes, all day' : 'no'}${p.windows ? '' : ' (no enabled window)'}.`;
      return;
    }
    const at = new Date(p.changesAt);
    el.textContent = `Off-peak now: ${p.offPeak ? 'yes, until' : 'no, from'} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())} UTC`
      + ` (${relative(at)}).`;
  }

  run(promise) {
    return this.app.act(this, promise);
  }

  save() {
    const f = this.form.elements;
    const type = f.policyType.value;
    const config = {};
    if (type === 'OFF_PEAK') {
      config.start = f.start.value;
      config.end = f.end.value;
    }
    if (f.timezone.value.trim()) config.timezone = f.timezone.value.trim();
    const body = { policyType: type, config, enabled: f.enabled.checked };
    if (f.name.value.trim()) body.name = f.name.value.trim();
    const saving = this.editing ? call('PUT', `admin/scheduling-policies/${this.editing.id}`, body) : post('admin/scheduling-policies', body);
    return this.run(saving.then(() => { this.app.notice('Saved the policy.'); this.edit(null); }));
  }

  async remove(p) {
    const answer = await ask({ title: `Delete policy ${p.id}`, message: 'The claim stops using it at once.', confirm: 'Delete', danger: true, reason: false });
    if (answer !== null) await this.run(call('DELETE', `admin/scheduling-policies/${p.id}`));
  }
}
