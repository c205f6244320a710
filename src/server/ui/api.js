// The page's only way to the server: the Kubernetes-style API with the
// user's bearer token in a header (never a cookie), lists followed by
// watch streams.

const TOKEN_KEY = 'cozypkg.token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let token = sessionStorage.getItem(TOKEN_KEY) || '';
let onUnauthorized = () => {};

export function setToken(t) {
  token = t;
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}
export function hasToken() { return token !== ''; }
export function currentToken() { return token; }
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

function headers(extra) {
  return Object.assign({ Authorization: 'Bearer ' + token, Accept: 'application/json' }, extra || {});
}

async function failure(resp) {
  let message = resp.status + ' ' + resp.statusText;
  try {
    const body = await resp.json();
    if (body && body.message) message = body.message;
  } catch (e) { /* not a Status */ }
  return new ApiError(resp.status, message);
}

// One request; resolves to the parsed body, throws ApiError otherwise.
export async function request(method, path, body, contentType) {
  const init = { method, headers: headers(), cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = contentType || 'application/json';
  }
  const resp = await fetch(path, init);
  if (!resp.ok) {
    const err = await failure(resp);
    if (resp.status === 401) onUnauthorized(err);
    throw err;
  }
  const text = await resp.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path) => request('GET', path);

// The object at path, or null when there is none.
export async function getOptional(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

// Server-side apply as `cozypkg tap` does it (field manager cozypkg);
// JSON is YAML, so the object goes as it is.
export function applyObject(path, obj) {
  return request('PATCH', path + '?fieldManager=cozypkg&force=true', obj, 'application/apply-patch+yaml');
}

export function searchMarket(term) {
  return get('/market/search?q=' + encodeURIComponent(term));
}

export function whoami() { return get('/auth/whoami'); }

export function keyOf(obj) {
  const m = obj.metadata || {};
  return m.namespace ? m.namespace + '/' + m.name : m.name;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// How long a stream no view needs stays open.
const IDLE_MS = 1000;

// A resource collection kept current: a list, then a watch from its
// resourceVersion; a dropped stream resumes from the last version seen,
// and a 410 Gone (history compacted) lists again.
export class Collection {
  constructor(path) {
    this.path = path;
    this.items = new Map();
    this.rv = '';
    this.loaded = false;
    this.error = null;
    this.listeners = new Set();
    this.started = false;
    this.stopped = false;
    this.pending = null;
    this.connected = false;
    this.holdUntil = 0;
    this.running = false;
    this.paused = false;
    this.idle = null;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    clearTimeout(this.idle);
    this.start();
    return () => {
      this.listeners.delete(fn);
      // A browser opens at most six HTTP/1.1 connections to a server and
      // an open watch holds one, so the streams of every view visited
      // would leave none for the next request: a stream no view needs is
      // closed after a moment (one view handing it to the next keeps it)
      // and resumed from its resourceVersion when a view needs it again.
      if (!this.listeners.size) this.idle = setTimeout(() => this.pause(), IDLE_MS);
    };
  }

  start() {
    this.paused = false;
    if (this.running) return;
    this.running = true;
    this.started = true;
    this.run().finally(() => { this.running = false; });
  }

  pause() {
    if (this.listeners.size) return;
    this.paused = true;
    if (this.abort) this.abort.abort();
  }

  stop() {
    this.stopped = true;
    if (this.abort) this.abort.abort();
  }

  list() { return Array.from(this.items.values()); }

  // Coalesces the events of a burst into one notification.
  changed() {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      for (const fn of this.listeners) fn(this);
    }, 20);
  }

  async run() {
    let backoff = 250;
    while (!this.stopped && !this.paused) {
      try {
        if (!this.rv) await this.relist();
        await this.follow();
        backoff = 250;
      } catch (e) {
        this.connected = false;
        if (this.stopped || this.paused) return;
        if (this.holdUntil > Date.now()) {
          await sleep(this.holdUntil - Date.now());
          continue;
        }
        if (e.status === 410) { this.rv = ''; continue; }
        if (e.status === 401 || e.status === 403 || e.status === 404) {
          this.error = e;
          this.loaded = true;
          this.changed();
          return;
        }
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  async relist() {
    const list = await get(this.path);
    this.items = new Map();
    for (const o of list.items || []) this.items.set(keyOf(o), o);
    this.rv = (list.metadata && list.metadata.resourceVersion) || '';
    this.loaded = true;
    this.error = null;
    this.changed();
  }

  async follow() {
    const sep = this.path.includes('?') ? '&' : '?';
    // As client-go: the server ends each stream after 5 to 10 minutes, so
    // a connection a proxy dropped silently is noticed and replaced, and
    // the page watches again from the last resourceVersion it saw.
    const timeout = 300 + Math.floor(Math.random() * 300);
    if (this.stopped || this.paused) return;
    const url = this.path + sep + 'watch=1&allowWatchBookmarks=true&timeoutSeconds=' + timeout +
      '&resourceVersion=' + encodeURIComponent(this.rv);
    this.abort = new AbortController();
    const resp = await fetch(url, { headers: headers(), cache: 'no-store', credentials: 'omit', signal: this.abort.signal });
    if (!resp.ok) {
      const err = await failure(resp);
      if (resp.status === 401) onUnauthorized(err);
      throw err;
    }
    this.connected = true;
    this.changed();
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) this.apply(JSON.parse(line));
      }
    }
    this.connected = false;
  }

  apply(ev) {
    const obj = ev.object || {};
    if (ev.type === 'ERROR') {
      throw new ApiError(obj.code || 500, obj.message || 'watch error');
    }
    const rv = obj.metadata && obj.metadata.resourceVersion;
    if (rv) this.rv = rv;
    if (ev.type === 'BOOKMARK') return;
    if (ev.type === 'DELETED') this.items.delete(keyOf(obj));
    else this.items.set(keyOf(obj), obj);
    this.changed();
  }
}

// Collections are made once and shared by the views that need them;
// nothing is requested until a view subscribes.
const collections = new Map();
export function collection(path) {
  if (!collections.has(path)) collections.set(path, new Collection(path));
  return collections.get(path);
}
export function stopAll() {
  for (const c of collections.values()) c.stop();
  collections.clear();
}
// Ends every open stream as a dropped connection would, and keeps them
// closed for ms: the end-to-end test makes a change meanwhile and checks
// that each watch resumes from the version it had.  Returns that version
// by path.
export function dropStreams(ms) {
  const seen = {};
  for (const c of collections.values()) {
    if (!c.connected || !c.abort) continue;
    seen[c.path] = c.rv;
    c.holdUntil = Date.now() + (ms || 0);
    c.abort.abort();
  }
  return seen;
}
export function allConnected() {
  for (const c of collections.values()) if (c.listeners.size && !c.connected && !c.error) return false;
  return true;
}

export const PATHS = {
  packages: '/apis/cozystack.io/v1alpha1/packages',
  sources: '/apis/cozystack.io/v1alpha1/packagesources',
  helmreleases: '/apis/helm.toolkit.fluxcd.io/v2/helmreleases',
  ocirepositories: '/apis/source.toolkit.fluxcd.io/v1/ocirepositories',
  gitrepositories: '/apis/source.toolkit.fluxcd.io/v1/gitrepositories',
  repositories: '/apis/config.pkg.pkgserver.dev/v1alpha1/repositories',
  packagerevisions: '/apis/pkg.pkgserver.dev/v1alpha1/packagerevisions',
  controllerrevisions: '/apis/apps/v1/controllerrevisions',
};
