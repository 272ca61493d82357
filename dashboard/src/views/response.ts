import { ApiError, get, post, streamEvents, type StixObject } from '../api';
import { add, clear, fmtInt, h, loading, notice, shortDate } from '../dom';
import { STATE_NAMES } from '../europe';
import type { ViewContext } from '../main';

// Joint response: proposals (measure, grounds, deadline) with the live vote board of the 27
// states, the decisions taken, and the sanctions register with search and name screening.
// Votes go to POST /api/v1/proposals/{id}/votes; the node signs them for the caller's member
// state and refuses callers without the authority role (403), which the view reports.

interface Outcome {
  rule: string;
  adopted: boolean;
  members: number;
  counts: Record<string, number>;
  population_share: Record<string, number | string>;
  reasons?: string[];
}
// A decision is final when the deadline has passed (the node says `open: false`) or every
// member state has voted; until then a met rule can still be undone by a vote against.
function isFinal(x: { proposal: { deadline: string }; outcome: Outcome; open?: boolean }): boolean {
  return x.open === false || x.proposal.deadline < new Date().toISOString() || (x.outcome.counts.absent ?? 1) === 0;
}
interface Proposal extends StixObject {
  measure: string;
  grounds: string;
  deadline: string;
  decision_rule: string;
  targets?: { name: string; ref?: string }[];
  incident_ref?: string;
  attribution_confidence?: string;
  proposer?: string;
}
interface BoardRow {
  state: string;
  name?: string;
  population_share: number; // percent of the Union's population
  choice: string;
  declaration?: string;
  created?: string;
}
interface ProposalDetail {
  open?: boolean;
  proposal: Proposal;
  votes: StixObject[];
  outcome: Outcome;
  board: BoardRow[];
}

const CHOICES = ['yes', 'no', 'abstain', 'constructive'];
const CHOICE_LABEL: Record<string, string> = { yes: 'Yes', no: 'No', abstain: 'Abstain', constructive: 'Constructive abstention', none: 'Not voted' };

export async function renderResponse(ctx: ViewContext): Promise<() => void> {
  const { main, params, signal, me } = ctx;
  add(main, h('div', { className: 'view-head' }, h('h1', {}, 'Response')));
  const proposalsBox = h('section', { className: 'card', 'aria-labelledby': 'pr-title' }, h('h2', { id: 'pr-title' }, 'Proposals'), loading('proposals'));
  const detailBox = h('section', { className: 'card', 'aria-labelledby': 'bd-title', 'data-testid': 'proposal' });
  const sanctionsBox = h('section', { className: 'card', 'aria-labelledby': 'sa-title' }, h('h2', { id: 'sa-title' }, 'Sanctions register'), loading('the register'));
  add(main, h('div', { className: 'grid-2 response' }, proposalsBox, detailBox), sanctionsBox);

  let timer = 0;
  const live = new AbortController();
  let list: { proposal: Proposal; outcome: Outcome; open?: boolean; votes_cast?: number }[] = [];
  try {
    list = (await get<{ proposals: { proposal: Proposal; outcome: Outcome; open?: boolean; votes_cast?: number }[] }>('/proposals', signal)).proposals.filter((x) => x.proposal && x.outcome);
  } catch (e) {
    clear(proposalsBox);
    proposalsBox.append(h('h2', { id: 'pr-title' }, 'Proposals'), notice('error', `Proposals are not available: ${(e as Error).message}`));
  }
  if (list.length || proposalsBox.querySelector('.loading')) {
    clear(proposalsBox);
    proposalsBox.append(h('h2', { id: 'pr-title' }, 'Proposals'));
    if (list.length === 0) proposalsBox.append(h('p', { className: 'empty' }, 'No proposals.'));
    proposalsBox.append(
      h(
        'ul',
        { className: 'proposals' },
        list.map((x) =>
          h(
            'li',
            {},
            h('a', { href: `#/response/${encodeURIComponent(x.proposal.id)}`, 'aria-current': params[0] === x.proposal.id ? 'true' : null }, x.proposal.measure),
            h('span', { className: 'help' }, ` · ${x.proposal.decision_rule} · deadline ${shortDate(x.proposal.deadline)} · `),
            h('span', { className: x.outcome.adopted ? 'ok-text' : 'muted' }, isFinal(x) ? (x.outcome.adopted ? 'adopted' : 'not adopted') : x.outcome.adopted ? 'rule met so far' : 'open'),
            h('span', { className: 'help' }, ` · ${x.outcome.members - (x.outcome.counts.absent ?? 0)} of ${x.outcome.members} states voted`),
          ),
        ),
      ),
      h('h3', {}, 'Decisions'),
      (() => {
        // A decision is final once the deadline has passed or every member state has voted;
        // before that a met rule can still be undone by a vote against.
        const decided = list.filter(isFinal);
        return decided.length === 0
          ? h('p', { className: 'empty' }, 'No decisions yet: every proposal is still open.')
          : h('ul', {}, decided.map((x) => h('li', {}, `${x.proposal.measure}: ${x.outcome.adopted ? 'adopted' : 'not adopted'} (${x.outcome.rule})`)));
      })(),
    );
  }
  const selected = params[0] || list[0]?.proposal.id;
  if (selected) {
    const refresh = async () => {
      try {
        const d = await get<ProposalDetail>(`/proposals/${encodeURIComponent(selected)}`, signal);
        drawDetail(detailBox, d, me.roles, refresh);
      } catch (e) {
        if (!signal.aborted) {
          clear(detailBox);
          detailBox.append(notice('error', (e as Error).message));
        }
      }
    };
    await refresh();
    // The board is live: votes of other states arrive as stored objects on the events stream
    // (and a slow poll covers a stream that is down).
    const refreshBoardOnly = async () => {
      // Not while the user is filling in the vote form (a redraw would lose it).
      const form = detailBox.querySelector('form');
      if (form && (form.contains(document.activeElement) || (form.querySelector('textarea') as HTMLTextAreaElement | null)?.value)) return;
      await refresh();
    };
    void streamEvents(
      (e) => {
        if (e.type === 'x-entente-vote' || e.type === 'x-entente-proposal') void refreshBoardOnly();
      },
      () => {},
      live.signal,
    );
    timer = window.setInterval(() => void refreshBoardOnly(), 15000);
  } else {
    detailBox.append(h('h2', { id: 'bd-title' }, 'Vote board'), h('p', { className: 'empty' }, 'Select a proposal.'));
  }

  await drawSanctions(sanctionsBox, signal);
  return () => {
    clearInterval(timer);
    live.abort();
  };
}

function drawDetail(box: HTMLElement, d: ProposalDetail, roles: string[], refresh: () => Promise<void>) {
  const p = d.proposal;
  const o = d.outcome;
  const keepStatus = box.querySelector('.vote-status')?.cloneNode(true) as HTMLElement | undefined;
  clear(box);
  const share = (k: string) => String(o.population_share?.[k] ?? '0');
  add(box, 
    h('h2', { id: 'bd-title' }, p.measure),
    h(
      'dl',
      { className: 'facts' },
      h('div', {}, h('dt', {}, 'Targets'), h('dd', {}, (p.targets ?? []).map((t) => t.name).join(', ') || '—')),
      h('div', {}, h('dt', {}, 'Rule'), h('dd', {}, p.decision_rule)),
      h('div', {}, h('dt', {}, 'Deadline'), h('dd', {}, `${shortDate(p.deadline)}${d.open === false ? ' (closed)' : ''}`)),
      h('div', {}, h('dt', {}, 'Attribution confidence'), h('dd', {}, p.attribution_confidence ?? '—')),
      p.incident_ref ? h('div', {}, h('dt', {}, 'Incident'), h('dd', {}, h('a', { href: `#/incident/${encodeURIComponent(p.incident_ref)}` }, 'open the incident'))) : null,
    ),
    h('p', { className: 'grounds' }, p.grounds),
    h(
      'p',
      { className: `outcome ${o.adopted ? 'adopted' : 'pending'}`, role: 'status', 'data-testid': 'outcome' },
      h('strong', {}, isFinal({ proposal: p, outcome: o, open: d.open })
        ? (o.adopted ? 'Adopted' : 'Not adopted')
        : (o.adopted ? 'The rule is met so far' : 'The rule is not met so far')),
      ` (${o.rule}): ${o.counts.yes ?? 0} yes, ${o.counts.no ?? 0} no, ${o.counts.abstain ?? 0} abstain, ${o.counts.constructive ?? 0} constructive, ${o.counts.absent ?? 0} not voted; population yes ${share('yes')} %.`,
    ),
    o.reasons?.length ? h('ul', { className: 'reasons' }, o.reasons.map((r) => h('li', {}, r))) : null,
    h(
      'ol',
      { className: 'board', 'aria-label': 'Vote board of the 27 member states', 'data-testid': 'board' },
      d.board.map((b) =>
        h(
          'li',
          { className: `tile c-${b.choice}`, 'data-state': b.state, 'data-choice': b.choice, title: b.declaration ?? '' },
          h('span', { className: 'tile-code' }, b.state),
          h('span', { className: 'tile-choice' }, CHOICE_LABEL[b.choice] ?? b.choice),
          h('span', { className: 'tile-pop' }, `${Number(b.population_share).toFixed(1)} % pop.`),
          h('span', { className: 'sr-only' }, b.name ?? STATE_NAMES[b.state] ?? b.state),
        ),
      ),
    ),
  );
  // The vote form is shown to everyone: the node decides who may vote (authorities, for their
  // own member state) and the view says plainly when it refuses.
  const choice = h('select', { id: 'vote-choice', name: 'choice' }, CHOICES.map((c) => h('option', { value: c }, CHOICE_LABEL[c])));
  // A constructive abstention comes with a declaration; the other choices take none.
  const declaration = h('textarea', { id: 'vote-declaration', name: 'declaration', rows: 2, maxlength: 2000, disabled: true, 'aria-describedby': 'vote-declaration-help' });
  choice.addEventListener('change', () => {
    declaration.disabled = choice.value !== 'constructive';
  });
  const status = h('div', { className: 'vote-status', 'aria-live': 'polite', 'data-testid': 'vote-status' });
  if (keepStatus) status.replaceChildren(...Array.from(keepStatus.childNodes));
  const form = h(
    'form',
    { className: 'vote', 'aria-labelledby': 'vote-title' },
    h('h3', { id: 'vote-title' }, 'Cast your member state\u2019s vote'),
    roles.includes('authority') ? null : h('p', { className: 'help' }, 'Your token does not carry the authority role; the node will refuse a vote.'),
    h('div', { className: 'field' }, h('label', { for: 'vote-choice' }, 'Choice'), choice),
    h('div', { className: 'field' }, h('label', { for: 'vote-declaration' }, 'Declaration'), declaration, h('p', { id: 'vote-declaration-help', className: 'help' }, 'Required for a constructive abstention (Article 31(1) TEU), not taken with other choices.')),
    h('button', { type: 'submit' }, 'Sign and cast vote'),
    status,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    try {
      const body: Record<string, string> = { choice: choice.value };
      if (choice.value === 'constructive') body.declaration = declaration.value;
      await post(`/proposals/${encodeURIComponent(p.id)}/votes`, body);
      status.append(notice('ok', 'Vote signed and recorded.'));
      await refresh();
    } catch (e) {
      const refused = e instanceof ApiError && e.status === 403;
      status.append(notice('error', refused ? `Refused by the node: ${e.message}` : (e as Error).message));
    }
  });
  add(box, form);
}

async function drawSanctions(box: HTMLElement, signal: AbortSignal) {
  let listings: StixObject[] = [];
  try {
    const bundle = await get<{ objects: StixObject[] }>('/sanctions', signal);
    listings = bundle.objects.filter((o) => o.type === 'identity' && o.x_entente_sanction);
  } catch (e) {
    clear(box);
    add(box, h('h2', { id: 'sa-title' }, 'Sanctions register'), notice('error', (e as Error).message));
    return;
  }
  clear(box);
  const search = h('input', { id: 'sanctions-search', type: 'search', autocomplete: 'off', placeholder: 'name, alias, reason' });
  const tbody = h('tbody');
  const count = h('p', { className: 'help', 'aria-live': 'polite' });
  const screenOut = h('div', { 'aria-live': 'polite' });
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const rows = listings.filter((l) => !q || JSON.stringify([l.name, l.description, (l.x_entente_sanction as { aliases?: string[] }).aliases]).toLowerCase().includes(q));
    clear(tbody);
    for (const l of rows.slice(0, 100)) {
      const x = l.x_entente_sanction as { register_id: string; date_listed: string; status: string; aliases?: string[] };
      tbody.append(h('tr', {}, h('td', {}, x.register_id), h('td', {}, l.name ?? ''), h('td', {}, String(l.identity_class)), h('td', {}, x.date_listed), h('td', {}, x.status), h('td', { className: 'wrap' }, (x.aliases ?? []).join('; '))));
    }
    count.textContent = `${fmtInt(rows.length)} of ${fmtInt(listings.length)} listings${rows.length > 100 ? ' (first 100 shown)' : ''}.`;
  };
  search.addEventListener('input', draw);
  const screenName = h('input', { id: 'screen-name', type: 'text', autocomplete: 'off' });
  const screenForm = h('form', { className: 'inline' }, h('label', { for: 'screen-name' }, 'Screen a name against the register'), screenName, h('button', { type: 'submit' }, 'Screen'));
  screenForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(screenOut);
    if (!screenName.value.trim()) return;
    try {
      const hits = await get<{ name: string; matched_name: string; score: number }[]>(`/sanctions/screen?name=${encodeURIComponent(screenName.value.trim())}`);
      screenOut.append(hits.length === 0 ? notice('info', 'No likely match.') : h('ul', {}, hits.slice(0, 10).map((x) => h('li', {}, `${x.name} (matched “${x.matched_name}”, score ${Number(x.score).toFixed(2)})`))));
    } catch (e) {
      screenOut.append(notice('error', (e as Error).message));
    }
  });
  add(box, 
    h('h2', { id: 'sa-title' }, 'Sanctions register'),
    h('div', { className: 'field' }, h('label', { for: 'sanctions-search' }, 'Search the register'), search),
    count,
    h('div', { className: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['Register id', 'Name', 'Kind', 'Listed', 'Status', 'Aliases'].map((c) => h('th', { scope: 'col' }, c)))), tbody)),
    screenForm,
    screenOut,
  );
  draw();
}
