// The dashboard's only way to data: the node's REST API with the user's bearer token, which
// is kept in sessionStorage (gone when the tab closes; never in localStorage, cookies or URLs).

const TOKEN_KEY = 'entente.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json', ...extra };
  const t = getToken();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function failure(res: Response): Promise<ApiError> {
  let code = 'http_' + res.status;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = await res.json();
    if (body?.error?.code) code = body.error.code;
    if (body?.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  if (res.status === 401) {
    clearToken();
    window.dispatchEvent(new CustomEvent('entente:unauthenticated'));
  }
  return new ApiError(res.status, code, message);
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch('/api/v1' + path, { headers: headers(), signal, cache: 'no-store' });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export async function post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch('/api/v1' + path, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export interface Whoami {
  user: string;
  identity_ref: string;
  organization_ref: string;
  member_state: string;
  roles: string[];
  scopes: string[];
}

export interface StixObject {
  type: string;
  id: string;
  name?: string;
  description?: string;
  created?: string;
  modified?: string;
  created_by_ref?: string;
  object_marking_refs?: string[];
  [key: string]: unknown;
}

export interface ObjectsPage {
  objects: StixObject[];
  more: boolean;
  next?: string;
}

// What GET /api/v1/events announces (src/server dashboard.h).
export interface LiveEvent {
  id: string;
  type: string;
  date_added: string;
  name: string;
  row?: IncidentRow & SightingRow;
}

export interface IncidentRow {
  id: string;
  name: string;
  day: string;
  state: string;
  sector: string;
  severity: string;
  tlp: string;
}

export interface SightingRow {
  id: string;
  day: string;
  state: string;
  sector: string;
  tlp: string;
  indicator: string;
  count: number;
}

export interface Situation {
  since: string;
  generated: string;
  incidents: IncidentRow[];
  sightings: SightingRow[];
  top_indicators: { id: string; name: string; sightings: number }[];
  top_actors: { id: string; name: string; incidents: number }[];
  truncated: boolean;
}

// Reads the server-sent events stream with fetch (EventSource cannot send the Authorization
// header) and reconnects with Last-Event-ID until `signal` aborts.
export async function streamEvents(
  onEvent: (e: LiveEvent) => void,
  onState: (connected: boolean) => void,
  signal: AbortSignal,
): Promise<void> {
  let lastId = '';
  while (!signal.aborted) {
    try {
      const extra: Record<string, string> = { Accept: 'text/event-stream' };
      if (lastId) extra['Last-Event-ID'] = lastId;
      const res = await fetch('/api/v1/events', { headers: headers(extra), signal, cache: 'no-store' });
      if (!res.ok || !res.body) throw await failure(res);
      onState(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let data = '';
          let id = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('data: ')) data += line.slice(6);
            else if (line.startsWith('id: ')) id = line.slice(4);
          }
          if (id) lastId = id;
          if (data) {
            try {
              onEvent(JSON.parse(data) as LiveEvent);
            } catch {
              // a malformed event is skipped, the stream goes on
            }
          }
        }
        if (buffer.length > 1 << 20) buffer = ''; // a runaway block: drop it
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && e.status === 401) return;
    }
    onState(false);
    await new Promise((r) => setTimeout(r, 3000));
  }
}
