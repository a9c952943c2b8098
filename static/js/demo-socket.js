/* The one websocket that every demo widget on a page shares.
 *
 * The server allows a few runs per connection, not per widget, so sharing one
 * socket keeps the page within that limit and costs one connection per reader.
 * Messages about a run carry its id; the socket hands each one to whoever
 * started that run. When the connection drops it reconnects by itself with
 * exponential backoff and tells every widget, so they can say so to the reader
 * and mark their runs as interrupted (the server cancels them when a
 * connection goes away, so they can never resume).
 */

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

export const Status = Object.freeze({
  CONNECTING: "connecting", // the first attempt, nothing went wrong yet
  OPEN: "open",
  RECONNECTING: "reconnecting", // it was lost or never came up; retrying
});

export class DemoSocket {
  constructor(url) {
    this.url = url;
    this.status = Status.CONNECTING;
    this.ws = null;
    this.failures = 0;
    this.retryTimer = null;
    this.runs = new Map(); // run id -> function(message)
    this.statusListeners = new Set();
    this.strayListeners = new Set();

    // Coming back online or back to the tab: no need to sit out the backoff.
    window.addEventListener("online", () => this.retryNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.retryNow();
    });
  }

  connect() {
    if (this.ws) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      console.warn("demo socket: cannot open", error);
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.failures = 0;
      this.setStatus(Status.OPEN);
    });
    ws.addEventListener("message", (event) => this.dispatch(event.data));
    // "error" is always followed by "close"; everything is handled there.
    ws.addEventListener("close", () => this.lost(ws));
  }

  /** Sends a message now; false when the socket is not open (nothing is queued). */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Routes the messages of run `id` to `handler` until the returned function is called. */
  follow(id, handler) {
    this.runs.set(id, handler);
    return () => {
      if (this.runs.get(id) === handler) this.runs.delete(id);
    };
  }

  /** Calls `listener(status)` now and on every change; returns an unsubscribe function. */
  onStatus(listener) {
    this.statusListeners.add(listener);
    listener(this.status);
    return () => this.statusListeners.delete(listener);
  }

  /** Errors that name no run (a malformed frame): nobody owns them. */
  onStray(listener) {
    this.strayListeners.add(listener);
  }

  get isOpen() {
    return this.status === Status.OPEN;
  }

  // Internals -------------------------------------------------------------

  dispatch(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      console.warn("demo socket: a frame that is not JSON", data);
      return;
    }
    const handler = typeof message.id === "string" ? this.runs.get(message.id) : undefined;
    if (handler) handler(message);
    else this.strayListeners.forEach((listener) => listener(message));
  }

  lost(ws) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.setStatus(Status.RECONNECTING);
    // The server cancels a connection's runs when it closes: they are over.
    const orphaned = [...this.runs.values()];
    this.runs.clear();
    orphaned.forEach((handler) => handler({ type: "disconnected" }));
    this.scheduleRetry();
  }

  scheduleRetry() {
    window.clearTimeout(this.retryTimer);
    const delay = backoff(this.failures);
    this.failures += 1;
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }

  retryNow() {
    if (this.ws || this.status === Status.OPEN) return;
    window.clearTimeout(this.retryTimer);
    this.connect();
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.statusListeners.forEach((listener) => listener(status));
  }
}

/**
 * 0.5 s, 1 s, 2 s … up to 10 s, each spread by ±20 % at random so that readers
 * dropped by one server restart don't all come back in the same instant.
 */
export function backoff(failures) {
  const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(failures, 16));
  return Math.min(MAX_DELAY_MS, delay * (0.8 + Math.random() * 0.4));
}

/** ws:// or wss:// to match the page, on the page's own host. */
export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

let shared = null;

/** The page's socket, opened on first use. */
export function sharedSocket(path = "/ws/demos/") {
  if (!shared) {
    shared = new DemoSocket(socketUrl(path));
    shared.connect();
  }
  return shared;
}
