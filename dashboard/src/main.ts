import '@fontsource/inter/latin-400.css';
import '@fontsource/inter/latin-600.css';
import './style.css';
import { ApiError, clearToken, get, getToken, type Whoami } from './api';
import { clear, h, notice } from './dom';
import { renderLogin } from './views/login';
import { renderSituation } from './views/situation';
import { renderIncident } from './views/incident';
import { renderResponse } from './views/response';
import { renderKnowledge } from './views/knowledge';
import { renderLedger } from './views/ledger';

// A view draws into `main` and returns what to do when the user leaves it (close streams,
// timers). Routes are in the URL fragment so the node serves one index.html.
export type Cleanup = () => void;
export interface ViewContext {
  main: HTMLElement;
  me: Whoami;
  params: string[];
  signal: AbortSignal;
}
type View = (ctx: ViewContext) => Promise<Cleanup | void>;

const routes: { path: string; label: string; view: View; nav: boolean }[] = [
  { path: 'situation', label: 'Situation', view: renderSituation, nav: true },
  { path: 'incident', label: 'Incident', view: renderIncident, nav: false },
  { path: 'response', label: 'Response', view: renderResponse, nav: true },
  { path: 'knowledge', label: 'Knowledge', view: renderKnowledge, nav: true },
  { path: 'ledger', label: 'Ledger', view: renderLedger, nav: true },
];

const app = document.getElementById('app')!;
let me: Whoami | null = null;
let leave: Cleanup | void;
let controller: AbortController | null = null;
let current = '';

function shell(current: string): HTMLElement {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const nav = h(
    'nav',
    { 'aria-label': 'Views' },
    h(
      'ul',
      {},
      routes
        .filter((r) => r.nav)
        .map((r) =>
          h(
            'li',
            {},
            h('a', { href: `#/${r.path}`, 'aria-current': r.path === current ? 'page' : null }, r.label),
          ),
        ),
    ),
  );
  const who = me
    ? h(
        'div',
        { className: 'who' },
        h('span', { className: 'user', 'data-testid': 'user' }, me.user),
        h('span', { className: 'badge' }, me.member_state),
        h('span', { className: 'roles' }, me.roles.join(', ')),
        h(
          'button',
          {
            type: 'button',
            className: 'link',
            onclick: () => {
              clearToken();
              me = null;
              location.hash = '#/login';
            },
          },
          'Sign out',
        ),
      )
    : null;
  clear(app);
  app.append(
    h('header', { className: 'top' }, h('a', { className: 'brand', href: '#/situation' }, 'Entente'), nav, who),
    main,
  );
  return main;
}

async function route(): Promise<void> {
  controller?.abort();
  if (typeof leave === 'function') leave();
  leave = undefined;
  controller = new AbortController();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const name = (parts[0] ?? '').split('?')[0] || 'situation';
  if (!getToken() || name === 'login') {
    me = null;
    current = 'login';
    const main = shell('login');
    await renderLogin(main, () => {
      location.hash = '#/situation';
    });
    return;
  }
  if (!me) {
    try {
      me = await get<Whoami>('/whoami');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        location.hash = '#/login';
        return;
      }
      const main = shell('');
      main.append(notice('error', `The node cannot be reached: ${(e as Error).message}`));
      return;
    }
  }
  const r = routes.find((x) => x.path === name) ?? routes[0];
  current = r.path;
  const main = shell(r.path);
  document.title = `Entente · ${r.label}`;
  try {
    leave = await r.view({ main, me, params: parts.slice(1), signal: controller.signal });
  } catch (e) {
    if (controller.signal.aborted) return;
    main.append(notice('error', (e as Error).message));
  }
}

window.addEventListener('hashchange', () => void route());
window.addEventListener('entente:unauthenticated', () => {
  me = null;
  // On the login view the form itself reports the refusal.
  if (current !== 'login') location.hash = '#/login';
});
void route();
