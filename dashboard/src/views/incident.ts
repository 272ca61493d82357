import cytoscape from 'cytoscape';
import { get, type ObjectsPage, type StixObject } from '../api';
import { add, clear, fmtInt, h, loading, notice, shortDate } from '../dom';
import { STATE_NAMES } from '../europe';
import type { ViewContext } from '../main';

// One incident: what it is, its evidence (the objects its relationships name), the sightings
// of its indicators, the correlation graph (what it shares with other incidents and which
// member states saw it), the attribution engine's ranking with the evidence for and against
// each candidate, and member states' opinions on it. Everything through the REST API.

interface Item {
  kind: string;
  id?: string;
  name?: string;
  value?: string;
  weight?: number;
  reason?: string;
}
interface Candidate {
  id: string;
  name: string;
  external_id: string;
  posterior: number;
  confidence: string;
  evidence_for: Item[];
  evidence_against: Item[];
  evidence_consistent?: Item[];
  missing?: string[];
  false_flag?: string[];
  alternatives?: { id: string; name: string; external_id: string }[];
}
interface Assessment {
  groups_ranked: number;
  profile_set_version: string;
  candidates: Candidate[];
}

const TLP_NAMES: Record<string, string> = {
  'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487': 'TLP:CLEAR',
  'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb': 'TLP:GREEN',
  'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421': 'TLP:AMBER',
  'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003': 'TLP:AMBER+STRICT',
  'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1': 'TLP:RED',
};

async function objectsById(ids: string[], signal: AbortSignal): Promise<Map<string, StixObject>> {
  const out = new Map<string, StixObject>();
  const unique = [...new Set(ids)].filter((x) => /^[a-z0-9-]+--[0-9a-f-]{36}$/.test(x));
  for (let i = 0; i < unique.length; i += 50) {
    const chunk = unique.slice(i, i + 50);
    const page = await get<ObjectsPage>(`/objects?id=${chunk.map(encodeURIComponent).join(',')}&limit=100`, signal);
    for (const o of page.objects) out.set(o.id, o);
  }
  return out;
}

const label = (o: StixObject | undefined, id: string) =>
  (o?.name as string) || (o?.pattern as string) || (o?.value as string) || id.split('--')[0];

export async function renderIncident(ctx: ViewContext): Promise<void> {
  const { main, params, signal } = ctx;
  const id = params[0] ?? '';
  add(main, loading('the incident'));
  let incident: StixObject;
  try {
    incident = await get<StixObject>(`/objects/${encodeURIComponent(id)}`, signal);
  } catch (e) {
    clear(main);
    add(main, h('h1', {}, 'Incident'), notice('error', `${(e as Error).message}`));
    return;
  }
  const refs = (await get<ObjectsPage>(`/referrers?id=${encodeURIComponent(id)}`, signal)).objects;
  const relationships = refs.filter((o) => o.type === 'relationship');
  const notes = refs.filter((o) => o.type === 'note');
  const opinionsDirect = refs.filter((o) => o.type === 'opinion');
  const assessmentNote = notes.find((n) => n.x_entente_assessment);
  const assessment = assessmentNote?.x_entente_assessment as Assessment | undefined;
  const ids = (xs: string[]) => xs.slice(0, 150).map(encodeURIComponent).join(',');
  // Opinions are on the case's notes or on the attributed-to relationship.
  const opinionTargets = [...notes, ...relationships.filter((r) => r.relationship_type === 'attributed-to')].map((o) => o.id);
  const opinionsOnNotes = opinionTargets.length ? (await get<ObjectsPage>(`/referrers?id=${ids(opinionTargets)}&type=opinion`, signal)).objects : [];
  const finalNote = notes.find((n) => /final/i.test(String(n.abstract ?? '')));
  const opinions = [...new Map([...opinionsDirect, ...opinionsOnNotes].map((o) => [o.id, o])).values()];

  // Evidence: the other ends of its relationships.
  const evidenceIds = relationships.map((r) => (r.source_ref === id ? (r.target_ref as string) : (r.source_ref as string)));
  const creators = [incident.created_by_ref, ...opinions.map((o) => o.created_by_ref)].filter(Boolean) as string[];
  const named = await objectsById([...evidenceIds, ...creators], signal);
  const indicators = evidenceIds.filter((x) => x.startsWith('indicator--'));
  // Its sightings: those that name it (x_entente_incident_ref) and those of its indicators.
  const ofIndicators = indicators.length ? (await get<ObjectsPage>(`/referrers?id=${ids(indicators)}&type=sighting&limit=5000`, signal)).objects : [];
  const sightings = [...new Map([...refs.filter((o) => o.type === 'sighting'), ...ofIndicators].map((o) => [o.id, o])).values()];
  const where = await objectsById(sightings.flatMap((x) => (x.where_sighted_refs as string[]) ?? []), signal);
  // What it shares: other incidents whose relationships name the same evidence.
  const shared = new Map<string, Set<string>>(); // evidence id -> other incidents
  if (evidenceIds.length) {
    const p = await get<ObjectsPage>(`/referrers?id=${ids(evidenceIds)}&type=relationship&limit=10000`, signal);
    const evidence = new Set(evidenceIds);
    for (const r of p.objects) {
      const src = r.source_ref as string;
      const dst = r.target_ref as string;
      const [ev, other] = evidence.has(dst) ? [dst, src] : [src, dst];
      if (other !== id && other.startsWith('incident--') && evidence.has(ev)) {
        if (!shared.has(ev)) shared.set(ev, new Set());
        shared.get(ev)!.add(other);
      }
    }
  }
  const otherIncidents = await objectsById([...shared.values()].flatMap((x) => [...x]), signal);

  clear(main);
  const tlp = (incident.object_marking_refs ?? []).map((m) => TLP_NAMES[m]).find(Boolean) ?? 'unmarked (GREEN)';
  const state = (incident.x_entente_member_state as string) || (named.get(incident.created_by_ref ?? '')?.x_entente_member_state as string) || '';
  add(main, 
    h('div', { className: 'view-head' }, h('h1', { 'data-testid': 'incident-name' }, incident.name ?? id)),
    h(
      'dl',
      { className: 'facts' },
      fact('Reported by', `${label(named.get(incident.created_by_ref ?? ''), incident.created_by_ref ?? '—')}${state ? ` (${STATE_NAMES[state] ?? state})` : ''}`),
      fact('Created', shortDate(incident.created)),
      fact('Severity', String(incident.x_entente_severity ?? '—')),
      fact('Sector', String(incident.x_entente_sector ?? '—')),
      fact('TLP', tlp),
      fact('Identifier', id),
    ),
    incident.description ? h('p', { className: 'description' }, incident.description) : null,
  );

  const grid = h('div', { className: 'grid-2' });
  add(main, grid);
  // Evidence
  grid.append(
    h(
      'section',
      { className: 'card', 'aria-labelledby': 'ev-title' },
      h('h2', { id: 'ev-title' }, `Evidence (${relationships.length})`),
      relationships.length === 0
        ? h('p', { className: 'empty' }, 'No related objects you may read.')
        : h(
            'table',
            {},
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Relation'), h('th', { scope: 'col' }, 'Object'), h('th', { scope: 'col' }, 'Type'))),
            h(
              'tbody',
              {},
              relationships.map((r) => {
                const other = r.source_ref === id ? (r.target_ref as string) : (r.source_ref as string);
                return h('tr', {}, h('td', {}, String(r.relationship_type)), h('td', {}, label(named.get(other), other)), h('td', {}, other.split('--')[0]));
              }),
            ),
          ),
    ),
  );
  // Graph
  const graphBox = h('div', { className: 'graph', role: 'img', 'aria-label': 'Correlation graph: this incident, its evidence, other incidents sharing it, and the member states that sighted its indicators', 'data-testid': 'graph' });
  grid.append(h('section', { className: 'card', 'aria-labelledby': 'gr-title' }, h('h2', { id: 'gr-title' }, 'Correlation'), graphBox, h('p', { className: 'key' }, h('i', { className: 'k-inc' }), ' incident ', h('i', { className: 'k-ev' }), ' evidence ', h('i', { className: 'k-oth' }), ' other incident ', h('i', { className: 'k-st' }), ' member state')));

  // Sightings
  const byState = new Map<string, number>();
  for (const sg of sightings) {
    const w = ((sg.where_sighted_refs as string[]) ?? [])[0] ?? sg.created_by_ref ?? '';
    const st = (where.get(w)?.x_entente_member_state as string) || 'unknown';
    byState.set(st, (byState.get(st) ?? 0) + (Number(sg.count) || 1));
  }
  add(main, 
    h(
      'section',
      { className: 'card', 'aria-labelledby': 'si-title' },
      h('h2', { id: 'si-title' }, `Sightings of its indicators (${fmtInt(sightings.length)})`),
      sightings.length === 0
        ? h('p', { className: 'empty' }, 'No sightings you may read.')
        : h('ul', { className: 'chips' }, [...byState].sort((a, b) => b[1] - a[1]).map(([k, n]) => h('li', {}, `${STATE_NAMES[k] ?? k}: ${fmtInt(n)}`))),
    ),
  );

  // Attribution
  const att = h('section', { className: 'card', 'aria-labelledby': 'at-title', 'data-testid': 'attribution' }, h('h2', { id: 'at-title' }, 'Attribution'));
  add(main, att);
  if (!assessment || !assessment.candidates?.length) {
    add(att, h('p', { className: 'empty' }, 'No attribution assessment is recorded for this incident.'));
  } else {
    if (finalNote) att.append(h('p', { className: 'notice info', 'data-testid': 'final-assessment' }, String(finalNote.content ?? '')));
    add(att,
      h('p', { className: 'help' }, `The engine ranked ${fmtInt(assessment.groups_ranked)} groups (profiles ${assessment.profile_set_version}). A technical hypothesis, not a political attribution.`),
      h(
        'ol',
        { className: 'candidates' },
        assessment.candidates.map((c, i) =>
          h(
            'li',
            { className: 'candidate' },
            h(
              'details',
              { open: i === 0 },
              h(
                'summary',
                {},
                h('strong', {}, `${c.name} (${c.external_id})`),
                h('span', { className: `conf conf-${c.confidence}` }, `${c.confidence} confidence`),
                h('span', { className: 'pct' }, `${(c.posterior * 100).toFixed(1)} %`),
                bar(c.posterior),
              ),
              h(
                'div',
                { className: 'why' },
                evidenceList('For', c.evidence_for, 'for'),
                evidenceList('Against', c.evidence_against, 'against'),
                c.missing?.length ? h('div', {}, h('h4', {}, 'Expected but not observed'), h('p', {}, c.missing.join(', '))) : null,
                c.false_flag?.length ? h('div', {}, h('h4', {}, 'False-flag cautions'), h('ul', {}, c.false_flag.map((x) => h('li', {}, x)))) : null,
                c.alternatives?.length ? h('p', { className: 'help' }, `Hard to tell apart from: ${c.alternatives.map((a) => a.name).join(', ')}`) : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  // Opinions
  add(main, 
    h(
      'section',
      { className: 'card', 'aria-labelledby': 'op-title' },
      h('h2', { id: 'op-title' }, "Member states' opinions"),
      opinions.length === 0
        ? h('p', { className: 'empty' }, 'No opinions recorded yet.')
        : h(
            'ul',
            { className: 'opinions' },
            opinions.map((o) => {
              const by = named.get(o.created_by_ref ?? '');
              const st = (by?.x_entente_member_state as string) ?? '';
              return h('li', {}, h('strong', {}, `${label(by, o.created_by_ref ?? '?')}${st ? ` (${st})` : ''}: `), h('span', { className: 'badge' }, String(o.opinion)), ' ', String(o.explanation ?? ''));
            }),
          ),
    ),
  );

  // Draw the graph last, when its box has a size.
  const elements: cytoscape.ElementDefinition[] = [{ data: { id, label: incident.name ?? 'incident', kind: 'incident' } }];
  const seen = new Set([id]);
  const node = (nid: string, text: string, kind: string) => {
    if (seen.has(nid)) return;
    seen.add(nid);
    elements.push({ data: { id: nid, label: text.length > 28 ? text.slice(0, 27) + '…' : text, kind } });
  };
  for (const ev of evidenceIds.slice(0, 30)) {
    node(ev, label(named.get(ev), ev), 'evidence');
    elements.push({ data: { id: `e-${id}-${ev}`, source: id, target: ev } });
  }
  for (const [ev, incs] of shared) {
    for (const other of incs) {
      node(other, label(otherIncidents.get(other), other), 'incident-other');
      elements.push({ data: { id: `e-${other}-${ev}`, source: other, target: ev } });
    }
  }
  for (const [st] of byState) {
    node(`state-${st}`, STATE_NAMES[st] ?? st, 'state');
    elements.push({ data: { id: `e-st-${st}`, source: `state-${st}`, target: id } });
  }
  const cy = cytoscape({
    container: graphBox,
    elements,
    layout: { name: 'concentric', concentric: (n: cytoscape.NodeSingular) => (n.data('kind') === 'incident' ? 3 : n.data('kind') === 'evidence' ? 2 : 1), levelWidth: () => 1, minNodeSpacing: 14, animate: false },
    style: [
      { selector: 'node', style: { label: 'data(label)', 'font-size': 9, 'text-valign': 'bottom', 'text-margin-y': 3, color: '#1f2937', width: 14, height: 14, 'background-color': '#6b7280' } },
      { selector: 'node[kind = "incident"]', style: { 'background-color': '#b91c1c', width: 24, height: 24, 'font-weight': 'bold' } },
      { selector: 'node[kind = "incident-other"]', style: { 'background-color': '#f59e0b' } },
      { selector: 'node[kind = "evidence"]', style: { 'background-color': '#2563eb', shape: 'round-rectangle' } },
      { selector: 'node[kind = "state"]', style: { 'background-color': '#059669', shape: 'diamond' } },
      { selector: 'edge', style: { width: 1, 'line-color': '#9ca3af', 'curve-style': 'haystack' } },
    ],
    userZoomingEnabled: true,
    wheelSensitivity: 0.3,
  });
  cy.fit(undefined, 16);
}

function fact(k: string, v: string) {
  return h('div', {}, h('dt', {}, k), h('dd', {}, v));
}

function bar(p: number) {
  const outer = h('span', { className: 'meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': (p * 100).toFixed(0), 'aria-label': 'posterior probability' });
  const inner = h('span', { className: 'meter-fill' });
  inner.style.width = `${Math.max(1, Math.min(100, p * 100)).toFixed(0)}%`;
  outer.append(inner);
  return outer;
}

function evidenceList(title: string, items: Item[], cls: string) {
  return h(
    'div',
    { className: `ev ev-${cls}` },
    h('h4', {}, `${title} (${items.length})`),
    items.length === 0
      ? h('p', { className: 'empty' }, 'none')
      : h('ul', {}, items.map((x) => h('li', {}, h('span', { className: 'ev-kind' }, x.kind), ' ', x.name ? `${x.name}${x.id ? ` (${x.id})` : ''}` : x.value ?? x.id ?? '', x.reason ? h('span', { className: 'ev-reason' }, ` — ${x.reason}`) : null))),
  );
}
