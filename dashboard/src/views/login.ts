import { ApiError, clearToken, get, setToken, type Whoami } from '../api';
import { h, notice } from '../dom';

// Paste an API token (from `entente token issue`, or demo-tokens.txt in the demo). It is
// checked with /whoami and kept in sessionStorage only.
export async function renderLogin(main: HTMLElement, done: () => void): Promise<void> {
  const input = h('textarea', {
    id: 'token',
    name: 'token',
    rows: 3,
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { className: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to this Entente node'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { id: 'token-help', className: 'help' },
      'Paste the bearer token your administrator issued (entente token issue). It stays in this tab only and is forgotten when the tab closes.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    const token = input.value.trim();
    if (!/^[\x21-\x7e]{8,512}$/.test(token)) {
      status.append(notice('error', 'That does not look like a token.'));
      return;
    }
    setToken(token);
    try {
      const me = await get<Whoami>('/whoami');
      status.append(notice('ok', `Signed in as ${me.user}.`));
      done();
    } catch (e) {
      clearToken();
      const msg = e instanceof ApiError && e.status === 401 ? 'The node does not accept this token (unknown, expired or revoked).' : (e as Error).message;
      status.append(notice('error', msg));
    }
  });
  main.append(form);
  input.focus();
}
