// A parser of text/event-stream (the WHATWG "server-sent events" interpretation rules), fed with text as it arrives.
// The page reads the agent's streams with fetch() rather than EventSource, because EventSource cannot send the
// Device-Auth header; this is the part of EventSource it then needs.

export class SseParser {
  /** @param {(event: {type: string, data: string, id: string}) => void} onEvent
   *  @param {(retryMs: number) => void} onRetry */
  constructor(onEvent, onRetry = () => {}) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.buffer = '';
    this.pendingCr = false;
    this.lastEventId = '';
    this.type = '';
    this.data = [];
  }

  /** Feeds a piece of the stream (any split: lines and CRLFs may be cut anywhere). */
  feed(text) {
    let chunk = text;
    if (this.pendingCr) {
      // A CR ended the last piece: a LF starting this one belongs to the same line end.
      if (chunk.startsWith('\n')) chunk = chunk.slice(1);
      this.pendingCr = false;
    }
    this.buffer += chunk;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buffer.slice(start, i));
      if (c === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[i + 1] === '\n') i += 1;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return; // a comment (the agent's ": ping")
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.onRetry(Number(value));
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  dispatch() {
    const type = this.type || 'message';
    const data = this.data;
    this.type = '';
    this.data = [];
    if (data.length === 0) return;
    this.onEvent({ type, data: data.join('\n'), id: this.lastEventId });
  }
}
