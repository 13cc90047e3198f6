import { apiUrl, session } from './api.js';

const FALLBACK_POLL_SECS = 10;
const STREAM_RETRY_MS = 30000;

/**
 * Keeps the page fresh. Mode "live" reads GET /api/v1/queue/events with fetch and a streaming
 * body (EventSource cannot send the Authorization header, and a token never goes into a URL);
 * each counts or jobs event that the view wants asks for a reload. When the stream fails, it polls every 10 s and
 * tries the stream again every 30 s. Modes 2/5/10/30 poll every that many seconds; "off" does
 * nothing. Everything stops while the tab is hidden and resumes, with a reload, when it shows.
 */
export class Refresher {
  constructor(reload, wants, onState, onUnauthorized) {
    this.reload = reload;
    this.wants = wants;
    this.onState = onState;
    this.onUnauthorized = onUnauthorized;
    this.mode = 'live';
    this.running = false;
    this.inFlight = null;
    this.again = false;
    document.addEventListener('visibilitychange', () => { if (this.running) this.restart(true); });
  }

  start(mode) {
    if (mode) this.mode = mode;
    this.running = true;
    this.restart(true);
  }

  stop() {
    this.running = false;
    this.halt();
    this.onState('');
  }

  halt() {
    clearInterval(this.poller);
    clearTimeout(this.retry);
    this.poller = this.retry = null;
    if (this.abort) this.abort.abort();
    this.abort = null;
  }

  restart(reloadNow) {
    this.halt();
    if (document.visibilityState === 'hidden') {
      this.onState('paused while the tab is hidden');
      return;
    }
    if (reloadNow) this.request();
    if (this.mode === 'off') this.onState('not refreshing');
    else if (this.mode === 'live') this.openStream();
    else this.poll(Number(this.mode), `refreshing every ${this.mode} s`);
  }

  poll(secs, state) {
    clearInterval(this.poller);
    this.poller = setInterval(() => this.request(), secs * 1000);
    this.onState(state);
  }

  /** A reload now, or right after the one in flight (events coming fast cost one reload each time). */
  request() {
    if (this.inFlight) { this.again = true; return; }
    this.inFlight = Promise.resolve(this.reload()).catch(() => {}).finally(() => {
      this.inFlight = null;
      if (this.again) { this.again = false; this.request(); }
    });
  }

  async openStream() {
    if (!session.token) return;
    const abort = new AbortController();
    this.abort = abort;
    this.onState('connecting…');
    try {
      const res = await fetch(apiUrl('queue/events'), {
        headers: { Accept: 'text/event-stream', Authorization: 'Bearer ' + session.token },
        cache: 'no-store', signal: abort.signal,
      });
      if (res.status === 401) { abort.abort(); this.onUnauthorized(); return; }
      if (!res.ok || !res.body) throw new Error(`the event stream answered ${res.status}`);
      this.onState('live');
      this.setFallback(false);
      this.request(); // what changed before the stream opened
      await this.read(res.body, abort);
      if (!abort.signal.aborted) throw new Error('the event stream ended');
    } catch (e) {
      if (abort.signal.aborted || this.abort !== abort) return;
      this.abort = null;
      this.setFallback(true);
    }
  }

  setFallback(on) {
    clearInterval(this.poller);
    clearTimeout(this.retry);
    this.poller = this.retry = null;
    if (!on) return;
    this.poll(FALLBACK_POLL_SECS, `stream lost: refreshing every ${FALLBACK_POLL_SECS} s`);
    this.retry = setTimeout(() => { if (this.running && this.mode === 'live') this.openStream(); }, STREAM_RETRY_MS);
  }

  async read(body, abort) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done || abort.signal.aborted) return;
      buffer = (buffer + value).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseEvent(block);
        if (event && (event.name === 'jobs' || event.name === 'counts') && this.wants(event)) this.request();
      }
    }
  }
}

/** One server-sent event block: its name and data; null for a comment (a keepalive) or a bare retry hint. */
export function parseEvent(block) {
  let name = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { name, data: data.join('\n') } : null;
}
