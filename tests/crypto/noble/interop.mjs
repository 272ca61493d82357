// Interop of `entente pq ...` with @noble/post-quantum, both directions, every parameter set.
// Usage: node interop.mjs PATH/TO/entente. Exit code 0 iff every check passed.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ml_kem512, ml_kem768, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';

const entente = process.argv[2];
if (!entente) {
  console.error('usage: node interop.mjs PATH/TO/entente');
  process.exit(2);
}
const hex = (u8) => Buffer.from(u8).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));

// Runs entente with the arguments; returns its name=value lines as an object, and the status.
function run(args) {
  let stdout;
  let status = 0;
  try {
    stdout = execFileSync(entente, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    stdout = e.stdout || '';
    status = e.status;
  }
  const out = { status };
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

let failures = 0;
let checks = 0;
function check(cond, what) {
  checks++;
  if (!cond) {
    failures++;
    console.error('FAIL: ' + what);
  }
}

const kems = { 512: ml_kem512, 768: ml_kem768, 1024: ml_kem1024 };
for (const [param, kem] of Object.entries(kems)) {
  for (let round = 0; round < 3; round++) {
    const seed = randomBytes(64);
    // Keys from the same seed are byte-identical.
    const n = kem.keygen(seed);
    const e = run(['pq', 'mlkem', 'keygen', '--param', param, '--seed', hex(seed)]);
    check(e.ek === hex(n.publicKey), `ML-KEM-${param} ek from seed`);
    check(e.dk === hex(n.secretKey), `ML-KEM-${param} dk from seed`);
    // entente encapsulates, noble decapsulates (and deterministic ciphertexts agree).
    const m = randomBytes(32);
    const enc = run(['pq', 'mlkem', 'encaps', '--param', param, '--ek', hex(n.publicKey), '--m', hex(m)]);
    check(hex(kem.decapsulate(unhex(enc.ct), n.secretKey)) === enc.ss, `ML-KEM-${param} entente->noble`);
    const nEnc = kem.encapsulate(n.publicKey, m);
    check(hex(nEnc.cipherText) === enc.ct, `ML-KEM-${param} same ct for same m`);
    // noble encapsulates (random m), entente decapsulates.
    const nEnc2 = kem.encapsulate(unhex(e.ek));
    const dec = run(['pq', 'mlkem', 'decaps', '--param', param, '--dk', e.dk, '--ct', hex(nEnc2.cipherText)]);
    check(dec.ss === hex(nEnc2.sharedSecret), `ML-KEM-${param} noble->entente`);
    // A modified ciphertext gives different keys on both sides, and the same rejection key.
    const bad = Uint8Array.from(nEnc2.cipherText);
    bad[5] ^= 1;
    const decBad = run(['pq', 'mlkem', 'decaps', '--param', param, '--dk', e.dk, '--ct', hex(bad)]);
    check(decBad.ss === hex(kem.decapsulate(bad, unhex(e.dk))) && decBad.ss !== dec.ss,
          `ML-KEM-${param} implicit rejection agrees`);
  }
}

const dsas = { 44: ml_dsa44, 65: ml_dsa65, 87: ml_dsa87 };
for (const [param, dsa] of Object.entries(dsas)) {
  for (let round = 0; round < 3; round++) {
    const seed = randomBytes(32);
    const n = dsa.keygen(seed);
    const e = run(['pq', 'mldsa', 'keygen', '--param', param, '--seed', hex(seed)]);
    check(e.pk === hex(n.publicKey), `ML-DSA-${param} pk from seed`);
    check(e.sk === hex(n.secretKey), `ML-DSA-${param} sk from seed`);
    const msg = randomBytes(1 + round * 100);
    const ctx = randomBytes(round * 40);
    // entente signs (hedged), noble verifies.
    const s1 = run(['pq', 'mldsa', 'sign', '--param', param, '--sk', e.sk, '--msg', hex(msg), '--ctx', hex(ctx)]);
    check(dsa.verify(unhex(s1.sig), msg, n.publicKey, { context: ctx }), `ML-DSA-${param} entente->noble`);
    // Deterministic and given-rnd signatures are byte-identical.
    const det = run(['pq', 'mldsa', 'sign', '--param', param, '--sk', e.sk, '--msg', hex(msg), '--ctx', hex(ctx), '--deterministic']);
    check(det.sig === hex(dsa.sign(msg, n.secretKey, { context: ctx, extraEntropy: false })),
          `ML-DSA-${param} deterministic signatures agree`);
    const rnd = randomBytes(32);
    const withRnd = run(['pq', 'mldsa', 'sign', '--param', param, '--sk', e.sk, '--msg', hex(msg), '--ctx', hex(ctx), '--rnd', hex(rnd)]);
    check(withRnd.sig === hex(dsa.sign(msg, n.secretKey, { context: ctx, extraEntropy: rnd })),
          `ML-DSA-${param} rnd signatures agree`);
    // noble signs (hedged), entente verifies; a modified signature or context is refused.
    const ns = dsa.sign(msg, n.secretKey, { context: ctx });
    const v = run(['pq', 'mldsa', 'verify', '--param', param, '--pk', e.pk, '--msg', hex(msg), '--sig', hex(ns), '--ctx', hex(ctx)]);
    check(v.valid === 'true' && v.status === 0, `ML-DSA-${param} noble->entente`);
    const badSig = Uint8Array.from(ns);
    badSig[badSig.length - 100] ^= 4;
    const vb = run(['pq', 'mldsa', 'verify', '--param', param, '--pk', e.pk, '--msg', hex(msg), '--sig', hex(badSig), '--ctx', hex(ctx)]);
    check(vb.valid === 'false' && vb.status === 6, `ML-DSA-${param} modified signature refused`);
    check(!dsa.verify(badSig, msg, n.publicKey, { context: ctx }), `ML-DSA-${param} noble refuses too`);
  }
}

console.log(`${checks - failures}/${checks} interop checks passed`);
process.exit(failures === 0 ? 0 : 1);
