// The situation's rows in a compact form: sightings as columns of typed arrays with small
// dictionaries for their strings, so that 100 000 of them cost a few megabytes and counting
// them under new filters takes milliseconds. Built in a worker (situation-worker.ts) from the
// JSON of GET /api/v1/situation, then transferred to the page without copying.
import type { IncidentRow, Situation, SightingRow } from './api';

export interface Columns {
  n: number;
  day: Int32Array; // days since 1970-01-01 (UTC)
  state: Uint16Array; // index into dict.states
  sector: Uint16Array;
  tlp: Uint16Array;
  indicator: Uint32Array; // index into dict.indicators
  count: Uint32Array;
}

export interface Compact {
  since: string;
  generated: string;
  truncated: boolean;
  incidents: IncidentRow[];
  sightings: Columns;
  dict: { states: string[]; sectors: string[]; tlps: string[]; indicators: string[] };
  top_indicators: Situation['top_indicators'];
  top_actors: Situation['top_actors'];
}

export const dayNumber = (isoDay: string): number => (isoDay ? Math.floor(Date.parse(isoDay.slice(0, 10) + 'T00:00:00Z') / 86400_000) : -1);
export const dayString = (n: number): string => new Date(n * 86400_000).toISOString().slice(0, 10);

export class Dictionary {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  constructor(initial: string[] = []) {
    for (const v of initial) this.id(v);
  }
  id(v: string): number {
    let i = this.index.get(v);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(v);
      this.index.set(v, i);
    }
    return i;
  }
}

export function compact(s: Situation): Compact {
  const states = new Dictionary(['']);
  const sectors = new Dictionary(['']);
  const tlps = new Dictionary(['']);
  const indicators = new Dictionary();
  const n = s.sightings.length;
  const c: Columns = { n, day: new Int32Array(n), state: new Uint16Array(n), sector: new Uint16Array(n), tlp: new Uint16Array(n), indicator: new Uint32Array(n), count: new Uint32Array(n) };
  for (let i = 0; i < n; i++) {
    const r = s.sightings[i];
    c.day[i] = dayNumber(r.day);
    c.state[i] = states.id(r.state);
    c.sector[i] = sectors.id(r.sector);
    c.tlp[i] = tlps.id(r.tlp);
    c.indicator[i] = indicators.id(r.indicator);
    c.count[i] = r.count > 0 ? r.count : 1;
  }
  return {
    since: s.since,
    generated: s.generated,
    truncated: s.truncated,
    incidents: s.incidents,
    sightings: c,
    dict: { states: states.values, sectors: sectors.values, tlps: tlps.values, indicators: indicators.values },
    top_indicators: s.top_indicators,
    top_actors: s.top_actors,
  };
}

// Appends live sightings (a few at a time) by reallocating the columns.
export function appendSightings(d: Compact, rows: SightingRow[]): void {
  if (rows.length === 0) return;
  const dicts = {
    states: new Dictionary(d.dict.states),
    sectors: new Dictionary(d.dict.sectors),
    tlps: new Dictionary(d.dict.tlps),
    indicators: new Dictionary(d.dict.indicators),
  };
  const old = d.sightings;
  const n = old.n + rows.length;
  const grow = <T extends Int32Array | Uint16Array | Uint32Array>(a: T, make: (k: number) => T): T => {
    const b = make(n);
    b.set(a);
    return b;
  };
  const c: Columns = {
    n,
    day: grow(old.day, (k) => new Int32Array(k)),
    state: grow(old.state, (k) => new Uint16Array(k)),
    sector: grow(old.sector, (k) => new Uint16Array(k)),
    tlp: grow(old.tlp, (k) => new Uint16Array(k)),
    indicator: grow(old.indicator, (k) => new Uint32Array(k)),
    count: grow(old.count, (k) => new Uint32Array(k)),
  };
  rows.forEach((r, j) => {
    const i = old.n + j;
    c.day[i] = dayNumber(r.day);
    c.state[i] = dicts.states.id(r.state);
    c.sector[i] = dicts.sectors.id(r.sector);
    c.tlp[i] = dicts.tlps.id(r.tlp);
    c.indicator[i] = dicts.indicators.id(r.indicator);
    c.count[i] = r.count > 0 ? r.count : 1;
  });
  d.sightings = c;
  d.dict = { states: dicts.states.values, sectors: dicts.sectors.values, tlps: dicts.tlps.values, indicators: dicts.indicators.values };
}
