// The API as the page uses it: the analyst's key (kept for the tab only, in sessionStorage),
// JSON requests, paging through `next` links, and the live stream.

const KEY_STORAGE = 'vigie.apiKey';

export function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || null;
  } catch {
    return null;
  }
}

export function storeKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Without storage the key lasts until the page reloads.
  }
}

export class ApiError extends Error {
  constructor(status, url) {
    super(`${status} on ${url}`);
    this.status = status;
  }
}

function headers(key, extra = {}) {
  const result = { Accept: 'application/json', ...extra };
  if (key) result.Authorization = `Bearer ${key}`;
  return result;
}

export async function getJson(url, key) {
  const response = await fetch(url, { headers: headers(key) });
  if (!response.ok) throw new ApiError(response.status, url);
  return response.json();
}

export async function postJson(url, body, key) {
  const response = await fetch(url, {
    method: 'POST',
    headers: headers(key, { 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
  });
  const payload = await response.json().catch(() => null);
  return { status: response.status, ok: response.ok, body: payload };
}

/** Every feature of a collection query, following `next` links (at most `maxPages`). */
export async function allFeatures(url, key, maxPages = 50) {
  const features = [];
  let next = url;
  for (let page = 0; next && page < maxPages; page += 1) {
    const collection = await getJson(next, key);
    features.push(...(collection.features ?? []));
    const link = (collection.links ?? []).find((candidate) => candidate.rel === 'next');
    next = link ? link.href : null;
  }
  return features;
}

/** The role a key holds, found by what it may read: `null` when the server refuses it. */
export async function roleOf(key) {
  const reports = await fetch('/collections/reports/items?limit=1&status=unverified', {
    headers: headers(key),
  });
  if (reports.status === 401) return null;
  const events = await fetch('/collections/events/items?limit=1', { headers: headers(key) });
  if (!events.ok) return null;
  // Researchers read reports too (coarsened) and only the review route tells the roles
  // apart, so the page offers the queue when reports answer and turns it off when the
  // server refuses a decision (403).
  return reports.ok ? 'analyst' : 'researcher';
}

/**
 * The live stream. Without a key, the browser's EventSource (it reconnects by itself and
 * sends Last-Event-ID). With a key, EventSource cannot send the Authorization header, so the
 * same protocol is read from a fetch() body. After repeated failures, or when streaming
 * never opens, the client falls back to polling `?poll=true&since=`.
 *
 * `onMessage(kind, message)` receives each message; `onState(state)` one of `connecting`,
 * `open`, `polling`, `offline`.
 */
export class LiveClient {
  constructor({ key, onMessage, onState, pollSeconds = 5 }) {
    this.key = key;
    this.onMessage = onMessage;
    this.onState = onState;
    this.pollSeconds = pollSeconds;
    this.lastId = null;
    this.failures = 0;
    this.stopped = false;
    this.source = null;
    this.abort = null;
    this.pollTimer = null;
  }

  start() {
    this.onState('connecting');
    if (this.key) this.streamWithFetch();
    else this.streamWithEventSource();
  }

  stop() {
    this.stopped = true;
    this.source?.close();
    this.abort?.abort();
    clearTimeout(this.pollTimer);
  }

  deliver(kind, data, id) {
    if (id !== undefined && id !== null && id !== '') {
      const number = Number(id);
      if (Number.isFinite(number)) this.lastId = Math.max(this.lastId ?? number, number);
    }
    let message = null;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    this.onMessage(kind || message.kind, message);
  }

  streamWithEventSource() {
    const url = this.lastId === null ? '/api/stream' : `/api/stream?since=${this.lastId}`;
    const source = new EventSource(url);
    this.source = source;
    const kinds = ['event', 'report', 'warning', 'hotspot', 'resync'];
    for (const kind of kinds) {
      source.addEventListener(kind, (message) => this.deliver(kind, message.data, message.lastEventId));
    }
    source.onopen = () => {
      this.failures = 0;
      this.onState('open');
    };
    source.onerror = () => {
      this.failures += 1;
      if (this.failures >= 3 || source.readyState === EventSource.CLOSED) {
        source.close();
        this.startPolling();
      } else {
        this.onState('connecting');
      }
    };
  }

  async streamWithFetch() {
    while (!this.stopped) {
      this.abort = new AbortController();
      try {
        const requestHeaders = headers(this.key, { Accept: 'text/event-stream' });
        if (this.lastId !== null) requestHeaders['Last-Event-ID'] = String(this.lastId);
        const response = await fetch('/api/stream', { headers: requestHeaders, signal: this.abort.signal });
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        this.failures = 0;
        this.onState('open');
        await this.readEvents(response.body);
      } catch (error) {
        if (this.stopped) return;
        this.failures += 1;
      }
      if (this.stopped) return;
      if (this.failures >= 3) {
        this.startPolling();
        return;
      }
      this.onState('connecting');
      await new Promise((resolve) => setTimeout(resolve, 1000 * this.failures));
    }
  }

  /** Reads `text/event-stream` framing: fields per line, a blank line ends a message. */
  async readEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let kind = '';
    let data = [];
    let id = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let newline;
      while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length) this.deliver(kind, data.join('\n'), id);
          kind = '';
          data = [];
          id = null;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') kind = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
    }
  }

  startPolling() {
    this.onState('polling');
    const poll = async () => {
      if (this.stopped) return;
      try {
        if (this.lastId === null) {
          const head = await getJson('/api/stream?poll=true', this.key);
          this.lastId = head.next ?? 0;
        }
        const page = await getJson(`/api/stream?poll=true&since=${this.lastId}`, this.key);
        for (const item of page.items ?? []) this.deliver(item.kind, JSON.stringify(item), item.id);
        if (typeof page.next === 'number') this.lastId = Math.max(this.lastId, page.next);
        this.onState('polling');
      } catch {
        this.onState('offline');
      }
      this.pollTimer = setTimeout(poll, this.pollSeconds * 1000);
    };
    poll();
  }
}
