// Runs @noble/post-quantum on the operations crypto_bench measures, in the same session, and
// prints µs per operation. Usage: node bench.mjs [seconds-per-op]
import { ml_kem512, ml_kem768, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { randomBytes } from 'node:crypto';

const seconds = Number(process.argv[2] || 1);
// Reports CPU time per operation (process.cpuUsage), like Google Benchmark's CPU column, so a
// busy shared machine distorts both sides alike; wall time is printed too.
function bench(name, fn) {
  const warm = Date.now();
  while (Date.now() - warm < 300) fn();  // let the JIT settle
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    fn();
    n++;
    elapsed = process.hrtime.bigint() - start;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = (cpu.user + cpu.system) / n;
  const wallUs = Number(elapsed) / 1e3 / n;
  console.log(`${name.padEnd(20)} cpu ${cpuUs.toFixed(1).padStart(9)} us   wall ${wallUs.toFixed(1).padStart(9)} us  (${n} iterations)`);
}

for (const [name, kem] of [['ML-KEM-512', ml_kem512], ['ML-KEM-768', ml_kem768], ['ML-KEM-1024', ml_kem1024]]) {
  const { publicKey, secretKey } = kem.keygen(randomBytes(64));
  const { cipherText } = kem.encapsulate(publicKey);
  bench(`${name} keygen`, () => kem.keygen(randomBytes(64)));
  bench(`${name} encaps`, () => kem.encapsulate(publicKey));
  bench(`${name} decaps`, () => kem.decapsulate(cipherText, secretKey));
}
for (const [name, dsa] of [['ML-DSA-44', ml_dsa44], ['ML-DSA-65', ml_dsa65], ['ML-DSA-87', ml_dsa87]]) {
  const { publicKey, secretKey } = dsa.keygen(randomBytes(32));
  const msg = randomBytes(32);
  const sig = dsa.sign(msg, secretKey);
  bench(`${name} keygen`, () => dsa.keygen(randomBytes(32)));
  bench(`${name} sign`, () => dsa.sign(randomBytes(32), secretKey));
  bench(`${name} verify`, () => dsa.verify(sig, msg, publicKey));
}
