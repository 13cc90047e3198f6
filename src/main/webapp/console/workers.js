import { get } from './api.js';
import { h, replace, $ } from './dom.js';
import { time } from './format.js';

/** Workers (GET /workers): online or not, capacity, queues, last heartbeat. */
export class WorkersView {
  constructor(app) {
    this.app = app;
    this.body = $('#workers tbody');
  }

  clear() {
    this.key = null;
    replace(this.body);
  }

  async load() {
    const workers = await get('workers');
    const key = JSON.stringify(workers);
    if (key === this.key) return;
    this.key = key;
    workers.sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
    replace(this.body, workers.length ? workers.map((w) => h('tr', { dataset: { worker: w.id, online: w.online } },
      h('td', { dataset: { label: 'Worker' } }, w.name, h('span', { class: 'small' }, ` ${w.id}`)),
      h('td', { dataset: { label: 'Owner' } }, w.ownerId),
      h('td', { dataset: { label: 'State' } }, h('span', { class: w.online ? 'ok-text' : 'error-text' }, w.online ? 'online' : 'offline')),
      h('td', { dataset: { label: 'Capacity' } }, w.running == null ? String(w.capacity) : `${w.running} of ${w.capacity} running`),
      h('td', { dataset: { label: 'Queues' } }, (w.queues || []).join(', ') || 'every queue'),
      h('td', { dataset: { label: 'Last heartbeat' } }, time(w.lastHeartbeatAt)),
      h('td', { dataset: { label: 'Registered' } }, time(w.registeredAt))))
      : h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No worker has registered.')));
  }
}
