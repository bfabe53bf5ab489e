// The live connection to the agent: one fetch() of the combined stream (/api/v2/events?streams=...: a browser allows
// only six connections per host, and REST calls need the others), parsed as server-sent events. It reconnects by
// itself, with Last-Event-ID, so the agent replays what was missed (or sends a fresh snapshot, e.g. after a restart).

import { apiUrl } from './api.js';
import { authHeaders, needSecret, secretInUse } from './auth.js';
import { SseParser } from './sse.js';

/** The agent pings every 10 s: this long without a byte means the connection is dead even if no error says so. */
const silenceLimitMs = 25_000;

export class EventConnection {
  /**
   * @param {string[]} streams the streams to follow
   * @param {(event: {type: string, data: string, id: string}) => void} onEvent
   * @param {(state: 'connecting'|'live'|'reconnecting'|'auth') => void} onState
   */
  constructor(streams, onEvent, onState) {
    this.path = `api/v2/events?streams=${streams.join(',')}`;
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastEventId = '';
    this.retryMs = 3000;
    this.failures = 0;
    this.stopped = false;
    this.controller = null;
  }

  start() {
    this.run();
  }

  stop() {
    this.stopped = true;
    this.controller?.abort();
  }

  async run() {
    this.onState('connecting');
    while (!this.stopped) {
      const outcome = await this.connectOnce();
      if (this.stopped) return;
      if (outcome === 'auth') continue;
      this.onState('reconnecting');
      this.failures += 1;
      // Soon after a short break (an agent restarting), then at the agent's retry interval.
      await sleep(Math.min(this.retryMs, 250 * 2 ** this.failures));
    }
  }

  async connectOnce() {
    const controller = new AbortController();
    this.controller = controller;
    const used = secretInUse();
    const headers = authHeaders({ Accept: 'text/event-stream' });
    if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
    let watchdog = null;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), silenceLimitMs);
    };
    try {
      arm();
      const response = await fetch(apiUrl(this.path), { headers, cache: 'no-store', signal: controller.signal });
      if (response.status === 401) {
        clearTimeout(watchdog);
        this.onState('auth');
        await needSecret(used);
        return 'auth';
      }
      if (!response.ok || !response.body) return 'failed';
      this.failures = 0;
      this.onState('live');
      const parser = new SseParser(
        (event) => {
          // A snapshot starts with a reset and only its last entry has an id: cut off before it, ask for a whole one.
          if (event.type === 'reset') this.lastEventId = '';
          else if (event.id) this.lastEventId = event.id;
          this.onEvent(event);
        },
        (retry) => {
          this.retryMs = retry;
        },
      );
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        arm();
        const { value, done } = await reader.read();
        if (done) return 'ended';
        parser.feed(value);
      }
    } catch {
      return 'failed'; // refused, broken, or silent for too long (aborted)
    } finally {
      clearTimeout(watchdog);
      controller.abort();
    }
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
