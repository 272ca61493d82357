import { get } from '../api';
import { add, clear, fmtInt, h, loading, notice } from '../dom';
import { bytesToHex, hexToBytes, leafHash, verifyInclusion } from '../merkle';
import type { ViewContext } from '../main';

// The node's transparency log: the current tree head and the latest entries, each checked
// here, in the browser: its leaf hash is recomputed from the entry text and its inclusion
// proof is verified against the head's root (RFC 9162). A node that rewrote history would
// fail these checks. (The head's composite ML-DSA + Ed25519 signature is verified offline with
// `entente log verify`; browsers have no ML-DSA.)

interface Head {
  tree_size: number;
  root_hash: string;
  timestamp: string;
  signature?: string;
  sig_suite?: string;
  log_id?: string;
  signed?: boolean;
  note?: string;
}
interface Entry {
  index: number;
  leaf: string;
}
interface Proof {
  leaf_index: number;
  tree_size: number;
  leaf_hash: string;
  audit_path: string[];
}

const SHOWN = 25;

export async function renderLedger(ctx: ViewContext): Promise<void> {
  const { main, signal } = ctx;
  add(main, h('div', { className: 'view-head' }, h('h1', {}, 'Ledger')), loading('the transparency log'));
  const head = await get<Head>('/ledger/head', signal);
  const start = Math.max(0, head.tree_size - SHOWN);
  const entries = head.tree_size === 0 ? [] : (await get<{ entries: Entry[] }>(`/ledger/entries?start=${start}&count=${SHOWN}`, signal)).entries;
  clear(main);
  const summary = h('p', { className: 'notice info', role: 'status', 'data-testid': 'ledger-summary' }, 'Verifying…');
  add(main, 
    h('div', { className: 'view-head' }, h('h1', {}, 'Ledger')),
    h(
      'dl',
      { className: 'facts' },
      h('div', {}, h('dt', {}, 'Entries'), h('dd', {}, fmtInt(head.tree_size))),
      h('div', {}, h('dt', {}, 'Root hash'), h('dd', { className: 'mono wrap' }, head.root_hash)),
      h('div', {}, h('dt', {}, 'Head time'), h('dd', {}, head.timestamp)),
      h('div', {}, h('dt', {}, 'Signature'), h('dd', {}, head.signature ? `${head.sig_suite} by key ${head.log_id?.slice(0, 16)}… (verify offline: entente log verify)` : `unsigned: ${head.note ?? ''}`)),
    ),
    summary,
  );
  const tbody = h('tbody');
  add(main, 
    h(
      'section',
      { className: 'card', 'aria-labelledby': 'le-title' },
      h('h2', { id: 'le-title' }, `Latest ${entries.length} entries`),
      h('div', { className: 'scroll' }, h('table', { 'data-testid': 'ledger' }, h('thead', {}, h('tr', {}, ['#', 'Kind', 'Time', 'Actor', 'Subject', 'Proof'].map((c) => h('th', { scope: 'col' }, c)))), tbody)),
    ),
  );
  const root = hexToBytes(head.root_hash);
  let ok = 0;
  let bad = 0;
  const enc = new TextEncoder();
  for (const e of [...entries].reverse()) {
    let parsed: Record<string, string> = {};
    try {
      parsed = JSON.parse(e.leaf);
    } catch {
      // shown raw below
    }
    const cell = h('td', { className: 'proof' }, '…');
    tbody.append(h('tr', {}, h('td', { className: 'num' }, String(e.index)), h('td', {}, parsed.kind ?? '?'), h('td', {}, parsed.time ?? ''), h('td', { className: 'wrap' }, parsed.actor ?? ''), h('td', { className: 'mono wrap' }, parsed.subject ?? e.leaf.slice(0, 80)), cell));
    try {
      const proof = await get<Proof>(`/ledger/proof?index=${e.index}&size=${head.tree_size}`, signal);
      const lh = await leafHash(enc.encode(e.leaf));
      const good = bytesToHex(lh) === proof.leaf_hash && (await verifyInclusion(e.index, head.tree_size, lh, proof.audit_path.map(hexToBytes), root));
      cell.textContent = good ? '✓ included' : '✗ does not verify';
      cell.className = good ? 'proof good' : 'proof bad';
      if (good) ok++;
      else bad++;
    } catch (err) {
      cell.textContent = `✗ ${(err as Error).message}`;
      cell.className = 'proof bad';
      bad++;
    }
  }
  summary.replaceWith(
    bad === 0
      ? h('p', { className: 'notice ok', role: 'status', 'data-testid': 'ledger-summary' }, `${ok} of ${entries.length} entries verified in this browser against root ${head.root_hash.slice(0, 16)}… (SHA-256, RFC 9162 inclusion proofs).`)
      : notice('error', `${bad} of ${entries.length} entries do NOT verify against the signed root.`),
  );
  if (bad) main.querySelector('.notice.error')?.setAttribute('data-testid', 'ledger-summary');
}
