// Fetches and parses the situation off the page's thread (the JSON of 100 000 sightings takes
// a few hundred milliseconds to parse), compacts it, and hands the columns over by transfer.
import type { Situation } from './api';
import { compact } from './situation-data';

self.onmessage = async (ev: MessageEvent<{ url: string; token: string }>) => {
  try {
    const res = await fetch(ev.data.url, { headers: { Authorization: `Bearer ${ev.data.token}`, Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) {
      let message = `HTTP ${res.status}`;
      try {
        message = (await res.json())?.error?.message ?? message;
      } catch {
        // keep the status
      }
      self.postMessage({ error: message, status: res.status });
      return;
    }
    const c = compact((await res.json()) as Situation);
    const s = c.sightings;
    self.postMessage({ data: c }, { transfer: [s.day.buffer, s.state.buffer, s.sector.buffer, s.tlp.buffer, s.indicator.buffer, s.count.buffer] });
  } catch (e) {
    self.postMessage({ error: (e as Error).message, status: 0 });
  }
};
