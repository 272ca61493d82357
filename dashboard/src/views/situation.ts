import { clearToken, get, getToken, streamEvents, type IncidentRow, type LiveEvent, type ObjectsPage, type SightingRow } from '../api';
import { appendSightings, dayNumber, dayString, type Compact } from '../situation-data';
import { add, clear, fmtInt, h, loading, notice, s } from '../dom';
import { europeShapes, MAP_HEIGHT, MAP_WIDTH, NONE, SCALE, shade, STATE_NAMES } from '../europe';
import type { ViewContext } from '../main';

// The shared situational picture: incidents and sightings of the period per member state (map
// and table), per day (timeline), per sector; top indicators and actors; filters; live updates
// from the events stream. The node sends rows (GET /api/v1/situation, already filtered by the
// caller's TLP and scope); filtering and counting happen here so that filters answer at once.

interface Filters {
  days: number;
  state: string;
  sector: string;
  severity: string;
  tlp: string;
}

const PERIODS = [
  { days: 7, label: 'Last 7 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
  { days: 365, label: 'Last 12 months' },
  { days: 3650, label: 'Last 10 years' },
];

function sinceIso(days: number): string {
  return new Date(Date.now() - days * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z');
}

export async function renderSituation(ctx: ViewContext): Promise<() => void> {
  const { main, signal } = ctx;
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const filters: Filters = {
    days: Number(params.get('days')) || 30,
    state: params.get('state') ?? '',
    sector: params.get('sector') ?? '',
    severity: params.get('severity') ?? '',
    tlp: params.get('tlp') ?? '',
  };
  let data: Compact | null = null;
  let liveCount = 0;
  let pending = 0;
  let liveSightings: SightingRow[] = [];
  const names = new Map<string, string>(); // indicator id -> name, fetched for the top list
  const asked = new Set<string>();

  const heading = h('h1', {}, 'Situation');
  const live = h('span', { className: 'live off', role: 'status', 'data-testid': 'live' }, 'connecting…');
  const filterBar = h('form', { className: 'filters', 'aria-label': 'Filters' });
  const body = h('div', { className: 'situation' }, loading('the situation'));
  add(main, h('div', { className: 'view-head' }, heading, live), filterBar, body);

  const select = (id: string, label: string, options: [string, string][], value: string, onChange: (v: string) => void) => {
    const sel = h('select', { id, name: id }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
    sel.addEventListener('change', () => onChange(sel.value));
    return h('div', { className: 'field' }, h('label', { for: id }, label), sel);
  };

  function drawFilters() {
    if (!data) return;
    const sectors = [...new Set([...data.incidents.map((r) => r.sector), ...data.dict.sectors])].filter(Boolean).sort();
    const severities = [...new Set(data.incidents.map((r) => r.severity))].filter(Boolean).sort();
    const tlps = [...new Set([...data.incidents.map((r) => r.tlp), ...data.dict.tlps])].filter(Boolean).sort();
    const states = [...new Set([...data.incidents.map((r) => r.state), ...data.dict.states])].filter(Boolean).sort();
    clear(filterBar);
    filterBar.append(
      select('f-period', 'Period', PERIODS.map((p) => [String(p.days), p.label]), String(filters.days), (v) => {
        filters.days = Number(v);
        void load();
      }),
      select('f-state', 'Member state', [['', 'All'], ...states.map((x): [string, string] => [x, STATE_NAMES[x] ?? x])], filters.state, (v) => {
        filters.state = v;
        draw();
      }),
      select('f-sector', 'Sector', [['', 'All'], ...sectors.map((x): [string, string] => [x, x])], filters.sector, (v) => {
        filters.sector = v;
        draw();
      }),
      select('f-severity', 'Severity', [['', 'All'], ...severities.map((x): [string, string] => [x, x])], filters.severity, (v) => {
        filters.severity = v;
        draw();
      }),
      select('f-tlp', 'TLP', [['', 'All'], ...tlps.map((x): [string, string] => [x, x])], filters.tlp, (v) => {
        filters.tlp = v;
        draw();
      }),
    );
  }

  const matches = (r: { state: string; sector: string; tlp: string; day: string }, since: string) =>
    r.day >= since && (!filters.state || r.state === filters.state) && (!filters.sector || r.sector === filters.sector) && (!filters.tlp || r.tlp === filters.tlp);

  function draw() {
    if (!data) return;
    const t0 = performance.now();
    if (liveSightings.length) {
      appendSightings(data, liveSightings);
      liveSightings = [];
    }
    const since = sinceIso(filters.days).slice(0, 10);
    const incidents: IncidentRow[] = [];
    for (const r of data.incidents) if (matches(r, since) && (!filters.severity || r.severity === filters.severity)) incidents.push(r);

    const byState = new Map<string, { incidents: number; sightings: number }>();
    const byDay = new Map<string, { incidents: number; sightings: number }>();
    const bySector = new Map<string, { incidents: number; sightings: number }>();
    const bump = (m: Map<string, { incidents: number; sightings: number }>, k: string, inc: number, sig: number) => {
      const e = m.get(k) ?? { incidents: 0, sightings: 0 };
      e.incidents += inc;
      e.sightings += sig;
      m.set(k, e);
    };
    for (const r of incidents) {
      bump(byState, r.state || 'unknown', 1, 0);
      bump(byDay, r.day, 1, 0);
      bump(bySector, r.sector || 'unknown', 1, 0);
    }
    // Sightings have no severity: the severity filter applies to incidents only.
    const { dict } = data;
    const c = data.sightings;
    const want = (values: string[], v: string) => (v ? (values.indexOf(v) >= 0 ? values.indexOf(v) : -2) : -1);
    const fState = want(dict.states, filters.state);
    const fSector = want(dict.sectors, filters.sector);
    const fTlp = want(dict.tlps, filters.tlp);
    const sinceDay = dayNumber(since);
    const stateSum = new Float64Array(dict.states.length);
    const sectorSum = new Float64Array(dict.sectors.length);
    const indicatorSum = new Float64Array(dict.indicators.length);
    const daySum = new Map<number, number>();
    let sightingRows = 0;
    let sightingTotal = 0;
    if (fState !== -2 && fSector !== -2 && fTlp !== -2) {
      for (let i = 0; i < c.n; i++) {
        if (c.day[i] < sinceDay) continue;
        if ((fState >= 0 && c.state[i] !== fState) || (fSector >= 0 && c.sector[i] !== fSector) || (fTlp >= 0 && c.tlp[i] !== fTlp)) continue;
        const k = c.count[i];
        stateSum[c.state[i]] += k;
        sectorSum[c.sector[i]] += k;
        indicatorSum[c.indicator[i]] += k;
        daySum.set(c.day[i], (daySum.get(c.day[i]) ?? 0) + k);
        sightingTotal += k;
        sightingRows++;
      }
    }
    stateSum.forEach((v, i) => v && bump(byState, dict.states[i] || 'unknown', 0, v));
    sectorSum.forEach((v, i) => v && bump(bySector, dict.sectors[i] || 'unknown', 0, v));
    for (const [d, v] of daySum) bump(byDay, dayString(d), 0, v);
    const top: [string, number][] = [];
    indicatorSum.forEach((v, i) => {
      if (!v || (top.length === 8 && v <= top[7][1])) return;
      top.push([dict.indicators[i], v]);
      top.sort((a, b) => b[1] - a[1]);
      if (top.length > 8) top.pop();
    });
    for (const t of data.top_indicators) if (t.name) names.set(t.id, t.name);
    void nameIndicators(top.map(([id]) => id));

    clear(body);
    add(body, 
      h(
        'section',
        { className: 'kpis', 'aria-label': 'Totals' },
        kpi('Incidents', incidents.length, 'kpi-incidents'),
        kpi('Sightings', sightingTotal, 'kpi-sightings'),
        kpi('Member states reporting', [...byState.keys()].filter((k) => k !== 'unknown').length, 'kpi-states'),
        kpi('Live updates', liveCount, 'kpi-live'),
      ),
      h(
        'div',
        { className: 'grid-2' },
        h('section', { className: 'card map-card', 'aria-labelledby': 'map-title' }, h('h2', { id: 'map-title' }, 'Incidents and sightings per member state'), mapSvg(byState, filters.state, (code) => {
          filters.state = filters.state === code ? '' : code;
          drawFilters();
          draw();
        }), legend()),
        h('div', { className: 'stack' },
          h('section', { className: 'card', 'aria-labelledby': 'tl-title' }, h('h2', { id: 'tl-title' }, 'Timeline'), timeline(byDay, filters.days)),
          h('section', { className: 'card', 'aria-labelledby': 'ti-title' }, h('h2', { id: 'ti-title' }, 'Top indicators'), topList(top.map(([id, n]) => ({ label: names.get(id) || id, n, unit: 'sightings' })), 'top-indicators')),
          h('section', { className: 'card', 'aria-labelledby': 'ta-title' }, h('h2', { id: 'ta-title' }, 'Top actors (attributions)'), topList(data.top_actors.map((a) => ({ label: a.name || a.id, n: a.incidents, unit: 'incidents' })), 'top-actors')),
        ),
      ),
      h(
        'div',
        { className: 'grid-2' },
        h('section', { className: 'card', 'aria-labelledby': 'st-title' }, h('h2', { id: 'st-title' }, 'Per member state'), stateTable(byState)),
        h('section', { className: 'card', 'aria-labelledby': 'se-title' }, h('h2', { id: 'se-title' }, 'Per sector'), sectorTable(bySector)),
      ),
      h('section', { className: 'card', 'aria-labelledby': 'in-title' }, h('h2', { id: 'in-title' }, 'Incidents'), incidentTable(incidents)),
      data.truncated ? notice('info', 'More rows than the view lists: counts include everything, lists are capped.') : null,
    );
    const ms = performance.now() - t0;
    main.dataset.renderMs = ms.toFixed(1);
    main.dataset.rows = String(incidents.length + sightingRows);
  }

  // Names of indicators in the top list that the situation did not name (fetched once).
  async function nameIndicators(ids: string[]) {
    const missing = ids.filter((id) => !names.has(id) && !asked.has(id) && /^indicator--[0-9a-f-]{36}$/.test(id));
    if (missing.length === 0) return;
    missing.forEach((id) => asked.add(id));
    try {
      const page = await get<ObjectsPage>(`/objects?id=${missing.join(',')}&limit=100`, signal);
      for (const o of page.objects) names.set(o.id, (o.name as string) || (o.pattern as string) || o.id);
      if (page.objects.length) draw();
    } catch {
      // names are a nicety: ids stay
    }
  }

  // The rows are fetched and compacted in a worker: the page stays responsive while 100 000
  // sightings are parsed.
  async function load() {
    clear(body);
    body.append(loading('the situation'));
    const t0 = performance.now();
    const worker = new Worker(new URL('../situation-worker.ts', import.meta.url), { type: 'module' });
    signal.addEventListener('abort', () => worker.terminate());
    const reply = await new Promise<{ data?: Compact; error?: string; status?: number }>((resolve) => {
      worker.onmessage = (ev) => resolve(ev.data);
      worker.onerror = (ev) => resolve({ error: ev.message || 'the situation could not be loaded' });
      worker.postMessage({ url: `/api/v1/situation?since=${encodeURIComponent(sinceIso(filters.days))}`, token: getToken() ?? '' });
    });
    worker.terminate();
    if (!reply.data) {
      if (reply.status === 401) {
        clearToken();
        window.dispatchEvent(new CustomEvent('entente:unauthenticated'));
      }
      clear(body);
      body.append(notice('error', `The situation cannot be loaded: ${reply.error}`));
      return;
    }
    data = reply.data;
    main.dataset.fetchMs = (performance.now() - t0).toFixed(1);
    drawFilters();
    draw();
  }

  function onEvent(e: LiveEvent) {
    if (!data || !e.row) return;
    liveCount++;
    if (e.type === 'incident') {
      data.incidents = data.incidents.filter((r) => r.id !== e.id);
      data.incidents.push(e.row);
    } else if (e.type === 'sighting') {
      liveSightings.push(e.row);
    }
    if (!pending) {
      pending = window.setTimeout(() => {
        pending = 0;
        draw();
      }, 400);
    }
  }

  await load();
  const stream = new AbortController();
  void streamEvents(onEvent, (up) => {
    live.textContent = up ? 'Live' : 'reconnecting…';
    live.className = up ? 'live on' : 'live off';
  }, stream.signal);
  return () => {
    stream.abort();
    if (pending) clearTimeout(pending);
  };
}

function kpi(label: string, n: number, id: string) {
  return h('div', { className: 'kpi' }, h('span', { className: 'kpi-n', 'data-testid': id }, fmtInt(n)), h('span', { className: 'kpi-l' }, label));
}

function mapSvg(byState: Map<string, { incidents: number; sightings: number }>, selected: string, pick: (code: string) => void) {
  let max = 0;
  for (const [k, v] of byState) if (k.length === 2) max = Math.max(max, v.incidents * 10 + v.sightings);
  const svg = s('svg', {
    viewBox: `0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`,
    className: 'map',
    role: 'group',
    'aria-label': 'Map of the member states shaded by reported activity; select a state to filter',
    'data-testid': 'map',
  });
  for (const shape of europeShapes()) {
    if (!shape.code) {
      svg.append(s('path', { d: shape.d, className: 'land', 'aria-hidden': 'true' }));
      continue;
    }
    const v = byState.get(shape.code) ?? { incidents: 0, sightings: 0 };
    const label = `${shape.name}: ${fmtInt(v.incidents)} incidents, ${fmtInt(v.sightings)} sightings`;
    const p = s('path', {
      d: shape.d,
      className: 'state' + (selected === shape.code ? ' selected' : ''),
      fill: shade(v.incidents * 10 + v.sightings, max),
      tabindex: '0',
      role: 'button',
      'aria-label': label,
      'aria-pressed': selected === shape.code ? 'true' : 'false',
      'data-state': shape.code,
    }, s('title', {}, label));
    p.addEventListener('click', () => pick(shape.code!));
    p.addEventListener('keydown', (ev) => {
      const k = (ev as KeyboardEvent).key;
      if (k === 'Enter' || k === ' ') {
        ev.preventDefault();
        pick(shape.code!);
      }
    });
    svg.append(p);
  }
  return svg;
}

function legend() {
  // Colours through the CSSOM: the Content-Security-Policy forbids style attributes.
  const swatch = (c: string) => {
    const i = h('i', { className: 'sw' });
    i.style.backgroundColor = c;
    return i;
  };
  return h('div', { className: 'legend', 'aria-hidden': 'true' }, h('span', {}, 'none'), swatch(NONE), ...SCALE.map(swatch), h('span', {}, 'most'));
}

function timeline(byDay: Map<string, { incidents: number; sightings: number }>, days: number) {
  const keys = [...byDay.keys()].filter(Boolean).sort();
  if (keys.length === 0) return h('p', { className: 'empty' }, 'Nothing in this period.');
  const first = keys[0];
  const end = new Date().toISOString().slice(0, 10);
  const start = days <= 365 ? sinceIso(days).slice(0, 10) : first;
  // One bar per day, or per week/month when the span is long.
  const spanDays = Math.max(1, Math.round((Date.parse(end) - Date.parse(start)) / 86400_000) + 1);
  const bucket = spanDays > 730 ? 30 : spanDays > 120 ? 7 : 1;
  const n = Math.ceil(spanDays / bucket);
  const inc = new Float64Array(n);
  const sig = new Float64Array(n);
  const t0 = Date.parse(start);
  for (const [k, v] of byDay) {
    const i = Math.floor((Date.parse(k) - t0) / 86400_000 / bucket);
    if (i < 0 || i >= n) continue;
    inc[i] += v.incidents;
    sig[i] += v.sightings;
  }
  let max = 1;
  for (let i = 0; i < n; i++) max = Math.max(max, inc[i], sig[i]);
  const W = 560, H = 140, bw = W / n;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H + 18}`, className: 'timeline', role: 'img', 'aria-label': `Incidents and sightings per ${bucket === 1 ? 'day' : bucket === 7 ? 'week' : 'month'} from ${start} to ${end}` });
  const scale = (x: number) => (Math.sqrt(x) / Math.sqrt(max)) * H;
  for (let i = 0; i < n; i++) {
    if (sig[i] > 0) svg.append(s('rect', { x: (i * bw).toFixed(1), y: (H - scale(sig[i])).toFixed(1), width: Math.max(1, bw * 0.9).toFixed(1), height: scale(sig[i]).toFixed(1), className: 'bar-s' }));
    if (inc[i] > 0) svg.append(s('rect', { x: (i * bw + bw * 0.25).toFixed(1), y: (H - scale(inc[i])).toFixed(1), width: Math.max(1, bw * 0.45).toFixed(1), height: scale(inc[i]).toFixed(1), className: 'bar-i' }));
  }
  svg.append(s('text', { x: 0, y: H + 14, className: 'axis' }, start), s('text', { x: W, y: H + 14, className: 'axis', 'text-anchor': 'end' }, end));
  return h('div', {}, svg, h('p', { className: 'key' }, h('i', { className: 'k-i' }), ' incidents ', h('i', { className: 'k-s' }), ' sightings (square-root scale)'));
}

function topList(items: { label: string; n: number; unit: string }[], id: string) {
  if (items.length === 0) return h('p', { className: 'empty' }, 'None in this period.');
  return h('ol', { className: 'top', 'data-testid': id }, items.map((i) => h('li', {}, h('span', { className: 'top-l' }, i.label), h('span', { className: 'top-n' }, `${fmtInt(i.n)} ${i.unit}`))));
}

function stateTable(byState: Map<string, { incidents: number; sightings: number }>) {
  const rows = [...byState].sort((a, b) => b[1].incidents - a[1].incidents || b[1].sightings - a[1].sightings);
  return h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Member state'), h('th', { scope: 'col', className: 'num' }, 'Incidents'), h('th', { scope: 'col', className: 'num' }, 'Sightings'))),
    h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, STATE_NAMES[k] ? `${STATE_NAMES[k]} (${k})` : k), h('td', { className: 'num' }, fmtInt(v.incidents)), h('td', { className: 'num' }, fmtInt(v.sightings))))));
}

function sectorTable(bySector: Map<string, { incidents: number; sightings: number }>) {
  const rows = [...bySector].sort((a, b) => b[1].incidents - a[1].incidents || b[1].sightings - a[1].sightings);
  return h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Sector'), h('th', { scope: 'col', className: 'num' }, 'Incidents'), h('th', { scope: 'col', className: 'num' }, 'Sightings'))),
    h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { className: 'num' }, fmtInt(v.incidents)), h('td', { className: 'num' }, fmtInt(v.sightings))))));
}

function incidentTable(incidents: IncidentRow[]) {
  if (incidents.length === 0) return h('p', { className: 'empty' }, 'No incidents match the filters.');
  const shown = [...incidents].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0)).slice(0, 50);
  return h('div', {},
    h('table', { 'data-testid': 'incidents' }, h('thead', {}, h('tr', {}, ['Day', 'Incident', 'State', 'Sector', 'Severity', 'TLP'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, shown.map((r) => h('tr', {},
        h('td', {}, r.day),
        h('td', {}, h('a', { href: `#/incident/${encodeURIComponent(r.id)}` }, r.name || r.id)),
        h('td', {}, r.state),
        h('td', {}, r.sector),
        h('td', {}, r.severity ? h('span', { className: `sev sev-${r.severity.toLowerCase()}` }, r.severity) : ''),
        h('td', {}, r.tlp ? h('span', { className: 'tlp' }, r.tlp) : 'unmarked'))))),
    incidents.length > shown.length ? h('p', { className: 'help' }, `Showing the ${shown.length} most recent of ${fmtInt(incidents.length)}.`) : null);
}
