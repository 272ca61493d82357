#!/usr/bin/env node
// Generates the dashboard's part of the demo scenario from the project's own data, not typed
// by hand: member states' CERTs reporting a campaign against energy and government targets
// over the last four weeks, whose evidence is the ATT&CK techniques and software that ATT&CK
// attributes to one group (Sandworm Team), whose indicators are the shared feed's domains the
// scanner found in the members' Zeek DNS log, with sightings per member state and day, an
// attribution assessment by the node's own engine (`entente attribute --json`) recorded as a
// note, and member states' opinions on it. Writes one STIX 2.1 bundle for `entente ingest`.
//
//   node dashboard/scripts/demo-data.mjs --entente BIN --home HOME --out FILE [--seed N]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entente = args.entente ?? join(repo, 'build/src/cli/entente');
const home = args.home ?? join(repo, 'entente-home');
const out = args.out ?? join(home, 'demo-dashboard.json');
let seed = Number(args.seed ?? 20261123) >>> 0;

// Deterministic choices (mulberry32), so a given seed gives the same scenario shape.
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const sample = (xs, n) => [...xs].sort(() => rand() - 0.5).slice(0, n);
// Stable ids (UUIDv5-shaped from SHA-1 of a name) so re-running updates rather than duplicates.
function uuid5(name) {
  const h = createHash('sha1').update('entente-demo-dashboard/' + name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
const id = (type, name) => `${type}--${uuid5(type + '/' + name)}`;
const now = Date.now();
const iso = (ms) => new Date(ms).toISOString().replace(/(\.\d{3})\d*Z$/, '$1Z');
const created = iso(now);
const TLP = {
  GREEN: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  AMBER: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  CLEAR: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
};

// The national CSIRTs/authorities of ten member states (public names).
const STATES = [
  ['FR', 'ANSSI / CERT-FR'], ['DE', 'BSI / CERT-Bund'], ['PL', 'CERT Polska'], ['EE', 'RIA / CERT-EE'],
  ['LT', 'NKSC'], ['IT', 'ACN / CSIRT Italia'], ['ES', 'CCN-CERT'], ['NL', 'NCSC-NL'], ['FI', 'NCSC-FI'], ['RO', 'DNSC'],
];
const objects = [];
const stateIdentity = {};
for (const [code, name] of STATES) {
  const o = { type: 'identity', spec_version: '2.1', id: id('identity', code), created, modified: created, name, identity_class: 'organization', sectors: ['government-national'], x_entente_member_state: code, object_marking_refs: [TLP.GREEN] };
  stateIdentity[code] = o.id;
  objects.push(o);
}

// ATT&CK: what the knowledge base says Sandworm Team uses.
const kb = JSON.parse(readFileSync(join(repo, 'data/attack/attack-enterprise-kb.json'), 'utf8')).objects;
const byId = new Map(kb.map((o) => [o.id, o]));
const group = kb.find((o) => o.type === 'intrusion-set' && o.name === 'Sandworm Team');
const uses = kb.filter((o) => o.type === 'relationship' && o.relationship_type === 'uses' && o.source_ref === group.id && !o.revoked);
const techniques = uses.map((r) => byId.get(r.target_ref)).filter((o) => o?.type === 'attack-pattern' && !o.revoked && !o.x_mitre_deprecated);
const software = uses.map((r) => byId.get(r.target_ref)).filter((o) => o && (o.type === 'malware' || o.type === 'tool') && !o.revoked);
const attackId = (o) => o.external_references?.find((r) => r.source_name === 'mitre-attack')?.external_id;

// Indicators: the stored feed's domains that the members' Zeek DNS log contains.
const log = readFileSync(join(repo, 'data/detect/zeek_dns_simda.log'), 'utf8');
const stored = execFileSync(entente, ['--home', home, 'query', '--type', 'indicator', '--limit', '10000'], { encoding: 'utf8', maxBuffer: 64 << 20 })
  .split('\n').filter(Boolean).map((l) => JSON.parse(l));
const seen = stored.filter((o) => {
  const m = /domain-name:value = '([^']+)'/.exec(o.pattern ?? '');
  return m && log.includes(m[1]);
});
if (seen.length === 0) throw new Error('no stored indicator is in the Zeek log: run the demo scan first');

// The campaign: incidents over the last 28 days, mostly energy and government.
const SECTORS = ['energy', 'energy', 'energy', 'government-national', 'government-national', 'transportation', 'telecommunications'];
const KINDS = {
  energy: ['Wiper on substation control network', 'ICS reconnaissance at grid operator', 'Spear-phishing of plant engineers', 'Destructive malware at gas distributor'],
  'government-national': ['Credential theft at ministry', 'Data exfiltration from parliament mail', 'Web shell on citizen portal', 'Phishing wave against diplomats'],
  transportation: ['Ransomware-styled wiper at rail operator', 'Intrusion at port logistics'],
  telecommunications: ['Backdoor in core routers', 'DNS hijack at regional operator'],
};
const SEVERITY = ['low', 'medium', 'medium', 'high', 'high', 'critical'];
const incidents = [];
for (let i = 0; i < 42; i++) {
  const [code] = pick(STATES);
  const sector = pick(SECTORS);
  const day = now - Math.floor(rand() * 28) * 86400_000 - Math.floor(rand() * 86400_000);
  const amber = rand() < 0.15;
  const o = {
    type: 'incident', spec_version: '2.1', id: id('incident', String(i)), created: iso(day), modified: iso(day),
    name: `${pick(KINDS[sector])} (${code})`,
    description: `Reported by ${STATES.find((s) => s[0] === code)[1]}. Activity consistent with the campaign tracked by the members since ${iso(now - 28 * 86400_000).slice(0, 10)}.`,
    created_by_ref: stateIdentity[code], x_entente_member_state: code, x_entente_sector: sector, x_entente_severity: pick(SEVERITY),
    object_marking_refs: [amber ? TLP.AMBER : TLP.GREEN],
    ...(amber ? { x_entente_recipients: [stateIdentity[code], stateIdentity.FR] } : {}),
  };
  incidents.push(o);
  objects.push(o);
  // Evidence: 3-5 of the group's techniques and one or two of its software, which the
  // incidents therefore share (the correlation graph shows it).
  const ev = [...sample(techniques.slice(0, 18), 3 + Math.floor(rand() * 3)), ...sample(software.slice(0, 6), 1 + Math.floor(rand() * 2))];
  for (const e of ev) {
    objects.push({ type: 'relationship', spec_version: '2.1', id: id('relationship', `${o.id}/${e.id}`), created: o.created, modified: o.modified, relationship_type: 'uses', source_ref: o.id, target_ref: e.id, created_by_ref: o.created_by_ref, object_marking_refs: o.object_marking_refs, ...(amber ? { x_entente_recipients: o.x_entente_recipients } : {}) });
  }
  for (const ind of sample(seen, 2)) {
    objects.push({ type: 'relationship', spec_version: '2.1', id: id('relationship', `${ind.id}/${o.id}`), created: o.created, modified: o.modified, relationship_type: 'related-to', source_ref: ind.id, target_ref: o.id, created_by_ref: o.created_by_ref, object_marking_refs: o.object_marking_refs, ...(amber ? { x_entente_recipients: o.x_entente_recipients } : {}) });
  }
}

// Sightings of the indicators by the members' scanners, per state and day.
let n = 0;
for (const [code] of STATES) {
  for (let d = 0; d < 28; d++) {
    if (rand() < 0.45) continue;
    const ind = pick(seen);
    const t = now - d * 86400_000 - Math.floor(rand() * 80_000_000);
    objects.push({
      type: 'sighting', spec_version: '2.1', id: id('sighting', `${code}/${d}/${n++}`), created: iso(t), modified: iso(t),
      first_seen: iso(t - 3600_000), last_seen: iso(t), count: 1 + Math.floor(rand() * 40), sighting_of_ref: ind.id,
      where_sighted_refs: [stateIdentity[code]], created_by_ref: stateIdentity[code], object_marking_refs: [TLP.GREEN],
    });
  }
}

// Attribution of the most severe energy incident by the node's engine, on its evidence.
const flagship = incidents.find((o) => o.x_entente_sector === 'energy' && o.x_entente_severity === 'critical' && !o.x_entente_recipients) ?? incidents[0];
flagship.name = 'Wiper attack on national grid operator (' + flagship.x_entente_member_state + ')';
const evidence = objects.filter((o) => o.type === 'relationship' && o.source_ref === flagship.id && o.relationship_type === 'uses').map((r) => byId.get(r.target_ref));
const attributeArgs = ['--home', home, '--json', 'attribute', '--sector', 'energy', '--country', flagship.x_entente_member_state, '--top', '5'];
for (const e of evidence) {
  if (e.type === 'attack-pattern') attributeArgs.push('--technique', attackId(e));
  else attributeArgs.push('--software', e.name);
}
const assessment = JSON.parse(execFileSync(entente, attributeArgs, { encoding: 'utf8', maxBuffer: 64 << 20 }));
assessment.incident = flagship.id;
delete assessment.unresolved;
const top = assessment.candidates[0];
const note = {
  type: 'note', spec_version: '2.1', id: id('note', 'attribution/' + flagship.id), created, modified: created,
  abstract: 'Attribution engine assessment',
  content: `Technical hypothesis of the attribution engine: ${top.name} (${top.external_id}), ${top.confidence} confidence. Not a political attribution.`,
  object_refs: [flagship.id, ...assessment.candidates.map((c) => c.id)],
  created_by_ref: stateIdentity.FR, object_marking_refs: [TLP.GREEN], x_entente_assessment: assessment,
};
objects.push(note, {
  type: 'relationship', spec_version: '2.1', id: id('relationship', 'attributed/' + flagship.id), created, modified: created,
  relationship_type: 'attributed-to', source_ref: flagship.id, target_ref: top.id, confidence: top.confidence === 'high' ? 85 : top.confidence === 'moderate' ? 50 : 15,
  description: 'Hypothesis of the attribution engine.', created_by_ref: stateIdentity.FR, object_marking_refs: [TLP.GREEN],
});
const OPINIONS = [['FR', 'agree', 'Consistent with our forensic findings on the wiper.'], ['PL', 'strongly-agree', 'Same tooling as in the incidents we handled.'], ['DE', 'neutral', 'Awaiting our own analysis of the samples.']];
for (const [code, opinion, explanation] of OPINIONS) {
  objects.push({ type: 'opinion', spec_version: '2.1', id: id('opinion', code + '/' + note.id), created, modified: created, opinion, explanation, object_refs: [note.id], created_by_ref: stateIdentity[code], object_marking_refs: [TLP.GREEN] });
}

writeFileSync(out, JSON.stringify({ type: 'bundle', id: id('bundle', created), objects }));
console.log(JSON.stringify({ out, objects: objects.length, incidents: incidents.length, sightings: n, flagship: flagship.id, attributed_to: top.name }));
