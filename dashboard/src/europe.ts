// The map of the Union: Natural Earth 1:50m country shapes from the world-atlas package
// (bundled, so nothing is fetched at run time), projected once with d3-geo.
import { geoAzimuthalEqualArea, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import type { Topology, GeometryCollection } from 'topojson-specification';
import world from 'world-atlas/countries-50m.json';

// ISO 3166-1 numeric -> alpha-2 for the 27 member states (world-atlas ids are numeric).
export const MEMBER_STATES: Record<string, { code: string; name: string }> = {
  '040': { code: 'AT', name: 'Austria' },
  '056': { code: 'BE', name: 'Belgium' },
  '100': { code: 'BG', name: 'Bulgaria' },
  '191': { code: 'HR', name: 'Croatia' },
  '196': { code: 'CY', name: 'Cyprus' },
  '203': { code: 'CZ', name: 'Czechia' },
  '208': { code: 'DK', name: 'Denmark' },
  '233': { code: 'EE', name: 'Estonia' },
  '246': { code: 'FI', name: 'Finland' },
  '250': { code: 'FR', name: 'France' },
  '276': { code: 'DE', name: 'Germany' },
  '300': { code: 'GR', name: 'Greece' },
  '348': { code: 'HU', name: 'Hungary' },
  '372': { code: 'IE', name: 'Ireland' },
  '380': { code: 'IT', name: 'Italy' },
  '428': { code: 'LV', name: 'Latvia' },
  '440': { code: 'LT', name: 'Lithuania' },
  '442': { code: 'LU', name: 'Luxembourg' },
  '470': { code: 'MT', name: 'Malta' },
  '528': { code: 'NL', name: 'Netherlands' },
  '616': { code: 'PL', name: 'Poland' },
  '620': { code: 'PT', name: 'Portugal' },
  '642': { code: 'RO', name: 'Romania' },
  '703': { code: 'SK', name: 'Slovakia' },
  '705': { code: 'SI', name: 'Slovenia' },
  '724': { code: 'ES', name: 'Spain' },
  '752': { code: 'SE', name: 'Sweden' },
};

export const STATE_NAMES: Record<string, string> = Object.fromEntries(
  Object.values(MEMBER_STATES).map((s) => [s.code, s.name]),
);
STATE_NAMES.EU = 'EU coordination';

export interface Shape {
  id: string; // numeric
  code: string | null; // alpha-2 for member states
  name: string;
  d: string; // SVG path
}

const TINY: Record<string, [number, number]> = { '470': [14.45, 35.9] };

export const MAP_WIDTH = 640;
export const MAP_HEIGHT = 560;
let shapes: Shape[] | null = null;

// The projected shapes, computed on first use (about 20 ms) and kept.
export function europeShapes(): Shape[] {
  if (shapes) return shapes;
  const topo = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const countries = feature(topo, topo.objects.countries) as FeatureCollection<Geometry, { name: string }>;
  // Fit the view to mainland Europe and the islands of the Union (not overseas territories).
  const frame: Feature<Geometry> = {
    type: 'Feature',
    properties: {},
    geometry: {
      type: 'MultiPoint',
      coordinates: [
        [-10.5, 35],
        [34, 35],
        [-10.5, 70.5],
        [31, 70.5],
        [34.6, 34.6],
      ],
    },
  };
  const projection = geoAzimuthalEqualArea()
    .rotate([-12, -52])
    .fitExtent(
      [
        [8, 8],
        [MAP_WIDTH - 8, MAP_HEIGHT - 8],
      ],
      frame,
    )
    .clipExtent([
      [0, 0],
      [MAP_WIDTH, MAP_HEIGHT],
    ]);
  const path = geoPath(projection);
  shapes = [];
  for (const f of countries.features) {
    const id = String(f.id ?? '').padStart(3, '0');
    let d = path(f);
    // Malta has no polygon at 1:50m: a small disc at Valletta keeps it on the map.
    if (!d && TINY[id]) {
      const [x, y] = projection(TINY[id]) ?? [0, 0];
      d = `M${x - 4},${y}a4,4 0 1,0 8,0a4,4 0 1,0 -8,0Z`;
    }
    if (!d) continue;
    const ms = MEMBER_STATES[id];
    shapes.push({ id, code: ms?.code ?? null, name: ms?.name ?? f.properties?.name ?? id, d });
  }
  // Member states last so their outlines draw over neighbours.
  shapes.sort((a, b) => Number(a.code !== null) - Number(b.code !== null));
  return shapes;
}

// Five-step sequential scale (ColorBrewer Blues-like, readable on white; text is never drawn
// over it) with an explicit "no reports" colour.
export const SCALE = ['#deebf7', '#9ecae1', '#6baed6', '#3182bd', '#08519c'];
export const NONE = '#f3f4f6';

export function shade(value: number, max: number): string {
  if (value <= 0 || max <= 0) return NONE;
  // Square root: spreads the states over the steps better than linear (one busy state would
  // leave every other one pale) or logarithmic (everything active looks alike).
  const i = Math.min(SCALE.length - 1, Math.floor(Math.sqrt(value / max) * SCALE.length));
  return SCALE[Math.max(0, i)];
}
