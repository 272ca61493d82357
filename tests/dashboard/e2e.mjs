#!/usr/bin/env node
// End-to-end test of the dashboard in Debian's Chromium (headless, through playwright-core;
// no browser is downloaded). Starts a node on a loopback port with a demo home built the way
// scripts/demo builds it (the scenario of `entente demo`), then, as the demo users: signs in, sees the map, gets a live update,
// opens an incident and its attribution, reads the knowledge base and the ledger (proofs
// verified in the browser), casts a vote as an authority and sees the board change, tries
// the same as a reader and is refused. Saves a screenshot of each view. Finally renders the
// situation view with 10 000 incidents and 100 000 sightings and reports the time.
//
//   node tests/dashboard/e2e.mjs --entente BIN --chromium /usr/bin/chromium --work DIR
//        [--screenshots DIR]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dashboard = join(repo, 'dashboard');
const entente = args.entente ?? join(repo, 'build/src/cli/entente');
const chromiumPath = args.chromium ?? '/usr/bin/chromium';
const work = args.work ?? mkdtempSync(join(tmpdir(), 'entente-e2e-'));
const shots = args.screenshots ?? join(work, 'screenshots');
const started = Date.now();
const log = (...m) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...m);
let failures = 0;
function check(cond, what) {
  if (cond) log('ok  ', what);
  else {
    failures++;
    log('FAIL', what);
  }
}

// ---- the dashboard build ------------------------------------------------------------------------
if (!existsSync(join(dashboard, 'node_modules/playwright-core'))) {
  console.error(`dashboard/node_modules is missing: run (cd dashboard && npm ci)`);
  process.exit(1);
}
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
const dist = join(dashboard, 'dist/index.html');
if (!existsSync(dist) || statSync(dist).mtimeMs < Math.max(newest(join(dashboard, 'src')), statSync(join(dashboard, 'index.html')).mtimeMs)) {
  log('building the dashboard');
  execFileSync('npm', ['run', 'build'], { cwd: dashboard, stdio: 'inherit' });
}
const require = createRequire(join(dashboard, 'package.json'));
const { chromium } = require('playwright-core');

// ---- a demo home (the same steps as scripts/demo) ----------------------------------------------
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
mkdirSync(shots, { recursive: true });
const home = join(work, 'home');
// The node speaks for France and signs proposals and votes with its key (as in scripts/demo).
const passphrase = join(work, 'passphrase');
writeFileSync(passphrase, 'e2e-demo-passphrase-' + process.pid, { mode: 0o600 });
const env = { ...process.env, ENTENTE_PASSPHRASE_FILE: passphrase };
const run = (...a) => execFileSync(entente, ['--home', home, ...a], { encoding: 'utf8', maxBuffer: 256 << 20, env });
run('init', '--name', 'CERT-FR demo node', '--state', 'FR');
mkdirSync(join(home, 'keys'), { recursive: true });
run('keygen', '--out', join(home, 'keys/node'), '--kind', 'node', '--label', 'CERT-FR demo node', '--passphrase-file', passphrase);
run('ingest', join(repo, 'data/attack/attack-enterprise-kb.json'));
run('ingest', ...['57c4445b-c548-4654-af0b-4be3950d210f.json', 'existing_event.json'].map((f) => join(repo, 'data/misp/pymisp', f)));
run('indicators', 'import', '--tlp', 'TLP:GREEN', '--confidence', '80', join(repo, 'data/detect/simda_domains.txt'));
run('scan', join(repo, 'data/detect/zeek_dns_simda.log'));
const generated = JSON.parse(run('--json', 'demo', '--out', join(work, 'demo-scenario.json')).trim().split('\n').pop());
run('ingest', '--strict', join(work, 'demo-scenario.json'));
log('demo home ready:', JSON.stringify(generated));
const org = JSON.parse(readFileSync(join(home, 'node.json'), 'utf8'));
const orgId = JSON.stringify(org).match(/identity--[0-9a-f-]{36}/)[0];
const tokens = {};
for (const [name, role, state] of [['analyst-fr', 'analyst', 'FR'], ['reader-de', 'reader', 'DE'], ['authority-fr', 'authority', 'FR']]) {
  run('user', 'add', name, '--role', role, '--org', orgId, '--state', state);
  tokens[name] = JSON.parse(run('--json', 'token', 'issue', name, '--role', role, '--scope', '*', '--ttl', '1d')).token;
}

// ---- the node ---------------------------------------------------------------------------------
const node = spawn(entente, ['--home', home, 'serve', '--listen', '127.0.0.1:0', '--dashboard', join(dashboard, 'dist')], { stdio: ['ignore', 'pipe', 'pipe'], env });
let nodeErr = '';
process.on('exit', () => node.kill('SIGKILL'));
node.stderr.on('data', (d) => (nodeErr += d));
const base = await new Promise((resolve, reject) => {
  let out = '';
  const t = setTimeout(() => reject(new Error('node did not start: ' + nodeErr)), 30000);
  node.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/"listening":"(https?:\/\/[^"]+)"/);
    if (m) {
      clearTimeout(t);
      resolve(m[1]);
    }
  });
  node.on('exit', (c) => reject(new Error(`node exited ${c}: ${nodeErr}`)));
});
log('node at', base);
// The node's self-signed certificate, loopback only (the warning Node prints is expected).
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const api = async (method, path, token, body) => {
  const res = await fetch(base + '/api/v1' + path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: await res.json().catch(() => null) };
};

// The scenario's proposal; the node must list it.
const proposals = await api('GET', '/proposals', tokens['analyst-fr']);
check(proposals.status === 200 && proposals.body.proposals.length > 0, `the node lists the demo proposal (${proposals.status})`);
const proposalId = generated.proposal || proposals.body?.proposals?.[0]?.proposal?.id;

// ---- the browser ------------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  // playwright-core gives each launch a fresh, temporary user-data-dir of its own.
});
const problems = [];
async function newPage(width = 1280, height = 800) {
  const context = await browser.newContext({ viewport: { width, height }, ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  // Nothing may be fetched from anywhere but the node.
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) problems.push(`external request: ${r.url()}`);
  });
  return page;
}
async function signIn(page, who) {
  await page.goto(base + '/#/login');
  await page.getByLabel('API token').fill(tokens[who]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('user').filter({ hasText: who }).waitFor();
}
const shot = async (page, name) => {
  await page.evaluate(() => {
    document.activeElement?.blur?.();
    window.scrollTo(0, 0);
  });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
};

try {
  // Login and the situation.
  let page = await newPage();
  await page.goto(base + '/');
  await page.getByLabel('API token').waitFor();
  const csp = (await page.request.get(base + '/')).headers()['content-security-policy'] ?? '';
  check(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), 'the page carries the strict CSP');
  await shot(page, '01-login');
  await page.getByLabel('API token').fill('not-a-valid-token-at-all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  check((await page.getByRole('alert').textContent()).includes('does not accept'), 'a bad token is refused');
  await signIn(page, 'analyst-fr');
  await page.locator('[data-testid=map] path.state').first().waitFor();
  const states = await page.locator('[data-testid=map] path.state').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-state')));
  check(new Set(states).size === 27, `the map shows the 27 member states (${new Set(states).size}: ${states.length} shapes)`);
  const incidents = Number((await page.getByTestId('kpi-incidents').textContent()).replace(/\D/g, ''));
  check(incidents >= 30, `the situation counts the demo incidents (${incidents})`);
  check((await page.locator('[data-testid=map] path.state[data-state=FR]').getAttribute('fill')) !== '#f3f4f6', 'France is shaded');
  await page.getByTestId('live').filter({ hasText: 'Live' }).waitFor();
  // A live update: an analyst elsewhere stores a sighting; the view counts it without reload.
  const before = Number((await page.getByTestId('kpi-sightings').textContent()).replace(/\D/g, ''));
  const ind = (await api('GET', '/objects?type=indicator&limit=1', tokens['analyst-fr'])).body.objects[0].id;
  const fr = (await api('GET', '/objects?type=identity&limit=100', tokens['analyst-fr'])).body.objects.find((o) => o.x_entente_member_state && o.x_entente_member_state !== 'FR').id;
  const now = new Date().toISOString();
  const posted = await api('POST', '/objects', tokens['analyst-fr'], { type: 'sighting', spec_version: '2.1', id: `sighting--${crypto.randomUUID()}`, created: now, modified: now, last_seen: now, count: 250, sighting_of_ref: ind, where_sighted_refs: [fr] });
  check(posted.status === 200, 'a sighting is stored through the API');
  await page.waitForFunction((b) => Number(document.querySelector('[data-testid=kpi-sightings]').textContent.replace(/\D/g, '')) >= b + 250, before, { timeout: 10000 });
  check(true, 'the live update reaches the situation view');
  // Filters are keyboard-reachable and labelled.
  await page.getByLabel('Sector', { exact: true }).selectOption('energy');
  const energy = Number((await page.getByTestId('kpi-incidents').textContent()).replace(/\D/g, ''));
  check(energy > 0 && energy < incidents, `the sector filter narrows the incidents (${energy} of ${incidents})`);
  await page.getByLabel('Sector', { exact: true }).selectOption('');
  await page.locator('[data-testid=map] path.state[data-state=FR]').focus();
  check(await page.evaluate(() => document.activeElement?.getAttribute('data-state') === 'FR'), 'map states take keyboard focus');
  await shot(page, '02-situation');

  // The incident, its graph and attribution.
  await page.goto(`${base}/#/incident/${generated.lead_incident}`);
  await page.getByTestId('attribution').locator('.candidate').first().waitFor();
  const first = await page.getByTestId('attribution').locator('.candidate summary').first().textContent();
  check(/\(G\d{4}\)/.test(first) && /confidence/.test(first), `the attribution ranks a group first: ${first.slice(0, 60)}`);
  const opinions = await page.locator('ul.opinions li').count();
  check(opinions >= 3, `member states' opinions are shown (${opinions})`);
  check((await page.getByTestId('attribution').textContent()).includes('Against'), 'the explanation lists evidence against');
  await page.locator('[data-testid=graph] canvas').first().waitFor();
  check(true, 'the correlation graph is drawn');
  await shot(page, '03-incident');

  // Knowledge and ledger.
  await page.goto(`${base}/#/knowledge`);
  await page.getByLabel('Search').fill('G0034');
  await page.locator('.kb-detail h2').filter({ hasText: 'Sandworm' }).waitFor();
  check(true, 'the knowledge base finds Sandworm Team by its ATT&CK id');
  await page.getByTestId('kb-links').locator('h3').filter({ hasText: 'Software' }).waitFor();
  check((await page.getByTestId('kb-links').textContent()).includes('Industroyer'), 'it lists the software the group uses (Industroyer among them)');
  await shot(page, '04-knowledge');
  await page.goto(`${base}/#/ledger`);
  await page.getByTestId('ledger-summary').filter({ hasText: 'verified' }).waitFor({ timeout: 30000 });
  const ledgerText = await page.getByTestId('ledger-summary').textContent();
  check(/^(\d+) of \1 entries verified/.test(ledgerText), `ledger proofs verify in the browser: ${ledgerText.slice(0, 40)}`);
  await shot(page, '05-ledger');
  // A node that served an altered entry would be caught: tamper with one leaf on the way in.
  await page.route('**/api/v1/ledger/entries*', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.entries[0].leaf = body.entries[0].leaf.replace('"kind":"', '"kind":"x');
    await route.fulfill({ response: res, json: body });
  });
  await page.goto(`${base}/#/knowledge`);
  await page.goto(`${base}/#/ledger`);
  await page.getByTestId('ledger-summary').filter({ hasText: 'NOT verify' }).waitFor({ timeout: 30000 });
  check(true, 'a tampered entry fails its proof in the browser');
  await page.unroute('**/api/v1/ledger/entries*');

  // Response: an authority votes and sees the board change.
  if (proposalId) {
    // A reader watches the board in another tab while the authority votes.
    const watcher = await newPage();
    await signIn(watcher, 'reader-de');
    await watcher.goto(`${base}/#/response/${proposalId}`);
    await watcher.locator('[data-testid=board] li[data-state=FR]').waitFor();
    await signIn(page, 'authority-fr');
    await page.goto(`${base}/#/response/${proposalId}`);
    const tile = page.locator('[data-testid=board] li[data-state=FR]');
    await tile.waitFor();
    const was = await tile.getAttribute('data-choice');
    await page.getByLabel('Choice').selectOption(was === 'yes' ? 'no' : 'yes');
    await page.getByRole('button', { name: 'Sign and cast vote' }).click();
    await page.getByTestId('vote-status').filter({ hasText: 'recorded' }).waitFor();
    const now = was === 'yes' ? 'no' : 'yes';
    const changed = await page
      .waitForFunction((c) => document.querySelector('[data-testid=board] li[data-state=FR]')?.getAttribute('data-choice') === c, now, { timeout: 10000 })
      .then(() => true, () => false);
    check(changed, `the board shows France's new vote (${was} -> ${now})`);
    // Before its deadline, with states still to vote, the proposal is not shown as decided.
    const outcome = (await page.getByTestId('outcome').textContent()) ?? '';
    check(outcome.includes('so far'), `an open proposal is not shown as decided ("${outcome.slice(0, 40)}")`);
    const seen = await watcher
      .waitForFunction((c) => document.querySelector('[data-testid=board] li[data-state=FR]')?.getAttribute('data-choice') === c, now, { timeout: 10000 })
      .then(() => true, () => false);
    check(seen, "another user's open board shows the vote live (events stream)");
    await watcher.context().close();
    await shot(page, '06-response');

    // A reader is refused by the node.
    await signIn(page, 'reader-de');
    await page.goto(`${base}/#/response/${proposalId}`);
    await page.locator('[data-testid=board] li[data-state=DE]').waitFor();
    const de = await page.locator('[data-testid=board] li[data-state=DE]').getAttribute('data-choice');
    await page.getByLabel('Choice').selectOption('no');
    await page.getByRole('button', { name: 'Sign and cast vote' }).click();
    await page.getByTestId('vote-status').filter({ hasText: 'Refused' }).waitFor();
    check(true, 'a reader trying to vote is refused by the node');
    check((await page.locator('[data-testid=board] li[data-state=DE]').getAttribute('data-choice')) === de, 'the board is unchanged after the refusal');
    await shot(page, '07-refused');
  } else {
    failures++;
    log('FAIL', 'no proposal to vote on');
  }
  // A reader cannot write intelligence either (the API refuses; the dashboard has no path around it).
  const refused = await api('POST', '/objects', tokens['reader-de'], { type: 'bundle', id: `bundle--${crypto.randomUUID()}`, objects: [] });
  check(refused.status === 403, 'a reader cannot write through the API (403)');

  // Tablet width.
  const tablet = await newPage(820, 1180);
  await signIn(tablet, 'analyst-fr');
  await tablet.locator('[data-testid=map] path.state').first().waitFor();
  const overflow = await tablet.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!overflow, 'no horizontal scrolling at tablet width');
  await shot(tablet, '08-situation-tablet');

  // 10 000 incidents and 100 000 sightings: the situation view's own work, measured in the page.
  const STATES = ['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE'];
  const SECTORS = ['energy', 'government-national', 'transportation', 'health-care', 'finance', 'telecommunications'];
  const day = (i) => new Date(Date.now() - (i % 365) * 86400_000).toISOString().slice(0, 10);
  const big = {
    since: '2000-01-01T00:00:00.000Z', generated: new Date().toISOString(), truncated: false,
    incidents: Array.from({ length: 10000 }, (_, i) => ({ id: `incident--${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`, name: `Synthetic incident ${i}`, day: day(i * 7), state: STATES[i % 27], sector: SECTORS[i % 6], severity: ['low', 'medium', 'high'][i % 3], tlp: i % 5 ? 'TLP:GREEN' : 'TLP:AMBER' })),
    sightings: Array.from({ length: 100000 }, (_, i) => ({ id: `sighting--${i}`, day: day(i), state: STATES[(i * 7) % 27], sector: SECTORS[i % 6], tlp: 'TLP:GREEN', indicator: `indicator--${i % 500}`, count: 1 + (i % 9) })),
    top_indicators: [], top_actors: [], by_state: {}, by_day: {}, by_sector: {},
  };
  const bigBody = JSON.stringify(big);
  await tablet.setViewportSize({ width: 1280, height: 800 });
  await tablet.route('**/api/v1/situation*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: bigBody }));
  await tablet.evaluate(() => {
    window.__longest = 0;
    new PerformanceObserver((l) => l.getEntries().forEach((e) => (window.__longest = Math.max(window.__longest, e.duration)))).observe({ type: 'longtask', buffered: false });
  });
  const t0 = Date.now();
  await tablet.goto(`${base}/#/knowledge`);
  await tablet.goto(`${base}/#/situation?days=3650`);
  await tablet.waitForFunction(() => Number(document.querySelector('main')?.dataset.rows) > 100000, null, { timeout: 60000 });
  const wall = Date.now() - t0;
  const m = await tablet.evaluate(() => ({ render: Number(document.querySelector('main').dataset.renderMs), fetch: Number(document.querySelector('main').dataset.fetchMs) }));
  // A filter change re-counts everything.
  const f0 = Date.now();
  await tablet.getByLabel('Sector', { exact: true }).selectOption('energy');
  const filterRender = await tablet.evaluate(() => Number(document.querySelector('main').dataset.renderMs));
  const filterWall = Date.now() - f0;
  const longest = await tablet.evaluate(() => window.__longest ?? 0);
  const perf = { incidents: 10000, sightings: 100000, payload_mb: +(bigBody.length / 1e6).toFixed(1), fetch_parse_ms: m.fetch, render_ms: m.render, filter_render_ms: filterRender, filter_wall_ms: filterWall, wall_ms: wall, longest_task_ms: Math.round(longest) };
  log('situation at scale:', JSON.stringify(perf));
  writeFileSync(join(work, 'perf.json'), JSON.stringify(perf, null, 2));
  check(m.render < 1000 && filterRender < 1000, `the situation view renders 10k incidents and 100k sightings in under a second (${m.render} ms, filter ${filterRender} ms)`);
  await tablet.screenshot({ path: join(work, 'situation-10k.png') }); // synthetic rows: not for docs/
} catch (e) {
  failures++;
  log('FAIL', e.stack ?? e);
} finally {
  await browser.close();
  node.kill('SIGTERM');
  await new Promise((r) => node.once('exit', r));
}
for (const p of problems) log('FAIL', p);
failures += problems.length;
log(failures === 0 ? 'all browser checks passed' : `${failures} failure(s)`);
process.exit(failures === 0 ? 0 : 1);
