// Drives Debian's chromium (headless) against cozypkgd's dashboard for
// tests/e2e/64-dashboard.sh and bench/dashboard.sh.
//   node dashboard.mjs SCENARIO ARGS...
// Environment: SERVER_URL, TOKEN (the admin's), KUBECONFIG for the
// scenarios that change objects with kubectl.  Exits non-zero with a
// message on the first check that does not hold.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.SERVER_URL;
const ADMIN = process.env.TOKEN;
const BROWSER = process.env.CHROMIUM || '/usr/bin/chromium';

function fail(msg) {
  console.error('FAILED: ' + msg);
  process.exit(1);
}
function check(cond, msg) { if (!cond) fail(msg); }

// One persistent context on a fresh profile directory (playwright takes
// the profile this way rather than as --user-data-dir); each page is a tab
// with its own sessionStorage, so each signs in on its own.
let profile = null;
async function launch() {
  profile = mkdtempSync(join(tmpdir(), 'cz-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: BROWSER,
    ignoreHTTPSErrors: true,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A new tab with page errors and every request recorded.
async function open(browser, viewport) {
  const page = await browser.newPage();
  if (viewport) await page.setViewportSize(viewport);
  page.requests = [];
  page.requestTimes = [];
  page.errors = [];
  page.on('request', (r) => { page.requests.push(r.url()); page.requestTimes.push(Date.now()); });
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

// Polls fn(arg) in the page until it is true.  Not page.waitForFunction:
// that evaluates a string, which the dashboard's Content-Security-Policy
// (no 'unsafe-eval') rightly refuses.
async function waitFor(page, fn, arg, timeout) {
  const end = Date.now() + (timeout || 10000);
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > end) throw new Error('not true after ' + (timeout || 10000) + ' ms: ' + fn.toString().slice(0, 160));
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function signedIn(browser, token, view) {
  const page = await open(browser);
  await page.goto(BASE + '/ui/#token=' + token + (view ? '&view=' + view : ''));
  await page.waitForSelector(view === 'graph' ? 'body[data-rendered_graph]' : 'body[data-rendered_packages]', { state: 'attached', timeout: 15000 });
  return page;
}

const kubectl = (...args) => execFileSync('kubectl', ['--request-timeout=20s', ...args], { encoding: 'utf8' });

async function rowsOf(page) {
  return page.$$eval('tr.pkg-row', (trs) => trs.map((tr) => ({
    name: tr.dataset.name,
    variant: tr.querySelector('.c-variant').textContent,
    ready: tr.querySelector('.c-ready').textContent,
    reason: tr.querySelector('.c-reason').textContent,
    message: tr.querySelector('.c-message').textContent,
  })));
}

const scenarios = {
  // A token typed in signs in; a wrong one is refused with a message that
  // says so; a #token= link is removed from the address bar at once.
  async login(browser) {
    let page = await open(browser);
    await page.goto(BASE + '/ui/');
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#token-input', 'not-a-token-' + Date.now());
    await page.click('#login-button');
    await waitFor(page, () => document.querySelector('#login-error').textContent.length > 0);
    const msg = await page.textContent('#login-error');
    check(/did not accept this token \(401 Unauthorized\)/.test(msg), 'wrong token message: ' + msg);
    check(await page.isHidden('#view'), 'views shown after a wrong token');
    await page.fill('#token-input', ADMIN);
    await page.click('#login-button');
    await page.waitForSelector('tr.pkg-row');
    check((await page.textContent('#whoami')).startsWith('admin'), 'whoami line');
    await page.close();
    page = await signedIn(browser, ADMIN);
    check(!page.url().includes(ADMIN), 'the token stayed in the address bar: ' + page.url());
    check(page.url().endsWith('#/packages'), 'after the link: ' + page.url());
    check(page.errors.length === 0, 'page errors: ' + page.errors.join('; '));
    await page.close();
  },

  // The table lists exactly what kubectl lists, with the same Ready,
  // reason and message, the not-Ready ones first.
  async packages(browser, expectedFile) {
    const want = JSON.parse(readFileSync(expectedFile, 'utf8'));
    const page = await signedIn(browser, ADMIN);
    await waitFor(page, (n) => document.querySelectorAll('tr.pkg-row').length === n, want.length);
    const key = (r) => [r.name, r.variant, r.ready, r.reason, r.message].join('|');
    const w = want.map(key).sort();
    let got, g;
    // A status the controllers were still writing when kubectl listed
    // arrives on the page through the watch a moment later.
    for (let i = 0; i < 30; i++) {
      got = await rowsOf(page);
      g = got.map(key).sort();
      if (JSON.stringify(g) === JSON.stringify(w)) break;
      await page.waitForTimeout(100);
    }
    check(JSON.stringify(g) === JSON.stringify(w), 'rows differ from kubectl:\n  page: ' +
      g.filter((x) => !w.includes(x)).slice(0, 5).join('\n        ') + '\n  kubectl: ' + w.filter((x) => !g.includes(x)).slice(0, 5).join('\n        '));
    const firstReady = got.findIndex((r) => r.ready === 'True');
    check(got.slice(firstReady).every((r) => r.ready === 'True'), 'not-Ready rows are not all first');
    // The filter narrows the rows.
    await page.fill('#filter', want[0].name);
    const n = await page.locator('tr.pkg-row').count();
    check(n >= 1 && n < want.length, 'filter left ' + n + ' rows');
    await page.close();
  },

  // One node per PackageSource (and per missing dependency), one edge per
  // dependency, the labels of `cozypkg dot`; a click opens the Package.
  async graph(browser, expectedFile, clickName) {
    const want = JSON.parse(readFileSync(expectedFile, 'utf8'));
    const page = await signedIn(browser, ADMIN, 'graph');
    await page.selectOption('#graph-mode', 'all');
    await waitFor(page, (n) => document.querySelectorAll('#graph g.node').length === n, want.nodes.length, 10000)
      .catch(() => {});
    const nodes = (await page.$$eval('#graph g.node', (gs) => gs.map((g) => g.dataset.name))).sort();
    check(JSON.stringify(nodes) === JSON.stringify([...want.nodes].sort()),
      'nodes differ from cozypkg dot: page ' + nodes.length + ', dot ' + want.nodes.length);
    const edges = (await page.$$eval('#graph path.edge', (ps) => ps.map((p) => p.dataset.from + ' -> ' + p.dataset.to))).sort();
    const wantEdges = want.edges.map((e) => e[0] + ' -> ' + e[1]).sort();
    check(JSON.stringify(edges) === JSON.stringify(wantEdges), 'edges differ from cozypkg dot: page ' + edges.length + ', dot ' + wantEdges.length +
      '; only on the page: ' + edges.filter((e) => !wantEdges.includes(e)).slice(0, 3).join(', ') +
      '; only in dot: ' + wantEdges.filter((e) => !edges.includes(e)).slice(0, 3).join(', '));
    const labels = (await page.$$eval('#graph text.edge-label', (ts) => ts.map((t) => t.dataset.from + ' -> ' + t.dataset.to + ' ' + t.textContent))).sort();
    const wantLabels = want.edges.filter((e) => e[2]).map((e) => e[0] + ' -> ' + e[1] + ' ' + e[2]).sort();
    check(JSON.stringify(labels) === JSON.stringify(wantLabels), 'edge labels differ from cozypkg dot: ' +
      labels.filter((e) => !wantLabels.includes(e)).slice(0, 3).join(', ') + ' / ' + wantLabels.filter((e) => !labels.includes(e)).slice(0, 3).join(', '));
    // One package's closure: it and everything it needs, transitively.
    const closure = new Set([clickName]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [from, to] of want.edges) if (closure.has(from) && !closure.has(to)) { closure.add(to); grew = true; }
    }
    await page.evaluate((n) => { location.hash = '#/graph/' + n; }, clickName);
    await waitFor(page, (n) => document.querySelectorAll('#graph g.node').length === n, closure.size, 5000);
    const shown = await page.$$eval('#graph g.node', (gs) => gs.map((g) => g.dataset.name));
    check(shown.every((n) => closure.has(n)), 'the closure view shows ' + shown.filter((n) => !closure.has(n)).join(', '));
    await page.click(`#graph g.node[data-name="${clickName}"]`);
    await page.waitForSelector(`#package-detail[data-name="${clickName}"] h2`);
    check(page.url().endsWith('#/package/' + encodeURIComponent(clickName)), 'node click went to ' + page.url());
    await page.close();
  },

  // A kubectl patch shows on the open page within 2 s, in the table and on
  // the Package's page; after the server restarts, the page follows again
  // from the last resourceVersion.
  async live(browser, name, variant1, variant2, restartScript) {
    const page = await signedIn(browser, ADMIN);
    const detail = await open(browser);
    await detail.goto(BASE + '/ui/#token=' + ADMIN);
    await detail.waitForSelector('tr.pkg-row');
    await detail.evaluate((n) => { location.hash = '#/package/' + n; }, name);
    await detail.waitForSelector('.detail-variant');
    const cell = `tr.pkg-row[data-name="${name}"] .c-variant`;
    const t0 = Date.now();
    kubectl('patch', 'package', name, '--type=merge', '-p', JSON.stringify({ spec: { variant: variant1 } }));
    await waitFor(page, ([sel, v]) => document.querySelector(sel) && document.querySelector(sel).textContent === v, [cell, variant1], 2000);
    await waitFor(detail, (v) => document.querySelector('.detail-variant').textContent === v, variant1, 2000);
    const ms = Date.now() - t0;
    console.log('live: the patch showed after ' + ms + ' ms');
    check(ms < 2000, 'the change took ' + ms + ' ms');
    if (restartScript) {
      const watches = () => page.requests.filter((u) => u.includes('/packages?watch=1')).length;
      const before = watches();
      execFileSync('bash', [restartScript], { stdio: 'inherit' });
      const t1 = Date.now();
      kubectl('patch', 'package', name, '--type=merge', '-p', JSON.stringify({ spec: { variant: variant2 } }));
      await waitFor(page, ([sel, v]) => document.querySelector(sel).textContent === v, [cell, variant2], 10000);
      console.log('live: after the stream dropped the page followed again in ' + (Date.now() - t1) + ' ms');
      check(watches() > before, 'the page never watched again');
      console.log('live: the Packages watch was opened ' + (watches() - before) + ' more time(s)');
    }
    check(page.errors.length === 0, 'page errors: ' + page.errors.join('; '));
    await page.close();
    await detail.close();
  },

  // A dropped watch stream (the page's test hook ends every stream and
  // keeps them closed for a while, as a dropped connection) resumes from
  // the last resourceVersion the page saw, without listing again, and a
  // change made while it was down shows within 2 s.
  async resume(browser, name, variant) {
    const page = await signedIn(browser, ADMIN);
    await page.waitForSelector(`tr.pkg-row[data-name="${name}"]`);
    await waitFor(page, () => document.querySelector('#live').className === 'on');
    const path = '/apis/cozystack.io/v1alpha1/packages';
    const from = page.requests.length;
    const seen = await page.evaluate(() => window.czDropStreams(1500));
    const rv = seen[path];
    check(rv, 'no open Packages stream was dropped: ' + JSON.stringify(seen));
    kubectl('patch', 'package', name, '--type=merge', '-p', JSON.stringify({ spec: { variant } }));
    const changed = Date.now();
    const cell = `tr.pkg-row[data-name="${name}"] .c-variant`;
    await waitFor(page, ([sel, v]) => document.querySelector(sel).textContent === v, [cell, variant], 2000);
    const ms = Date.now() - changed;
    console.log('resume: the change made while the stream was down showed ' + ms + ' ms after it was made');
    check(ms < 2000, 'the change took ' + ms + ' ms');
    const after = page.requests.slice(from).map((u, i) => ({ url: new URL(u), at: page.requestTimes[from + i] }))
      .filter((r) => r.url.pathname === path);
    const watches = after.filter((r) => r.url.searchParams.get('watch') === '1');
    check(watches.length >= 1, 'the Packages watch was not opened again');
    check(watches[0].at >= changed, 'the watch was open again before the change was made');
    check(watches[0].url.searchParams.get('resourceVersion') === rv,
      'the watch resumed from ' + watches[0].url.searchParams.get('resourceVersion') + ', not from ' + rv);
    check(after.every((r) => r.url.searchParams.get('watch') === '1'), 'the page listed the Packages again');
    console.log('resume: the watch reopened from resourceVersion ' + rv);
    check(page.errors.length === 0, 'page errors: ' + page.errors.join('; '));
    await page.close();
  },

  // The Marketplace view: any user searches the index and sees what
  // `cozypkg search` lists; a viewer gets no Tap button; the admin taps an
  // entry (the objects are checked against the CLI's by the shell test),
  // and a second entry for another URL under the same name is refused.
  async market(browser, viewerToken, expectedFile, tapName, clashName) {
    const want = JSON.parse(readFileSync(expectedFile, 'utf8'));
    const search = async (page, term) => {
      await page.evaluate(() => { location.hash = '#/marketplace'; });
      await page.waitForSelector('#market-term');
      const n = await page.evaluate(() => Number(document.body.dataset.searched || 0));
      await page.fill('#market-term', term);
      await page.click('#market-go');
      await waitFor(page, (k) => Number(document.body.dataset.searched || 0) > k, n);
      return page.$$eval('#market-results tbody tr[data-name]', (trs) => trs.map((tr) => ({
        name: tr.dataset.name,
        version: tr.querySelector('.c-version').textContent,
        maintainer: tr.querySelector('.c-maintainer').textContent,
        signed: tr.querySelector('.c-signed').textContent,
        tapped: tr.querySelector('.c-tapped').textContent,
        description: tr.querySelector('.c-description').textContent,
      })));
    };
    const expect = (term) => want[term].map((e) => ({
      name: e.name, version: e.version + (e.digest ? ' @' + e.digest.slice(0, 19) : ''), maintainer: e.maintainer,
      signed: e.signed, tapped: e.tapped ? 'yes' : 'no', description: e.description,
    }));
    const viewer = await signedIn(browser, viewerToken);
    for (const term of Object.keys(want)) {
      const rows = await search(viewer, term);
      check(JSON.stringify(rows) === JSON.stringify(expect(term)),
        `search "${term}" differs from cozypkg search:\n  page: ${JSON.stringify(rows)}\n  cli:  ${JSON.stringify(expect(term))}`);
    }
    check(await viewer.locator('button.action').count() === 0, 'the viewer sees a Tap button');
    check(await viewer.evaluate(() => window.__xss) === undefined, 'markup in the index ran');
    check(await viewer.$$eval('#market-results script, #market-results img', (es) => es.length) === 0, 'markup in the index made elements');
    check(viewer.errors.length === 0, 'page errors: ' + viewer.errors.join('; '));
    await viewer.close();
    const page = await signedIn(browser, ADMIN);
    await search(page, '');
    const row = `#market-results tr[data-name="${tapName}"]`;
    await page.click(row + ' button.tap');
    await waitFor(page, (sel) => document.querySelector(sel + ' .c-tapped').textContent === 'yes', row, 10000);
    await page.click(`#market-results tr[data-name="${clashName}"] button.tap`);
    await waitFor(page, () => /already taps/.test(document.querySelector('#market-status').textContent), null, 10000);
    console.log('market: ' + await page.textContent('#market-status'));
    check(page.errors.length === 0, 'page errors: ' + page.errors.join('; '));
    await page.close();
  },

  // An index the server cannot read: the search says why, as the server
  // said it.
  async market_error(browser, message) {
    const page = await signedIn(browser, ADMIN);
    await page.evaluate(() => { location.hash = '#/marketplace'; });
    await page.waitForSelector('#market-term');
    await page.click('#market-go');
    await waitFor(page, () => Number(document.body.dataset.searched || 0) > 0);
    const shown = await page.textContent('#market-status');
    check(shown === 'The index could not be searched: ' + message, 'shown: ' + shown);
    check(await page.locator('#market-results button').count() === 0, 'buttons without an index');
    await page.close();
  },

  // Adding a Package: the admin picks a PackageSource and a variant; the
  // server's refusal (422) is shown as it said it; a viewer has no button.
  async add(browser, viewerToken, source, variant, badComponents) {
    const viewer = await signedIn(browser, viewerToken);
    await viewer.waitForTimeout(300);
    check(await viewer.locator('#add-package').count() === 0, 'the viewer sees Add package');
    await viewer.close();
    const page = await signedIn(browser, ADMIN);
    await page.click('#add-package');
    await page.waitForSelector('#add-form');
    await page.selectOption('#add-source', source);
    await page.selectOption('#add-variant', variant);
    await page.fill('#add-components', badComponents);
    await page.click('#add-submit');
    await waitFor(page, () => document.querySelector('#add-error').textContent.length > 0);
    const refused = await page.textContent('#add-error');
    console.log('add: ' + refused);
    check(/\(422\): .*is invalid/.test(refused), 'the refusal shown: ' + refused);
    await page.fill('#add-components', '');
    await page.click('#add-submit');
    await page.waitForSelector('#add-form', { state: 'detached' });
    await page.waitForSelector(`tr.pkg-row[data-name="${source}"]`);
    check(kubectl('get', 'package', source, '-o', 'jsonpath={.spec.variant}').trim() === variant, 'the Package has another variant');
    check(page.errors.length === 0, 'page errors: ' + page.errors.join('; '));
    await page.close();
  },

  // A viewer reads every view, requests no Secret and sees no button that
  // would fail.
  async viewer(browser, viewerToken, pkg) {
    const page = await signedIn(browser, viewerToken);
    for (const hash of ['#/packages', '#/package/' + pkg, '#/graph', '#/sources', '#/revisions', '#/marketplace']) {
      await page.evaluate((h) => { location.hash = h; }, hash);
      await waitFor(page, () => document.querySelector('#view').childElementCount > 0);
      await page.waitForTimeout(400);
      const buttons = await page.locator('button.action').count();
      check(buttons === 0, hash + ': the viewer sees ' + buttons + ' action button(s)');
    }
    await page.waitForSelector('#package-detail, #graph, table', 5000);
    const secrets = page.requests.filter((u) => /\/secrets\b/.test(u));
    check(secrets.length === 0, 'the viewer requested Secrets: ' + secrets.join(', '));
    check(page.errors.length === 0, 'page errors: ' + page.errors.join('; '));
    await page.close();
    // The admin sees them.
    const admin = await signedIn(browser, ADMIN);
    await admin.evaluate((p) => { location.hash = '#/package/' + p; }, pkg);
    await admin.waitForSelector('#delete');
    await admin.click('#delete');
    await admin.waitForSelector('#cascade');
    check((await admin.textContent('#cascade')).includes('Dependent packages (will also be deleted)'), 'cascade not shown');
    await admin.click('#cancel-delete');
    // Suspend and resume, as the CLI does them: the mark and each release.
    const suspended = () => kubectl('get', 'package', pkg, '-o', 'jsonpath={.metadata.annotations.cozypkg\\.io/suspended}').trim();
    const releases = () => kubectl('get', 'hr', '-A', '-l', 'cozystack.io/package=' + pkg, '-o', 'jsonpath={.items[*].spec.suspend}').trim();
    await admin.click('#suspend');
    await admin.waitForSelector('#resume', { timeout: 5000 });
    check(suspended() === 'true', 'the Package is not marked suspended');
    check(/^true( true)*$/.test(releases()), 'releases not suspended: ' + releases());
    await admin.click('#resume');
    await admin.waitForSelector('#suspend', { timeout: 5000 });
    check(suspended() === '', 'the Package is still marked suspended');
    check(!releases().includes('true'), 'releases still suspended: ' + releases());
    // Delete with the cascade of `cozypkg del`: bootbox needs
    // bootbox-application, so it goes too, first.
    await admin.evaluate(() => { location.hash = '#/package/cozystack.bootbox-application'; });
    await admin.waitForSelector('#package-detail[data-name="cozystack.bootbox-application"] h2');
    await admin.click('#delete');
    await admin.waitForSelector('#cascade');
    const cascade = await admin.textContent('#cascade');
    check(cascade.includes('Dependent packages (will also be deleted): cozystack.bootbox') && cascade.includes('Total: 2 package(s)'), 'cascade: ' + cascade);
    await admin.click('#confirm-delete');
    const left = () => kubectl('get', 'packages', 'cozystack.bootbox', 'cozystack.bootbox-application', '--ignore-not-found', '-o', 'name').trim();
    for (let i = 0; i < 100 && left(); i++) await admin.waitForTimeout(100);
    check(left() === '', 'still there after the delete: ' + left());
    await waitFor(admin, () => location.hash === '#/packages');
    await admin.close();
  },

  // A proposed package revision has an Approve button for an approver,
  // none for an author; a click publishes it and the row follows.
  async approve(browser, approverToken, authorToken, name) {
    const author = await signedIn(browser, authorToken);
    await author.evaluate(() => { location.hash = '#/revisions'; });
    await author.waitForSelector(`#packagerevisions tr[data-name="default/${name}"]`);
    check(await author.locator('button.action').count() === 0, 'an author sees an Approve button');
    await author.close();
    const page = await signedIn(browser, approverToken);
    await page.evaluate(() => { location.hash = '#/revisions'; });
    const row = `#packagerevisions tr[data-name="default/${name}"]`;
    await page.waitForSelector(row + ' button.approve');
    check((await page.textContent(row + ' .c-lifecycle')) === 'proposed', 'not shown as proposed');
    await page.click(row + ' button.approve');
    await waitFor(page, (sel) => document.querySelector(sel + ' .c-lifecycle').textContent === 'published', row, 10000);
    check(await page.locator(row + ' button.approve').count() === 0, 'Approve still offered once published');
    check(page.errors.length === 0, 'page errors: ' + page.errors.join('; '));
    await page.close();
  },

  // Markup in a message is shown as text: nothing runs, no element made.
  async xss(browser, name, needle) {
    const page = await signedIn(browser, ADMIN);
    await waitFor(page, ([n, s]) => {
      const tr = document.querySelector(`tr.pkg-row[data-name="${n}"]`);
      return tr && tr.querySelector('.c-message').textContent.includes(s);
    }, [name, needle], 5000);
    await page.evaluate((n) => { location.hash = '#/package/' + n; }, name);
    await page.waitForSelector('.detail-message');
    check((await page.textContent('.detail-message')).includes(needle), 'the detail does not show the text');
    const ran = await page.evaluate(() => window.__xss);
    check(ran === undefined, 'a script from a message ran: ' + ran);
    const made = await page.$$eval('#view script, #view img', (es) => es.length);
    check(made === 0, made + ' element(s) made from a message');
    await page.close();
  },

  // A `cozypkg dashboard` link signs in; after its expiry the page asks
  // for a token again.
  async link(browser, url, expectUser, waitExpiryMs) {
    const page = await open(browser);
    await page.goto(url);
    await page.waitForSelector('tr.pkg-row, #login:not([hidden])', { timeout: 15000 });
    check(await page.isHidden('#login'), 'the link was refused: ' + (await page.textContent('#login-error')) + ' ' + page.errors.join('; '));
    check(!page.url().includes('token='), 'the token stayed in the address bar');
    check((await page.textContent('#whoami')).startsWith(expectUser), 'signed in as ' + (await page.textContent('#whoami')));
    if (Number(waitExpiryMs)) {
      await page.waitForTimeout(Number(waitExpiryMs));
      await page.reload();
      await page.waitForSelector('#login:not([hidden])', 10000);
      const msg = await page.textContent('#login-error');
      check(/401/.test(msg), 'after expiry: ' + msg);
    }
    await page.close();
  },

  // One screenshot per view into DIR.
  async screenshots(browser, dir, pkg) {
    const page = await signedIn(browser, ADMIN);
    const shots = [['packages', '#/packages', 'tr.pkg-row'], ['package', '#/package/' + pkg, '.detail-variant'],
      ['graph', '#/graph', '#graph g.node'], ['sources', '#/sources', '#package-sources tr'],
      ['revisions', '#/revisions', '#packagerevisions'], ['marketplace', '#/marketplace', '#taps']];
    for (const [file, hash, sel] of shots) {
      await page.evaluate((h) => { location.hash = h; }, hash);
      await page.waitForSelector(sel);
      if (file === 'marketplace') {
        await page.click('#market-go');
        await page.waitForSelector('#market-results tbody tr[data-name]');
      }
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(dir, 'dashboard-' + file + '.png') });
    }
    await page.close();
    const login = await open(browser, { width: 1000, height: 560 });
    await login.goto(BASE + '/ui/');
    await login.waitForSelector('#login:not([hidden])');
    await login.screenshot({ path: join(dir, 'dashboard-login.png') });
    await login.close();
  },

  // Time from navigation start to the first render of the Packages view
  // and of the graph, best of RUNS fresh pages each.
  async bench(browser, runs) {
    for (const view of ['packages', 'graph']) {
      const times = [];
      for (let i = 0; i < Number(runs || 3); i++) {
        const page = await signedIn(browser, ADMIN, view === 'graph' ? 'graph' : '');
        await waitFor(page, (v) => performance.getEntriesByName('render-' + v).length > 0, view);
        times.push(await page.evaluate((v) => performance.getEntriesByName('render-' + v)[0].startTime, view));
        await page.close();
      }
      times.sort((a, b) => a - b);
      console.log(`${view}: first render ${Math.round(times[0])} ms (best of ${times.length}; median ${Math.round(times[times.length >> 1])} ms)`);
    }
  },
};

const [name, ...args] = process.argv.slice(2);
if (!scenarios[name]) fail('unknown scenario ' + name + '; one of ' + Object.keys(scenarios).join(', '));
check(BASE, 'SERVER_URL is not set');
const browser = await launch();
try {
  await scenarios[name](browser, ...args);
} catch (e) {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  fail(name + ': ' + e.message);
}
await browser.close();
rmSync(profile, { recursive: true, force: true });
