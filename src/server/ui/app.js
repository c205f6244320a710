// The dashboard: sign-in, the views and the actions.  Everything shown is
// put in the page as text (textContent, never markup): names and messages
// come from users.

import * as api from './api.js';
import { buildGraph, renderGraph, recolour } from './graph.js';

const SUSPEND_ANNOTATION = 'cozypkg.io/suspended';
const PACKAGE_LABEL = 'cozystack.io/package';
const TAP_LABEL = 'apps.cozystack.io/marketplace-tap';

let me = null; // /auth/whoami: user, groups, can
let unsubscribe = [];
let currentRender = null;

// ---- DOM helpers ---------------------------------------------------------

// h('tr', {class: 'x'}, 'text', child...): strings become text nodes.
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k.startsWith('data-')) e.dataset[k.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

const $ = (sel) => document.querySelector(sel);

function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

function readyOf(obj) {
  const conds = (obj && obj.status && obj.status.conditions) || [];
  return conds.find((c) => c.type === 'Ready') || null;
}

function stateClass(cond) {
  if (!cond) return 'pending';
  if (cond.status === 'True') return 'ready';
  if (cond.status === 'False') return 'failed';
  return 'pending';
}

function readyCell(cond) {
  const status = cond ? cond.status : 'Unknown';
  return h('span', { class: 'badge ' + stateClass(cond) }, status);
}

function can(what) { return !!(me && me.can && me.can[what]); }

function notice(text, kind) {
  const n = $('#notice') || h('div', { id: 'notice', role: 'status' });
  n.className = kind || '';
  n.textContent = text;
  if (!n.parentNode) document.body.appendChild(n);
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => n.remove(), 6000);
}

// ---- sign-in ----------------------------------------------------------

function tokenFromFragment() {
  // #token=T, optionally &view=V (a view to open, e.g. graph).
  const m = /^#token=([0-9A-Za-z._~-]+)(?:&view=([a-z]+))?/.exec(location.hash);
  if (!m) return null;
  // The token must not stay in the address bar, the history or a
  // bookmark: it is replaced before anything else happens.
  const next = m[2] && views[m[2]] ? m[2] : 'packages';
  history.replaceState(null, '', location.pathname + location.search + '#/' + next);
  return m[1];
}

function showLogin(message) {
  api.stopAll();
  me = null;
  $('#top').hidden = true;
  $('#view').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message || '';
  $('#token-input').focus();
}

async function signIn(token) {
  api.setToken(token);
  try {
    me = await api.whoami();
  } catch (e) {
    api.setToken('');
    if (e.status === 401)
      showLogin('The server did not accept this token (401 Unauthorized). Check the token, or run `cozypkg dashboard` for a fresh link.');
    else
      showLogin('Could not sign in: ' + e.message);
    return false;
  }
  $('#login').hidden = true;
  $('#top').hidden = false;
  $('#view').hidden = false;
  $('#whoami').textContent = me.user + (me.groups.length ? ' (' + me.groups.join(', ') + ')' : '');
  route();
  return true;
}

api.setUnauthorizedHandler(() => showLogin('Your session has ended (401 Unauthorized): sign in again.'));

// ---- routing -----------------------------------------------------------

const views = {
  packages: viewPackages,
  package: viewPackage,
  graph: viewGraph,
  sources: viewSources,
  revisions: viewRevisions,
  marketplace: viewMarketplace,
};

function route() {
  if (!me) return;
  for (const u of unsubscribe) u();
  unsubscribe = [];
  currentRender = null;
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  const name = views[parts[0]] ? parts[0] : 'packages';
  const arg = parts.slice(1).map(decodeURIComponent).join('/');
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('current', a.dataset.view === name || (name === 'package' && a.dataset.view === 'packages'));
  const view = $('#view');
  clear(view);
  views[name](view, arg);
}

// Subscribes the current view to collections; render runs once all have
// loaded and again on every change.
function follow(names, render) {
  const cols = names.map((n) => api.collection(api.PATHS[n]));
  currentRender = render;
  const update = () => {
    if (currentRender !== render) return;
    if (cols.every((c) => c.loaded)) render(cols);
    updateLive();
  };
  for (const c of cols) unsubscribe.push(c.subscribe(update));
  if (cols.every((c) => c.loaded)) update();
}

function updateLive() {
  const live = $('#live');
  const ok = api.allConnected();
  live.className = ok ? 'on' : 'off';
  live.title = ok ? 'live: following watch streams' : 'reconnecting';
}

function firstRender(what) {
  if (document.body.dataset['rendered_' + what]) return;
  document.body.dataset['rendered_' + what] = '1';
  performance.mark('render-' + what);
}

// Shows in box why collections could not be read (403, 404), or nothing.
function showErrors(box, cols) {
  clear(box);
  const failed = cols.filter((c) => c.error);
  if (failed.length) box.appendChild(h('p', { class: 'error' }, failed.map((c) => c.path + ': ' + c.error.message).join('; ')));
}

// ---- the model shared by views ----------------------------------------

function byName(col) {
  const m = new Map();
  for (const o of col.list()) m.set(o.metadata.name, o);
  return m;
}

function variantOf(pkg) { return (pkg.spec && pkg.spec.variant) || ''; }

function depsOf(pkg, sources) {
  const fromStatus = pkg.status && pkg.status.dependencies;
  if (fromStatus) return Object.keys(fromStatus);
  const src = sources.get(pkg.metadata.name);
  if (!src) return [];
  const want = variantOf(pkg) || 'default';
  const v = (src.spec.variants || []).find((x) => x.name === want);
  return (v && v.dependsOn) || [];
}

// Installed dependents of name, transitively, over the union of their
// source's variants: what `cozypkg del` deletes with it, dependents first.
function deleteCascade(name, packages, sources) {
  const dependents = new Map();
  for (const p of packages.keys()) {
    const src = sources.get(p);
    const deps = new Set();
    for (const v of (src && src.spec.variants) || []) for (const d of v.dependsOn || []) deps.add(d);
    for (const d of deps) {
      if (!dependents.has(d)) dependents.set(d, []);
      dependents.get(d).push(p);
    }
  }
  const order = [];
  const seen = new Set();
  const visit = (n) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const d of (dependents.get(n) || []).filter((x) => packages.has(x)).sort()) visit(d);
    order.push(n);
  };
  visit(name);
  return order; // dependents before what they depend on
}

// ---- Packages ----------------------------------------------------------

// Kept across redraws and visits: sorting redraws the whole view.
const sortState = { key: 'ready', dir: 1, filter: '' };

function packageRows(packages, sources) {
  return [...packages.values()].map((p) => {
    const c = readyOf(p);
    return {
      name: p.metadata.name,
      variant: variantOf(p),
      ready: c ? c.status : 'Unknown',
      reason: c ? c.reason || '' : '',
      message: c ? c.message || '' : '',
      deps: depsOf(p, sources),
      cond: c,
    };
  });
}

function compareRows(a, b) {
  const k = sortState.key;
  let d;
  if (k === 'ready') {
    const rank = (r) => (r.ready === 'True' ? 1 : 0); // not Ready first
    d = rank(a) - rank(b);
  } else if (k === 'deps') {
    d = a.deps.length - b.deps.length;
  } else {
    d = a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0;
  }
  return d * sortState.dir || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function viewPackages(view) {
  const filter = h('input', { id: 'filter', type: 'search', placeholder: 'Filter by name, variant, reason or message', 'aria-label': 'filter', value: sortState.filter });
  const count = h('span', { id: 'count' });
  const columns = [['name', 'Name'], ['variant', 'Variant'], ['ready', 'Ready'], ['reason', 'Reason'], ['message', 'Message'], ['deps', 'Dependencies']];
  const head = h('tr', {}, columns.map(([k, label]) => h('th', {
    'data-key': k,
    class: sortState.key === k ? 'sorted' : '',
    onclick: () => {
      sortState.dir = sortState.key === k ? -sortState.dir : 1;
      sortState.key = k;
      route();
    },
  }, label)));
  const body = h('tbody');
  const table = h('table', { id: 'packages' }, h('thead', {}, head), body);
  const box = h('div', { id: 'packages-errors' });
  let last = null;
  const add = can('packages.create') ? h('button', { id: 'add-package', class: 'action', onclick: () => showAddForm(view, table, last) }, 'Add package…') : '';
  view.append(h('div', { class: 'toolbar' }, h('h2', {}, 'Packages'), filter, count, add), box, table);
  const draw = () => {
    if (!last) return;
    const [pkgCol, srcCol] = last;
    showErrors(box, last);
    const sources = byName(srcCol);
    const needle = filter.value.trim().toLowerCase();
    const rows = packageRows(byName(pkgCol), sources)
      .filter((r) => !needle || [r.name, r.variant, r.reason, r.message].some((s) => s.toLowerCase().includes(needle)))
      .sort(compareRows);
    clear(body);
    for (const r of rows) {
      body.appendChild(h('tr', { 'data-name': r.name, class: 'pkg-row ' + stateClass(r.cond), onclick: () => { location.hash = '#/package/' + encodeURIComponent(r.name); } },
        h('td', { class: 'c-name' }, h('a', { href: '#/package/' + encodeURIComponent(r.name) }, r.name)),
        h('td', { class: 'c-variant' }, r.variant),
        h('td', { class: 'c-ready' }, readyCell(r.cond)),
        h('td', { class: 'c-reason' }, r.reason),
        h('td', { class: 'c-message' }, r.message),
        h('td', { class: 'c-deps' }, r.deps.join(', '))));
    }
    count.textContent = rows.length + ' of ' + pkgCol.items.size;
    firstRender('packages');
  };
  filter.addEventListener('input', () => { sortState.filter = filter.value; draw(); });
  follow(['packages', 'sources'], (cols) => { last = cols; draw(); });
}

// A Package as `cozypkg add` creates one: named as its PackageSource, a
// variant of it, and optional per-component overrides.  The server judges
// it (names, schema, values); its refusal is shown as it said it.
function showAddForm(view, before, cols) {
  if ($('#add-form') || !cols) return;
  const sources = [...byName(cols[1]).values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const installed = byName(cols[0]);
  const source = h('select', { id: 'add-source', 'aria-label': 'PackageSource' },
    sources.map((s) => h('option', { value: s.metadata.name, disabled: installed.has(s.metadata.name) }, s.metadata.name + (installed.has(s.metadata.name) ? ' (installed)' : ''))));
  const variant = h('select', { id: 'add-variant', 'aria-label': 'variant' });
  const components = h('textarea', { id: 'add-components', rows: 3, 'aria-label': 'components', placeholder: 'spec.components as JSON (optional), e.g. {"webapp": {"values": {"replicas": 2}}}' });
  const error = h('p', { id: 'add-error', class: 'error' });
  const fillVariants = () => {
    clear(variant);
    const src = sources.find((s) => s.metadata.name === source.value);
    for (const v of (src && src.spec && src.spec.variants) || []) variant.appendChild(h('option', { value: v.name }, v.name));
  };
  const first = sources.find((s) => !installed.has(s.metadata.name));
  if (first) source.value = first.metadata.name;
  source.addEventListener('change', fillVariants);
  fillVariants();
  const form = h('form', { id: 'add-form', class: 'panel' },
    h('h3', {}, 'Add a Package'),
    h('label', {}, 'PackageSource ', source), h('label', {}, ' Variant ', variant),
    h('div', {}, components), error,
    h('button', { id: 'add-submit', type: 'submit' }, 'Add'), ' ',
    h('button', { id: 'add-cancel', type: 'button', onclick: () => form.remove() }, 'Cancel'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const spec = { variant: variant.value };
    if (components.value.trim()) {
      try {
        spec.components = JSON.parse(components.value);
      } catch (e) {
        error.textContent = 'The components are not JSON: ' + e.message;
        return;
      }
    }
    const pkg = { apiVersion: 'cozystack.io/v1alpha1', kind: 'Package', metadata: { name: source.value }, spec };
    try {
      // Strict, as kubectl: a misspelt field is refused, not dropped.
      await api.request('POST', api.PATHS.packages + '?fieldValidation=Strict', pkg);
      notice('Added Package ' + source.value + ' (' + variant.value + ')');
      form.remove();
    } catch (e) {
      error.textContent = 'The server refused it (' + e.status + '): ' + e.message;
    }
  });
  view.insertBefore(form, before);
}

// ---- one Package -------------------------------------------------------

async function patchJson(path, patch) {
  return api.request('PATCH', path, patch, 'application/merge-patch+json');
}

function hrPath(hr) {
  return `/apis/helm.toolkit.fluxcd.io/v2/namespaces/${encodeURIComponent(hr.metadata.namespace)}/helmreleases/${encodeURIComponent(hr.metadata.name)}`;
}
function pkgPath(name) { return api.PATHS.packages + '/' + encodeURIComponent(name); }

// As `cozypkg suspend` and `resume`: the Package's mark first when
// suspending, last when resuming, so the controller never rewrites a
// release being changed.
async function setSuspended(name, releases, on) {
  const mark = { metadata: { annotations: { [SUSPEND_ANNOTATION]: on ? 'true' : null } } };
  if (on) await patchJson(pkgPath(name), mark);
  for (const hr of releases) await patchJson(hrPath(hr), { spec: { suspend: on } });
  if (!on) await patchJson(pkgPath(name), mark);
}

function conditionsTable(conds) {
  return h('table', { class: 'conditions' },
    h('thead', {}, h('tr', {}, ['Type', 'Status', 'Reason', 'Message', 'Since'].map((t) => h('th', {}, t)))),
    h('tbody', {}, (conds || []).map((c) => h('tr', {},
      h('td', {}, c.type || ''), h('td', {}, readyCell(c)), h('td', {}, c.reason || ''),
      h('td', { class: 'c-message' }, c.message || ''), h('td', {}, c.lastTransitionTime || '')))));
}

function viewPackage(view, name) {
  const history = h('div', { id: 'history' }, h('p', {}, 'Loading history…'));
  const actions = h('div', { id: 'actions' });
  const detail = h('div', { id: 'package-detail', 'data-name': name });
  view.append(h('p', {}, h('a', { href: '#/packages' }, '← Packages')), detail, actions, history);
  let cascadeOpen = false;
  const closeCascade = () => { cascadeOpen = false; };
  follow(['packages', 'sources', 'helmreleases'], ([pkgCol, srcCol, hrCol]) => {
    const packages = byName(pkgCol);
    const sources = byName(srcCol);
    const pkg = packages.get(name);
    clear(detail);
    if (!pkg) {
      detail.append(h('h2', {}, name), h('p', { class: 'error' }, 'There is no Package ' + name + ' (it may have been deleted).'));
      if (sources.has(name)) detail.append(h('p', {}, 'Its PackageSource exists: install it with ', h('code', {}, 'cozypkg add ' + name)));
      clear(actions);
      return;
    }
    const cond = readyOf(pkg);
    const releases = hrCol.list().filter((hr) => ((hr.metadata.labels || {})[PACKAGE_LABEL]) === name)
      .sort((a, b) => api.keyOf(a) < api.keyOf(b) ? -1 : 1);
    const suspended = ((pkg.metadata.annotations || {})[SUSPEND_ANNOTATION]) === 'true';
    const deps = depsOf(pkg, sources);
    detail.append(
      h('h2', {}, name, ' ', readyCell(cond), suspended ? h('span', { class: 'badge pending' }, 'suspended') : null),
      h('dl', {},
        h('dt', {}, 'Variant'), h('dd', { class: 'detail-variant' }, variantOf(pkg) || '(default)'),
        h('dt', {}, 'Reason'), h('dd', { class: 'detail-reason' }, cond ? cond.reason || '' : ''),
        h('dt', {}, 'Message'), h('dd', { class: 'detail-message' }, cond ? cond.message || '' : '')),
      h('h3', {}, 'Conditions'), conditionsTable(pkg.status && pkg.status.conditions),
      h('h3', {}, 'Dependencies'),
      deps.length ? h('ul', { class: 'deps' }, deps.map((d) => {
        const dp = packages.get(d);
        const dc = readyOf(dp);
        return h('li', { 'data-name': d }, h('a', { href: '#/package/' + encodeURIComponent(d) }, d), ' ',
          dp ? readyCell(dc) : h('span', { class: 'badge failed' }, 'not installed'),
          dc && dc.status !== 'True' ? ' ' + (dc.reason || '') : '');
      })) : h('p', {}, 'None.'),
      h('h3', {}, 'HelmReleases'),
      releases.length ? h('table', { class: 'releases' },
        h('thead', {}, h('tr', {}, ['Namespace', 'Name', 'Ready', 'Reason', 'Message', 'Values'].map((t) => h('th', {}, t)))),
        h('tbody', {}, releases.map((hr) => {
          const c = readyOf(hr);
          return h('tr', { 'data-name': api.keyOf(hr) },
            h('td', {}, hr.metadata.namespace), h('td', {}, hr.metadata.name), h('td', {}, readyCell(c)),
            h('td', {}, c ? c.reason || '' : ''), h('td', { class: 'c-message' }, c ? c.message || '' : ''),
            h('td', {}, hr.spec && hr.spec.values ? h('details', {}, h('summary', {}, 'values'), h('pre', {}, JSON.stringify(hr.spec.values, null, 2))) : ''));
        }))) : h('p', {}, 'None yet.'));
    clear(actions);
    if (can('packages.patch') && can('helmreleases.patch'))
      actions.appendChild(h('button', { class: 'action', id: suspended ? 'resume' : 'suspend', onclick: async () => {
        try { await setSuspended(name, releases, !suspended); notice((suspended ? 'Resumed ' : 'Suspended ') + name); } catch (e) { notice(e.message, 'error'); }
      } }, suspended ? 'Resume' : 'Suspend'));
    if (can('packages.delete')) {
      const cascade = deleteCascade(name, packages, sources);
      actions.appendChild(h('button', { class: 'action danger', id: 'delete', onclick: () => { cascadeOpen = true; showCascade(actions, name, cascade, closeCascade); } }, 'Delete…'));
      if (cascadeOpen) showCascade(actions, name, cascade, closeCascade);
    }
  });
  loadHistory(history, name);
}

function showCascade(actions, name, order, onClose) {
  const old = $('#cascade');
  if (old) old.remove();
  const dependents = order.filter((n) => n !== name);
  const box = h('div', { id: 'cascade', class: 'panel' },
    h('p', {}, 'Requested packages: ', h('code', {}, name)),
    h('p', {}, 'Dependent packages (will also be deleted): ', dependents.length ? h('code', {}, dependents.join(', ')) : 'none'),
    h('p', {}, 'Total: ' + order.length + ' package(s), deleted dependents first, as ', h('code', {}, 'cozypkg del ' + name), ' does.'),
    h('button', { class: 'action danger', id: 'confirm-delete', onclick: async () => {
      try {
        for (const n of order) {
          try { await api.request('DELETE', pkgPath(n)); } catch (e) { if (e.status !== 404) throw e; }
        }
        notice('Deleted ' + order.join(', '));
        location.hash = '#/packages';
      } catch (e) { notice(e.message, 'error'); }
    } }, 'Delete ' + order.length + ' package(s)'),
    h('button', { type: 'button', id: 'cancel-delete', onclick: () => { onClose(); box.remove(); } }, 'Cancel'));
  actions.appendChild(box);
}

async function loadHistory(box, name) {
  let revs;
  try {
    const list = await api.get(api.PATHS.controllerrevisions + '?labelSelector=' + encodeURIComponent('history.cozypkg.io/owner-kind=Package'));
    revs = (list.items || []).filter((r) => ((r.metadata.annotations || {})['history.cozypkg.io/owner']) === name)
      .sort((a, b) => a.revision - b.revision);
  } catch (e) {
    clear(box);
    box.append(h('h3', {}, 'History'), h('p', { class: 'error' }, e.message));
    return;
  }
  clear(box);
  const ann = (r, k) => (r.metadata.annotations || {})['history.cozypkg.io/' + k] || '';
  box.append(h('h3', {}, 'History'),
    revs.length ? h('table', { class: 'history' },
      h('thead', {}, h('tr', {}, ['Revision', 'Changed', 'By', 'Variant'].map((t) => h('th', {}, t)))),
      h('tbody', {}, revs.map((r) => h('tr', {}, h('td', {}, String(r.revision)), h('td', {}, ann(r, 'changed-at')),
        h('td', {}, ann(r, 'changed-by')), h('td', {}, (r.data && r.data.spec && r.data.spec.variant) || ''))))) : h('p', {}, 'No history recorded yet.'),
    h('p', {}, 'Roll back to the revision before the latest: ', h('code', { id: 'rollback-command' }, 'cozypkg rollback ' + name),
      revs.length > 1 ? h('span', {}, ' (or ', h('code', {}, 'cozypkg rollback ' + name + ' --to-revision ' + revs[revs.length - 2].revision), ')') : ''));
}

// ---- Graph -------------------------------------------------------------

const graphState = { mode: 'installed', focus: '' };

function viewGraph(view, arg) {
  if (arg) { graphState.mode = 'closure'; graphState.focus = arg; }
  const modes = [['installed', 'Installed'], ['all', 'Everything'], ['closure', 'One package’s closure']];
  const focus = h('input', { id: 'graph-focus', list: 'graph-names', placeholder: 'package', value: graphState.focus });
  const names = h('datalist', { id: 'graph-names' });
  const select = h('select', { id: 'graph-mode', 'aria-label': 'graph mode', onchange: () => { graphState.mode = select.value; route(); } },
    modes.map(([k, label]) => h('option', { value: k, selected: graphState.mode === k }, label)));
  focus.addEventListener('change', () => { graphState.focus = focus.value; graphState.mode = 'closure'; route(); });
  const legend = h('span', { class: 'legend' }, ['ready', 'failed', 'pending', 'absent', 'missing'].map((s) =>
    h('span', { class: 'swatch ' + s }, { ready: 'Ready', failed: 'not Ready', pending: 'unknown', absent: 'not installed', missing: 'no source' }[s])));
  const canvas = h('div', { id: 'graph-canvas' });
  const count = h('span', { id: 'graph-count' });
  view.append(h('div', { class: 'toolbar' }, h('h2', {}, 'Graph'), select, focus, names, count, legend), canvas);
  let drawn = null; // {signature, svg, graph}
  follow(['packages', 'sources'], ([pkgCol, srcCol]) => {
    const packages = byName(pkgCol);
    const sources = srcCol.list();
    if (!names.childElementCount)
      for (const s of sources.map((x) => x.metadata.name).sort()) names.appendChild(h('option', { value: s }));
    const graph = buildGraph(sources, [...packages.values()], graphState.mode, graphState.focus);
    const stateOf = (n) => (packages.has(n) ? stateClass(readyOf(packages.get(n))) : 'absent');
    const signature = [...graph.nodes.keys()].join('\n') + '\n\n' + graph.edges.map((e) => e.from + '>' + e.to + ':' + e.label).join('\n');
    if (drawn && drawn.signature === signature) {
      recolour(drawn.svg, graph, stateOf);
    } else {
      const svg = renderGraph(graph, stateOf, (n) => { location.hash = '#/package/' + encodeURIComponent(n); });
      clear(canvas);
      canvas.appendChild(svg);
      drawn = { signature, svg };
    }
    count.textContent = graph.nodes.size + ' nodes, ' + graph.edges.length + ' edges';
    firstRender('graph');
  });
}

// ---- Sources -----------------------------------------------------------

function artifactOf(src) { return (src.status && src.status.artifact) || {}; }

function fluxRows(cols, onlyTapped) {
  const rows = [];
  for (const [kind, col] of cols) {
    for (const s of col.list()) {
      const tap = (s.metadata.labels || {})[TAP_LABEL];
      if (onlyTapped && !tap) continue;
      const a = artifactOf(s);
      const c = readyOf(s);
      rows.push(h('tr', { 'data-name': kind + '/' + api.keyOf(s) },
        h('td', {}, kind), h('td', {}, s.metadata.namespace || ''), h('td', {}, s.metadata.name),
        h('td', { class: 'c-url' }, (s.spec && s.spec.url) || ''),
        h('td', {}, a.revision || ''), h('td', { class: 'c-digest' }, a.digest || ''),
        h('td', {}, readyCell(c)), h('td', {}, a.lastUpdateTime || (c && c.lastTransitionTime) || ''),
        h('td', {}, tap || '')));
    }
  }
  return rows;
}

// A table body's only row when it has nothing to list.
function emptyRow(body, columns, text) {
  if (!body.childElementCount) body.appendChild(h('tr', { class: 'empty' }, h('td', { colspan: columns }, text)));
}

const FLUX_HEAD = ['Kind', 'Namespace', 'Name', 'URL', 'Revision', 'Digest', 'Ready', 'Last update', 'Tap'];

function viewSources(view) {
  const flux = h('tbody');
  const pks = h('tbody');
  const box = h('div');
  view.append(h('h2', {}, 'Sources'), box,
    h('h3', {}, 'Flux sources'),
    h('table', { id: 'flux-sources' }, h('thead', {}, h('tr', {}, FLUX_HEAD.map((t) => h('th', {}, t)))), flux),
    h('h3', {}, 'PackageSources'),
    h('table', { id: 'package-sources' }, h('thead', {}, h('tr', {}, ['Name', 'Source', 'Variants', 'Artifacts', 'Ready', 'Message'].map((t) => h('th', {}, t)))), pks));
  follow(['ocirepositories', 'gitrepositories', 'sources'], (cols) => {
    const [oci, git, src] = cols;
    showErrors(box, cols);
    clear(flux);
    flux.append(...fluxRows([['OCIRepository', oci], ['GitRepository', git]], false));
    emptyRow(flux, FLUX_HEAD.length, 'No OCIRepository or GitRepository.');
    clear(pks);
    for (const s of src.list().sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      const ref = s.spec.sourceRef || {};
      const c = readyOf(s);
      const artifacts = (s.status && s.status.artifacts) || [];
      pks.appendChild(h('tr', { 'data-name': s.metadata.name },
        h('td', {}, s.metadata.name),
        h('td', {}, (ref.kind || '') + ' ' + (ref.namespace ? ref.namespace + '/' : '') + (ref.name || '') + (ref.path ? ' ' + ref.path : '')),
        h('td', {}, (s.spec.variants || []).map((v) => v.name).join(', ')),
        h('td', {}, Array.isArray(artifacts) ? artifacts.map((a) => (a.name || '') + (a.revision ? '@' + a.revision : '')).join(', ') : ''),
        h('td', {}, readyCell(c)), h('td', { class: 'c-message' }, c ? c.message || '' : '')));
    }
    firstRender('sources');
  });
}

// ---- Revisions ---------------------------------------------------------

function viewRevisions(view) {
  const repos = h('tbody');
  const revs = h('tbody');
  const box = h('div');
  view.append(h('h2', {}, 'Revisions'), box,
    h('h3', {}, 'Repositories'),
    h('table', { id: 'repositories' }, h('thead', {}, h('tr', {}, ['Namespace', 'Name', 'Type', 'Address', 'Ready'].map((t) => h('th', {}, t)))), repos),
    h('h3', {}, 'Package revisions'),
    h('table', { id: 'packagerevisions' }, h('thead', {}, h('tr', {}, ['Namespace', 'Name', 'Package', 'Revision', 'Workspace', 'Lifecycle', 'Ready', ''].map((t) => h('th', {}, t)))), revs));
  follow(['repositories', 'packagerevisions'], (cols) => {
    const [repoCol, revCol] = cols;
    showErrors(box, cols);
    clear(repos);
    for (const r of repoCol.list()) {
      const spec = r.spec || {};
      const git = spec.git || {};
      repos.appendChild(h('tr', { 'data-name': api.keyOf(r) }, h('td', {}, r.metadata.namespace || ''), h('td', {}, r.metadata.name),
        h('td', {}, spec.type || ''), h('td', {}, git.repo || git.url || spec.address || ''), h('td', {}, readyCell(readyOf(r)))));
    }
    emptyRow(repos, 5, 'No Repository.');
    clear(revs);
    for (const r of revCol.list().sort((a, b) => (api.keyOf(a) < api.keyOf(b) ? -1 : 1))) {
      const id = (r.spec && r.spec.packageRevID) || {};
      const lifecycle = (r.spec && r.spec.lifecycle) || '';
      revs.appendChild(h('tr', { 'data-name': api.keyOf(r) }, h('td', {}, r.metadata.namespace || ''), h('td', {}, r.metadata.name),
        h('td', {}, id.package || ''), h('td', {}, id.revision || ''), h('td', {}, id.workspace || ''),
        h('td', { class: 'c-lifecycle' }, lifecycle), h('td', {}, readyCell(readyOf(r))),
        h('td', {}, lifecycle === 'proposed' && can('packagerevisions.approval') ? h('button', { class: 'action approve', onclick: () => approve(r) }, 'Approve') : '')));
    }
    emptyRow(revs, 8, 'No PackageRevision.');
    firstRender('revisions');
  });
}

async function approve(rev) {
  const body = JSON.parse(JSON.stringify(rev));
  body.spec.lifecycle = 'published';
  const path = `${api.PATHS.packagerevisions.replace('/packagerevisions', '')}/namespaces/${encodeURIComponent(rev.metadata.namespace)}/packagerevisions/${encodeURIComponent(rev.metadata.name)}/approval`;
  try {
    await api.request('PUT', path, body);
    notice('Published ' + rev.metadata.name);
  } catch (e) { notice(e.message, 'error'); }
}

// ---- Marketplace -------------------------------------------------------

// Kept across visits: the last search and its answer.
const marketState = { term: '', items: null, error: '' };

const MARKET_HEAD = ['Name', 'Version', 'Maintainer', 'Signed', 'Tapped', 'Description', ''];

// Where an object a tap writes lives in the API.
const TAP_RESOURCES = { Secret: 'secrets', OCIRepository: 'ocirepositories' };

function objectPath(obj) {
  const v = obj.apiVersion;
  const base = v.includes('/') ? '/apis/' + v : '/api/' + v;
  return `${base}/namespaces/${encodeURIComponent(obj.metadata.namespace)}/${TAP_RESOURCES[obj.kind]}/${encodeURIComponent(obj.metadata.name)}`;
}

// An entry is tapped when an OCIRepository made by a tap follows its URL,
// as `cozypkg search` says.
function tappedUrls(ociCol) {
  const urls = new Set();
  for (const r of ociCol ? ociCol.list() : []) {
    if ((r.metadata.labels || {})[TAP_LABEL] && r.spec && r.spec.url) urls.add(r.spec.url);
  }
  return urls;
}

function canTap(entry) {
  return !!entry.tap && can('ocirepositories.create') && (entry.signed !== 'key' || can('secrets.create'));
}

// What `cozypkg tap NAME` writes for an index entry, with the user's own
// token: the key's Secret, then the OCIRepository; the tap controller
// applies the PackageSources once a revision is stored.  A name that
// another URL or something else already has is refused, never taken over.
async function tapEntry(entry) {
  const tap = entry.tap;
  const objects = JSON.parse(JSON.stringify(tap.objects));
  const repo = objects[objects.length - 1];
  const repoPath = objectPath(repo);
  const cur = await api.getOptional(repoPath);
  if (cur) {
    const label = (cur.metadata.labels || {})[TAP_LABEL];
    const url = (cur.spec && cur.spec.url) || '';
    if (label !== tap.name)
      throw new Error(`OCIRepository cozy-system/${tap.name} exists and was not made by tap; refusing to take it over`);
    if (url !== tap.url)
      throw new Error(`${tap.name} already taps ${url || '(no url)'}, not ${tap.url}: untap its PackageSources first`);
    // As a later `cozypkg tap`: the pull Secret stays, and verification
    // is never dropped by an entry that brings no key.
    if (cur.spec.secretRef) repo.spec.secretRef = cur.spec.secretRef;
    if (!repo.spec.verify && cur.spec.verify) repo.spec.verify = cur.spec.verify;
  }
  const ns = repo.metadata.namespace;
  if (!(await api.getOptional('/api/v1/namespaces/' + encodeURIComponent(ns)))) {
    try {
      await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    } catch (e) { if (e.status !== 409) throw e; }
  }
  const created = [];
  try {
    for (const obj of objects) {
      const path = objectPath(obj);
      const before = await api.getOptional(path);
      await api.applyObject(path, obj);
      if (!before) created.push(path);
    }
  } catch (e) {
    // As the CLI: what this attempt created goes, newest first.
    for (const path of created.reverse()) await api.request('DELETE', path).catch(() => {});
    throw e;
  }
  return tap.name;
}

function marketRows(body, ociCol, redraw) {
  clear(body);
  const urls = tappedUrls(ociCol);
  for (const e of marketState.items || []) {
    const tapped = !!e.tap && urls.has(e.tap.url);
    const button = canTap(e) ? h('button', { class: 'action tap', onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        const name = await tapEntry(e);
        marketState.error = '';
        notice(`Tapped ${e.name} as OCIRepository cozy-system/${name}; its PackageSources follow once a revision is stored.`);
      } catch (err) {
        marketState.error = 'Tapping ' + e.name + ': ' + err.message;
        notice(marketState.error, 'error');
      }
      ev.target.disabled = false;
      redraw();
    } }, tapped ? 'Tap again' : 'Tap') : '';
    body.appendChild(h('tr', { 'data-name': e.name },
      h('td', { class: 'c-name' }, e.name), h('td', { class: 'c-version' }, e.version + (e.digest ? ' @' + e.digest.slice(0, 19) : '')),
      h('td', { class: 'c-maintainer' }, e.maintainer), h('td', { class: 'c-signed' }, e.signed),
      h('td', { class: 'c-tapped' }, tapped ? 'yes' : 'no'), h('td', { class: 'c-description' }, e.description),
      h('td', {}, button)));
  }
  if (marketState.items) emptyRow(body, MARKET_HEAD.length, 'No entry matches.');
}

function viewMarketplace(view) {
  const rows = h('tbody');
  const box = h('div');
  const term = h('input', { id: 'market-term', type: 'search', placeholder: 'Search the index: name, description or tag (empty: all)', 'aria-label': 'search the index', value: marketState.term });
  const form = h('form', { id: 'market-search', class: 'toolbar' }, term, h('button', { id: 'market-go', type: 'submit' }, 'Search'));
  const status = h('p', { id: 'market-status' });
  const results = h('tbody');
  let oci = null;
  const draw = () => {
    status.textContent = marketState.error;
    status.className = marketState.error ? 'error' : '';
    marketRows(results, oci, draw);
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    marketState.term = term.value.trim();
    status.textContent = 'Searching…';
    try {
      const answer = await api.searchMarket(marketState.term);
      marketState.items = answer.items || [];
      marketState.error = '';
    } catch (e) {
      marketState.items = null;
      marketState.error = 'The index could not be searched: ' + e.message;
    }
    draw();
    document.body.dataset.searched = String(Number(document.body.dataset.searched || 0) + 1);
  });
  view.append(h('h2', {}, 'Marketplace'),
    h('h3', {}, 'The index'), form, status,
    h('table', { id: 'market-results' }, h('thead', {}, h('tr', {}, MARKET_HEAD.map((t) => h('th', {}, t)))), results),
    h('h3', {}, 'Tapped repositories'),
    h('p', {}, h('code', {}, 'cozypkg untap NAME'), ' removes a tap with its PackageSources.'),
    box, h('table', { id: 'taps' }, h('thead', {}, h('tr', {}, FLUX_HEAD.map((t) => h('th', {}, t)))), rows));
  draw();
  follow(['ocirepositories'], (cols) => {
    oci = cols[0];
    showErrors(box, cols);
    clear(rows);
    rows.append(...fluxRows([['OCIRepository', cols[0]]], true));
    emptyRow(rows, FLUX_HEAD.length, 'Nothing is tapped.');
    draw();
    firstRender('marketplace');
  });
}

// ---- start ------------------------------------------------------------

function start() {
  $('#login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('#token-input').value.trim();
    $('#token-input').value = '';
    if (!t) { $('#login-error').textContent = 'Enter a token.'; return; }
    signIn(t);
  });
  $('#logout').addEventListener('click', () => { api.setToken(''); showLogin('Signed out.'); });
  window.addEventListener('hashchange', () => {
    const t = tokenFromFragment();
    if (t) signIn(t); else route();
  });
  const fromLink = tokenFromFragment();
  if (fromLink) signIn(fromLink);
  else if (api.hasToken()) signIn(api.currentToken());
  else showLogin('');
}

// The end-to-end test's hook: drop the watch streams as a proxy would.
window.czDropStreams = (ms) => api.dropStreams(ms);

start();
