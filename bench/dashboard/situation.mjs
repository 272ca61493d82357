#!/usr/bin/env node
// The node side of the situation view at scale: a home with N incidents and M sightings (by 27
// member states' identities, over a year), served plain on loopback; times
// GET /api/v1/situation (every row read, parsed, access-checked, aggregated) and the size of
// its answer. The browser side is measured by tests/dashboard/e2e.mjs.
//
//   node bench/dashboard/situation.mjs --entente build/src/cli/entente [--incidents 10000]
//        [--sightings 100000] [--work DIR]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const entente = args.entente ?? 'build/src/cli/entente';
const N = Number(args.incidents ?? 10000);
const M = Number(args.sightings ?? 100000);
const work = args.work ?? join(tmpdir(), 'entente-bench-situation');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const home = join(work, 'home');
const run = (...a) => execFileSync(entente, ['--home', home, ...a], { encoding: 'utf8', maxBuffer: 1 << 28 });
run('init', '--name', 'bench');
const STATES = ['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE'];
const SECTORS = ['energy', 'government-national', 'transportation', 'health-care', 'financial-services', 'telecommunications'];
const hex = (i, w = 12) => i.toString(16).padStart(w, '0');
const uuid = (kind, i) => `${hex(kind, 8)}-0000-4000-8000-${hex(i)}`;
const ts = (i) => new Date(Date.now() - (i % 360) * 86400_000).toISOString();
const objects = [];
STATES.forEach((s, k) => objects.push({ type: 'identity', spec_version: '2.1', id: `identity--${uuid(1, k)}`, created: ts(0), modified: ts(0), name: `CSIRT ${s}`, identity_class: 'organization', sectors: [SECTORS[k % 6]], x_entente_member_state: s }));
for (let i = 0; i < 500; i++) objects.push({ type: 'indicator', spec_version: '2.1', id: `indicator--${uuid(2, i)}`, created: ts(0), modified: ts(0), name: `d${i}.example`, pattern: `[domain-name:value = 'd${i}.example']`, pattern_type: 'stix', valid_from: ts(0) });
for (let i = 0; i < N; i++) objects.push({ type: 'incident', spec_version: '2.1', id: `incident--${uuid(3, i)}`, created: ts(i), modified: ts(i), name: `Incident ${i}`, created_by_ref: `identity--${uuid(1, i % 27)}`, x_entente_severity: ['low', 'medium', 'high'][i % 3] });
for (let i = 0; i < M; i++) objects.push({ type: 'sighting', spec_version: '2.1', id: `sighting--${uuid(4, i)}`, created: ts(i), modified: ts(i), last_seen: ts(i), count: 1 + (i % 9), sighting_of_ref: `indicator--${uuid(2, i % 500)}`, where_sighted_refs: [`identity--${uuid(1, (i * 7) % 27)}`] });
writeFileSync(join(work, 'bundle.json'), JSON.stringify({ type: 'bundle', id: `bundle--${uuid(9, 0)}`, objects }));
let t = Date.now();
run('ingest', join(work, 'bundle.json'));
const ingestS = (Date.now() - t) / 1000;
const token = (() => {
  run('user', 'add', 'bench', '--role', 'reader', '--org', `identity--${uuid(1, 9)}`, '--state', 'FR');
  return JSON.parse(run('--json', 'token', 'issue', 'bench', '--role', 'reader', '--scope', '*', '--ttl', '1d')).token;
})();
const node = spawn(entente, ['--home', home, 'serve', '--plain', '--listen', '127.0.0.1:0', '--no-dashboard'], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve) => node.stdout.on('data', (d) => { const m = String(d).match(/"listening":"([^"]+)"/); if (m) resolve(m[1]); }));
const times = [];
let bytes = 0;
let rows = 0;
for (let k = 0; k < 3; k++) {
  t = performance.now();
  const res = await fetch(`${base}/api/v1/situation?since=2000-01-01T00:00:00Z`, { headers: { Authorization: `Bearer ${token}` } });
  const text = await res.text();
  times.push(performance.now() - t);
  bytes = text.length;
  const j = JSON.parse(text);
  rows = j.incidents.length + j.sightings.length;
}
node.kill('SIGTERM');
console.log(JSON.stringify({ incidents: N, sightings: M, ingest_s: ingestS, situation_ms: times.map((x) => Math.round(x)), rows, answer_mb: +(bytes / 1e6).toFixed(1) }));
