import { get, type ObjectsPage, type StixObject } from '../api';
import { add, clear, fmtInt, h, loading, notice } from '../dom';
import type { ViewContext } from '../main';

// The knowledge base: ATT&CK groups, techniques and software as stored on the node (and
// anything members added), searchable by name, alias or ATT&CK id; full-text search on the
// node for longer queries.

const TABS = [
  { key: 'actors', label: 'Actors', types: 'intrusion-set,threat-actor' },
  { key: 'techniques', label: 'Techniques', types: 'attack-pattern' },
  { key: 'software', label: 'Software', types: 'malware,tool' },
];

function attackId(o: StixObject): string {
  const refs = (o.external_references as { source_name?: string; external_id?: string }[]) ?? [];
  return refs.find((r) => r.source_name === 'mitre-attack')?.external_id ?? '';
}

async function loadAll(types: string, signal: AbortSignal): Promise<StixObject[]> {
  const out: StixObject[] = [];
  let cursor = '';
  for (let i = 0; i < 20; i++) {
    const page = await get<ObjectsPage>(`/objects?type=${types}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, signal);
    out.push(...page.objects);
    if (!page.more || !page.next) break;
    cursor = page.next;
  }
  return out.filter((o) => !o.revoked && !o.x_mitre_deprecated);
}

export async function renderKnowledge(ctx: ViewContext): Promise<void> {
  const { main, signal } = ctx;
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  let tab = TABS.find((t) => t.key === params.get('tab')) ?? TABS[0];
  add(main, h('div', { className: 'view-head' }, h('h1', {}, 'Knowledge')));
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Kinds of knowledge', className: 'tabs' });
  const search = h('input', { id: 'kb-search', type: 'search', autocomplete: 'off', placeholder: 'name, alias, ATT&CK id (G0034, T1059)…' });
  const listBox = h('div', { className: 'kb-list', role: 'tabpanel' });
  const detail = h('section', { className: 'card kb-detail', 'aria-live': 'polite', 'aria-label': 'Details' }, h('p', { className: 'empty' }, 'Select an entry to read about it.'));
  add(main, tablist, h('div', { className: 'field' }, h('label', { for: 'kb-search' }, 'Search'), search), h('div', { className: 'grid-2' }, h('section', { className: 'card' }, listBox), detail));

  let items: StixObject[] = [];
  const drawTabs = () => {
    clear(tablist);
    for (const t of TABS) {
      const b = h('button', { type: 'button', role: 'tab', 'aria-selected': t === tab ? 'true' : 'false', id: `tab-${t.key}` }, t.label);
      b.addEventListener('click', () => {
        tab = t;
        void load();
      });
      tablist.append(b);
    }
  };
  // What the entry is linked to ("uses" relationships, both ways), with names.
  const links = async (o: StixObject, box: HTMLElement) => {
    try {
      const rels = (await get<ObjectsPage>(`/referrers?id=${encodeURIComponent(o.id)}&type=relationship&limit=2000`, signal)).objects.filter((r) => !r.revoked);
      const others = rels.map((r) => (r.source_ref === o.id ? String(r.target_ref) : String(r.source_ref)));
      const named = new Map<string, StixObject>();
      const unique = [...new Set(others)];
      for (let i = 0; i < unique.length; i += 50) {
        const page = await get<ObjectsPage>(`/objects?id=${unique.slice(i, i + 50).join(',')}&limit=100`, signal);
        for (const x of page.objects) named.set(x.id, x);
      }
      const groups = new Map<string, StixObject[]>();
      for (const id of unique) {
        const x = named.get(id);
        if (!x || x.x_mitre_deprecated || x.revoked) continue;
        const kind = x.type === 'intrusion-set' ? 'Groups' : x.type === 'attack-pattern' ? 'Techniques' : x.type === 'malware' || x.type === 'tool' ? 'Software' : x.type === 'incident' ? 'Incidents' : 'Other';
        if (!groups.has(kind)) groups.set(kind, []);
        groups.get(kind)!.push(x);
      }
      clear(box);
      if (groups.size === 0) box.append(h('p', { className: 'empty' }, 'No links recorded.'));
      for (const [kind, xs] of [...groups].sort()) {
        xs.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
        add(box, h('h3', {}, `${kind} (${xs.length})`), h('p', { className: 'links' }, xs.map((x) => `${x.name ?? x.id}${attackId(x) ? ` (${attackId(x)})` : ''}`).join(' · ')));
      }
    } catch (e) {
      clear(box);
      box.append(notice('error', (e as Error).message));
    }
  };
  const show = (o: StixObject) => {
    clear(detail);
    const linked = h('div', { 'data-testid': 'kb-links' }, loading('what it is linked to'));
    const aliases = ((o.aliases as string[]) ?? (o.x_mitre_aliases as string[]) ?? []).filter((a) => a !== o.name);
    add(detail, 
      h('h2', {}, `${o.name ?? o.id}${attackId(o) ? ` (${attackId(o)})` : ''}`),
      aliases.length ? h('p', {}, h('strong', {}, 'Also known as: '), aliases.join(', ')) : null,
      o.x_mitre_platforms ? h('p', {}, h('strong', {}, 'Platforms: '), (o.x_mitre_platforms as string[]).join(', ')) : null,
      o.description ? h('p', { className: 'description' }, o.description.replace(/\(Citation:[^)]*\)/g, '')) : null,
      h('p', { className: 'help mono' }, o.id),
      linked,
    );
    void links(o, linked);
  };
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const rows = items.filter((o) => !q || (o.name ?? '').toLowerCase().includes(q) || attackId(o).toLowerCase() === q || attackId(o).toLowerCase().startsWith(q) || ((o.aliases as string[]) ?? []).some((a) => a.toLowerCase().includes(q)));
    clear(listBox);
    listBox.append(h('p', { className: 'help', 'aria-live': 'polite' }, `${fmtInt(rows.length)} of ${fmtInt(items.length)} ${tab.label.toLowerCase()}`));
    const ul = h('ul', { className: 'kb-items' });
    for (const o of rows.slice(0, 200)) {
      const b = h('button', { type: 'button', className: 'link' }, h('span', { className: 'kb-id' }, attackId(o)), ' ', o.name ?? o.id);
      b.addEventListener('click', () => show(o));
      ul.append(h('li', {}, b));
    }
    listBox.append(ul);
    if (rows.length === 1) show(rows[0]);
  };
  const load = async () => {
    drawTabs();
    clear(listBox);
    listBox.append(loading(tab.label.toLowerCase()));
    try {
      items = (await loadAll(tab.types, signal)).sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
      draw();
    } catch (e) {
      clear(listBox);
      listBox.append(notice('error', (e as Error).message));
    }
  };
  search.addEventListener('input', draw);
  await load();
}
