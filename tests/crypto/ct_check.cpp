// The constant-time check (ctgrind): runs ML-KEM and ML-DSA with every secret input marked
// undefined for valgrind memcheck. memcheck then reports any conditional branch or memory
// address that depends on a secret; the ctest runs this under valgrind --error-exitcode=1.
// Public outputs and ML-DSA's rejection decision are declassified inside the library (ct.h).
// `--canary` adds one deliberate secret-dependent branch: that run must fail, which proves the
// harness detects leaks (ctest crypto_ct_canary, WILL_FAIL).
#include <cstdio>
#include <cstring>

#include "ct.h"
#include "entente/crypto/mldsa.h"
#include "entente/crypto/mlkem.h"

namespace ct = entente::crypto::ct;
namespace mlkem = entente::crypto::mlkem;
namespace mldsa = entente::crypto::mldsa;
using entente::Bytes;
using entente::ByteView;

namespace {

Bytes Fill(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 31 * i + (i >> 3));
  return b;
}

int CheckMlKem(mlkem::Param p, std::uint8_t seed) {
  Bytes d = Fill(32, seed), z = Fill(32, seed + 1), m = Fill(32, seed + 2);
  ct::Poison(d.data(), 32);
  ct::Poison(z.data(), 32);
  auto kp = mlkem::KeyGenInternal(p, d, z).value();
  const auto sizes = mlkem::SizesOf(p);
  // ek is public (declassified inside); the dk copy keeps its secret parts undefined except the
  // embedded ek and H(ek), which are public.
  Bytes dk(kp.dk.view().begin(), kp.dk.view().end());
  const std::size_t pke = sizes.dk - sizes.ek - 64;
  ct::Poison(dk.data(), pke);
  ct::Declassify(dk.data() + pke, sizes.ek + 32);
  ct::Poison(dk.data() + sizes.dk - 32, 32);  // z
  ct::Poison(m.data(), 32);
  auto enc = mlkem::EncapsInternal(p, kp.ek, m).value();
  auto ss = mlkem::Decaps(p, dk, enc.ct).value();
  Bytes bad = enc.ct;
  bad[3] ^= 1;
  auto rej = mlkem::Decaps(p, dk, bad).value();  // implicit rejection path
  ct::Declassify(ss.data(), 32);
  ct::Declassify(enc.ss.data(), 32);
  ct::Declassify(rej.data(), 32);
  if (std::memcmp(ss.data(), enc.ss.data(), 32) != 0 ||
      std::memcmp(rej.data(), ss.data(), 32) == 0) {
    std::fprintf(stderr, "%s: wrong result\n", std::string(mlkem::Name(p)).c_str());
    return 1;
  }
  return 0;
}

int CheckMlDsa(mldsa::Param p, std::uint8_t seed) {
  Bytes xi = Fill(32, seed), rnd = Fill(32, seed + 5);
  ct::Poison(xi.data(), 32);
  auto kp = mldsa::KeyGenFromSeed(p, xi).value();
  Bytes sk(kp.sk.view().begin(), kp.sk.view().end());
  ct::Poison(sk.data() + 32, 32);                // K
  ct::Poison(sk.data() + 128, sk.size() - 128);  // s1, s2, t0
  ct::Poison(rnd.data(), 32);
  const Bytes msg = Fill(100, seed + 9);
  mldsa::SignOptions opts;
  opts.rnd = rnd;
  auto sig = mldsa::Sign(p, sk, msg, ByteView(msg).first(5), opts).value();
  ct::Declassify(sig.data(), sig.size());
  if (!mldsa::Verify(p, kp.pk, msg, sig, ByteView(msg).first(5))) {
    std::fprintf(stderr, "%s: signature does not verify\n", std::string(mldsa::Name(p)).c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const bool canary = argc > 1 && std::strcmp(argv[1], "--canary") == 0;
  int failures = 0;
  for (std::uint8_t s = 0; s < 2; ++s) {
    for (auto p : {mlkem::Param::kMlKem512, mlkem::Param::kMlKem768, mlkem::Param::kMlKem1024}) {
      failures += CheckMlKem(p, static_cast<std::uint8_t>(s * 40));
    }
    for (auto p : {mldsa::Param::kMlDsa44, mldsa::Param::kMlDsa65, mldsa::Param::kMlDsa87}) {
      failures += CheckMlDsa(p, static_cast<std::uint8_t>(s * 40 + 7));
    }
  }
  if (canary) {
    Bytes secret = Fill(4, 1);
    ct::Poison(secret.data(), secret.size());
    volatile int sink = 0;
    if (secret[0] & 1) sink = sink + 1;  // a secret-dependent branch, on purpose
  }
  std::printf("ct check done, %d functional failures\n", failures);
  return failures == 0 ? 0 : 1;
}
