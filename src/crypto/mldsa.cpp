// ML-DSA after FIPS 204: NTT over Z_8380417 with Montgomery reduction in int32 lanes. Secret
// values flow only through arithmetic and masks; the signing loop's rejection flags are the one
// intended leak and are declassified for the ct check (ct.h) one by one.
#include "entente/crypto/mldsa.h"

#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <memory>

#include "ct.h"
#include "entente/crypto/sha3.h"

namespace entente::crypto::mldsa {
namespace {

constexpr int kN = 256;
constexpr std::int32_t kQ = 8380417;
constexpr std::uint32_t kQinv = 58728449;  // q^-1 mod 2^32
constexpr int kD = 13;

struct Poly {
  std::int32_t c[kN];
};

inline std::int32_t MontgomeryReduce(std::int64_t a) noexcept {
  const auto t = static_cast<std::int32_t>(static_cast<std::uint32_t>(a) * kQinv);
  return static_cast<std::int32_t>((a - static_cast<std::int64_t>(t) * kQ) >> 32);
}
// A representative in about (-3q/4, 3q/4) of a, for a ≤ 2^31 - 2^22 - 1.
inline std::int32_t Reduce32(std::int32_t a) noexcept {
  const std::int32_t t = (a + (1 << 22)) >> 23;
  return a - t * kQ;
}
inline std::int32_t CAddQ(std::int32_t a) noexcept { return a + ((a >> 31) & kQ); }

constexpr std::array<std::int32_t, kN> MakeZetas() {
  std::array<std::int32_t, kN> z{};
  for (int i = 0; i < kN; ++i) {
    int br = 0;
    for (int b = 0; b < 8; ++b) br |= ((i >> b) & 1) << (7 - b);
    std::int64_t v = 1;
    std::int64_t base = 1753;
    for (int e = br; e > 0; e >>= 1) {
      if (e & 1) v = v * base % kQ;
      base = base * base % kQ;
    }
    v = v * 4193792 % kQ;  // Montgomery form, 2^32 mod q
    if (v > kQ / 2) v -= kQ;
    z[i] = static_cast<std::int32_t>(v);
  }
  z[0] = 0;
  return z;
}
constexpr std::array<std::int32_t, kN> kZetas = MakeZetas();

void Ntt(Poly& p) noexcept {
  std::int32_t* a = p.c;
  unsigned k = 0;
  for (unsigned len = 128; len > 0; len >>= 1) {
    for (unsigned start = 0; start < kN; start += 2 * len) {
      const std::int64_t zeta = kZetas[++k];
      for (unsigned j = start; j < start + len; ++j) {
        const std::int32_t t = MontgomeryReduce(zeta * a[j + len]);
        a[j + len] = a[j] - t;
        a[j] = a[j] + t;
      }
    }
  }
}

void InvNttToMont(Poly& p) noexcept {
  std::int32_t* a = p.c;
  constexpr std::int64_t f = 41978;  // 2^64 / 256 mod q
  unsigned k = 256;
  for (unsigned len = 1; len < kN / 2; len <<= 1) {
    for (unsigned start = 0; start < kN; start += 2 * len) {
      const std::int64_t zeta = -kZetas[--k];
      for (unsigned j = start; j < start + len; ++j) {
        const std::int32_t t = a[j];
        a[j] = t + a[j + len];
        a[j + len] = MontgomeryReduce(zeta * (t - a[j + len]));
      }
    }
  }
  // Last layer with the 1/256 scaling folded in: one multiplication per output instead of two.
  const std::int64_t zf = MontgomeryReduce(f * -kZetas[1]);
  for (unsigned j = 0; j < kN / 2; ++j) {
    const std::int32_t t = a[j];
    a[j] = MontgomeryReduce(f * (t + a[j + kN / 2]));
    a[j + kN / 2] = MontgomeryReduce(zf * (t - a[j + kN / 2]));
  }
}

inline void PointwiseMont(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; ++i)
    r.c[i] = MontgomeryReduce(static_cast<std::int64_t>(a.c[i]) * b.c[i]);
}
inline void PointwiseAcc(Poly& r, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < kN; ++i)
    r.c[i] += MontgomeryReduce(static_cast<std::int64_t>(a.c[i]) * b.c[i]);
}
inline void PolyReduce(Poly& r) noexcept {
  for (auto& c : r.c) c = Reduce32(c);
}
inline void PolyCAddQ(Poly& r) noexcept {
  for (auto& c : r.c) c = CAddQ(c);
}

// Nonzero iff some |coefficient| >= bound (coefficients reduced by Reduce32). No branches.
inline std::uint32_t NormExceeds(const Poly& a, std::int32_t bound) noexcept {
  std::uint32_t flag = 0;
  for (int i = 0; i < kN; ++i) {
    std::int32_t t = a.c[i] >> 31;
    t = a.c[i] - (t & (2 * a.c[i]));
    flag |= static_cast<std::uint32_t>(bound - 1 - t) >> 31;
  }
  return flag;
}

// --- bit packing: 256 values of `Bits` bits, little-endian bit order ---------------------------

template <int Bits>
void Pack(std::uint8_t* out, const std::uint32_t* v) noexcept {
  std::uint64_t acc = 0;
  int bits = 0;
  for (int i = 0; i < kN; ++i) {
    acc |= static_cast<std::uint64_t>(v[i]) << bits;
    bits += Bits;
    while (bits >= 8) {
      *out++ = static_cast<std::uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
}
template <int Bits>
void Unpack(std::uint32_t* v, const std::uint8_t* in) noexcept {
  std::uint64_t acc = 0;
  int bits = 0;
  for (int i = 0; i < kN; ++i) {
    while (bits < Bits) {
      acc |= static_cast<std::uint64_t>(*in++) << bits;
      bits += 8;
    }
    v[i] = static_cast<std::uint32_t>(acc) & ((1u << Bits) - 1);
    acc >>= Bits;
    bits -= Bits;
  }
}
// Packs offset - c for each coefficient (the FIPS 204 BitPack(w, a, b) with a = offset).
template <int Bits>
void PackOffset(std::uint8_t* out, const Poly& p, std::int32_t offset) noexcept {
  std::uint32_t v[kN];
  for (int i = 0; i < kN; ++i) v[i] = static_cast<std::uint32_t>(offset - p.c[i]);
  Pack<Bits>(out, v);
}
template <int Bits>
void UnpackOffset(Poly& p, const std::uint8_t* in, std::int32_t offset) noexcept {
  std::uint32_t v[kN];
  Unpack<Bits>(v, in);
  for (int i = 0; i < kN; ++i) p.c[i] = offset - static_cast<std::int32_t>(v[i]);
}

// --- sampling -----------------------------------------------------------------------------------

// RejNTTPoly (Alg. 30) from SHAKE128(rho || s || r): public data.
void ExpandAEntry(Poly& r, const std::uint8_t rho[32], std::uint8_t col,
                  std::uint8_t row) noexcept {
  Keccak xof(Keccak::Kind::kShake128);
  xof.Absorb(rho, 32);
  const std::uint8_t sr[2] = {col, row};
  xof.Absorb(sr, 2);
  std::uint8_t buf[168 * 5];
  xof.Squeeze(buf, sizeof(buf));
  std::size_t len = sizeof(buf), pos = 0;
  int n = 0;
  while (n < kN) {
    if (pos + 3 > len) {
      xof.Squeeze(buf, 168);
      len = 168;
      pos = 0;
    }
    const std::uint32_t t = buf[pos] | (buf[pos + 1] << 8) | ((buf[pos + 2] & 0x7f) << 16);
    pos += 3;
    if (t < static_cast<std::uint32_t>(kQ)) r.c[n++] = static_cast<std::int32_t>(t);
  }
}

// RejBoundedPoly (Alg. 31) from SHAKE256(rho' || nonce16). Which nibbles are rejected depends
// only on rejected values, so each accept flag is declassified; the accepted value is not.
template <int Eta>
void ExpandSEntry(Poly& r, const std::uint8_t rhop[64], std::uint16_t nonce) noexcept {
  Keccak xof(Keccak::Kind::kShake256);
  xof.Absorb(rhop, 64);
  const std::uint8_t nb[2] = {static_cast<std::uint8_t>(nonce),
                              static_cast<std::uint8_t>(nonce >> 8)};
  xof.Absorb(nb, 2);
  std::uint8_t buf[136];
  int n = 0;
  while (n < kN) {
    xof.Squeeze(buf, sizeof(buf));
    for (std::size_t i = 0; i < sizeof(buf) && n < kN; ++i) {
      for (int half = 0; half < 2 && n < kN; ++half) {
        const std::uint32_t z = half == 0 ? (buf[i] & 15u) : (buf[i] >> 4);
        std::uint32_t accept;
        std::int32_t value;
        if constexpr (Eta == 2) {
          accept = (z - 15u) >> 31;  // z < 15
          value = 2 - static_cast<std::int32_t>(z - 5 * ((205 * z) >> 10));
        } else {
          accept = (z - 9u) >> 31;  // z < 9
          value = 4 - static_cast<std::int32_t>(z);
        }
        ct::Declassify(&accept, sizeof(accept));
        if (accept) r.c[n++] = value;
      }
    }
  }
  SecureWipe(buf, sizeof(buf));
}

// SampleInBall (Alg. 29) from the (public) commitment hash.
void SampleInBall(Poly& c, const std::uint8_t* ctilde, std::size_t ctilde_len, int tau) noexcept {
  Keccak xof(Keccak::Kind::kShake256);
  xof.Absorb(ctilde, ctilde_len);
  std::uint8_t buf[136];
  xof.Squeeze(buf, sizeof(buf));
  std::uint64_t signs = 0;
  for (int i = 0; i < 8; ++i) signs |= static_cast<std::uint64_t>(buf[i]) << (8 * i);
  std::size_t pos = 8;
  std::memset(c.c, 0, sizeof(c.c));
  for (int i = kN - tau; i < kN; ++i) {
    std::uint32_t j;
    do {
      if (pos >= sizeof(buf)) {
        xof.Squeeze(buf, sizeof(buf));
        pos = 0;
      }
      j = buf[pos++];
    } while (j > static_cast<std::uint32_t>(i));
    c.c[i] = c.c[j];
    c.c[j] = 1 - 2 * static_cast<std::int32_t>(signs & 1);
    signs >>= 1;
  }
}

// --- parameter sets ------------------------------------------------------------------------------

template <int K, int L, int Eta, int Tau, int Beta, int Gamma1Bits, int Gamma2Div, int Omega,
          int Lambda>
struct Dsa {
  static constexpr std::int32_t kGamma1 = 1 << Gamma1Bits;
  static constexpr std::int32_t kGamma2 = (kQ - 1) / Gamma2Div;
  static constexpr int kEtaBits = Eta == 2 ? 3 : 4;
  static constexpr int kZBits = Gamma1Bits + 1;
  static constexpr int kW1Bits = Gamma2Div == 88 ? 6 : 4;
  static constexpr std::size_t kCTilde = Lambda / 4;
  static constexpr std::size_t kPkBytes = 32 + 320 * K;
  static constexpr std::size_t kEtaPolyBytes = 32 * kEtaBits;
  static constexpr std::size_t kSkBytes = 128 + (K + L) * kEtaPolyBytes + 416 * K;
  static constexpr std::size_t kZPolyBytes = 32 * kZBits;
  static constexpr std::size_t kSigBytes = kCTilde + L * kZPolyBytes + Omega + K;
  static constexpr std::size_t kW1PolyBytes = 32 * kW1Bits;

  struct Matrix {
    Poly a[K][L];
  };

  static void ExpandA(Matrix& m, const std::uint8_t rho[32]) noexcept {
    for (int i = 0; i < K; ++i) {
      for (int j = 0; j < L; ++j) {
        ExpandAEntry(m.a[i][j], rho, static_cast<std::uint8_t>(j), static_cast<std::uint8_t>(i));
      }
    }
  }

  // out[i] = sum_j a[i][j] * v[j], NTT domain, then reduced.
  static void MatVec(Poly out[K], const Matrix& m, const Poly v[L]) noexcept {
    for (int i = 0; i < K; ++i) {
      PointwiseMont(out[i], m.a[i][0], v[0]);
      for (int j = 1; j < L; ++j) PointwiseAcc(out[i], m.a[i][j], v[j]);
      PolyReduce(out[i]);
    }
  }

  // (a1, a0) with a = a1 * 2 gamma2 + a0, a in [0, q).
  static inline std::int32_t Decompose(std::int32_t* a0, std::int32_t a) noexcept {
    std::int32_t a1 = (a + 127) >> 7;
    if constexpr (Gamma2Div == 32) {
      a1 = (a1 * 1025 + (1 << 21)) >> 22;
      a1 &= 15;
    } else {
      a1 = (a1 * 11275 + (1 << 23)) >> 24;
      a1 ^= ((43 - a1) >> 31) & a1;
    }
    *a0 = a - a1 * 2 * kGamma2;
    *a0 -= (((kQ - 1) / 2 - *a0) >> 31) & kQ;
    return a1;
  }

  static std::int32_t UseHint(std::int32_t a, std::int32_t hint) noexcept {  // public data
    std::int32_t a0;
    const std::int32_t a1 = Decompose(&a0, a);
    if (hint == 0) return a1;
    if constexpr (Gamma2Div == 32) {
      return a0 > 0 ? (a1 + 1) & 15 : (a1 - 1) & 15;
    } else {
      if (a0 > 0) return a1 == 43 ? 0 : a1 + 1;
      return a1 == 0 ? 43 : a1 - 1;
    }
  }

  static void PackW1(std::uint8_t* out, const Poly& w1) noexcept {
    std::uint32_t v[kN];
    for (int i = 0; i < kN; ++i) v[i] = static_cast<std::uint32_t>(w1.c[i]);
    Pack<kW1Bits>(out, v);
  }

  static void KeyGen(std::uint8_t* pk, std::uint8_t* sk, const std::uint8_t seed[32]) {
    std::uint8_t buf[128];
    Keccak h(Keccak::Kind::kShake256);
    h.Absorb(seed, 32);
    h.AbsorbByte(K);
    h.AbsorbByte(L);
    h.Squeeze(buf, 128);
    const std::uint8_t* rho = buf;
    const std::uint8_t* rhop = buf + 32;
    const std::uint8_t* key = buf + 96;
    ct::Declassify(rho, 32);
    auto m = std::make_unique<Matrix>();
    ExpandA(*m, rho);
    struct Secrets {
      Poly s1[L], s1hat[L], s2[K], t[K];
      ~Secrets() { SecureWipe(this, sizeof(*this)); }
    } s;
    for (int i = 0; i < L; ++i) ExpandSEntry<Eta>(s.s1[i], rhop, static_cast<std::uint16_t>(i));
    for (int i = 0; i < K; ++i) ExpandSEntry<Eta>(s.s2[i], rhop, static_cast<std::uint16_t>(L + i));
    for (int i = 0; i < L; ++i) {
      s.s1hat[i] = s.s1[i];
      Ntt(s.s1hat[i]);
    }
    MatVec(s.t, *m, s.s1hat);
    std::memcpy(pk, rho, 32);
    std::memcpy(sk, rho, 32);
    std::memcpy(sk + 32, key, 32);
    std::uint8_t* p = sk + 128;
    for (int i = 0; i < L; ++i, p += kEtaPolyBytes) PackOffset<kEtaBits>(p, s.s1[i], Eta);
    for (int i = 0; i < K; ++i, p += kEtaPolyBytes) PackOffset<kEtaBits>(p, s.s2[i], Eta);
    for (int i = 0; i < K; ++i) {
      Poly& t = s.t[i];
      InvNttToMont(t);
      for (int j = 0; j < kN; ++j) t.c[j] = CAddQ(Reduce32(t.c[j] + s.s2[i].c[j]));
      // Power2Round: t = t1 * 2^d + t0.
      std::uint32_t t1[kN];
      Poly t0;
      for (int j = 0; j < kN; ++j) {
        const std::int32_t a1 = (t.c[j] + (1 << (kD - 1)) - 1) >> kD;
        t0.c[j] = t.c[j] - (a1 << kD);
        t1[j] = static_cast<std::uint32_t>(a1);
      }
      ct::Declassify(t1, sizeof(t1));
      Pack<10>(pk + 32 + 320 * i, t1);
      PackOffset<13>(p + 416 * i, t0, 1 << (kD - 1));
      SecureWipe(&t0, sizeof(t0));
    }
    Shake256(ByteView(pk, kPkBytes), sk + 64, 64);
    SecureWipe(buf, sizeof(buf));
  }

  // Decoded private key in NTT form.
  struct ExpandedSk {
    std::uint8_t rho[32], key[32], tr[64];
    Poly s1[L], s2[K], t0[K];
    ~ExpandedSk() { SecureWipe(this, sizeof(*this)); }
  };

  // Returns false if an s1/s2 coefficient is out of range (only validity is revealed).
  static bool DecodeSk(ExpandedSk& e, const std::uint8_t* sk) noexcept {
    std::memcpy(e.rho, sk, 32);
    std::memcpy(e.key, sk + 32, 32);
    std::memcpy(e.tr, sk + 64, 64);
    ct::Declassify(e.rho, 32);
    ct::Declassify(e.tr, 64);
    const std::uint8_t* p = sk + 128;
    std::uint32_t bad = 0;
    auto check = [&bad](const Poly& s) {
      for (int j = 0; j < kN; ++j)
        bad |= static_cast<std::uint32_t>(2 * Eta - (Eta - s.c[j])) >> 31;
    };
    for (int i = 0; i < L; ++i, p += kEtaPolyBytes) {
      UnpackOffset<kEtaBits>(e.s1[i], p, Eta);
      check(e.s1[i]);
      Ntt(e.s1[i]);
    }
    for (int i = 0; i < K; ++i, p += kEtaPolyBytes) {
      UnpackOffset<kEtaBits>(e.s2[i], p, Eta);
      check(e.s2[i]);
      Ntt(e.s2[i]);
    }
    for (int i = 0; i < K; ++i, p += 416) {
      UnpackOffset<13>(e.t0[i], p, 1 << (kD - 1));
      Ntt(e.t0[i]);
    }
    ct::Declassify(&bad, sizeof(bad));
    return bad == 0;
  }

  // Sign_internal (Alg. 7) given mu; writes kSigBytes.
  static bool SignMu(std::uint8_t* sig, const std::uint8_t* sk, const std::uint8_t mu[64],
                     const std::uint8_t rnd[32]) {
    auto e = std::make_unique<ExpandedSk>();
    if (!DecodeSk(*e, sk)) return false;
    auto m = std::make_unique<Matrix>();
    ExpandA(*m, e->rho);
    std::uint8_t rhopp[64];
    Keccak h(Keccak::Kind::kShake256);
    h.Absorb(e->key, 32);
    h.Absorb(rnd, 32);
    h.Absorb(mu, 64);
    h.Squeeze(rhopp, 64);
    struct Work {
      Poly y[L], z[L], w[K], w0[K], w1[K], h[K], c;
      ~Work() { SecureWipe(this, sizeof(*this)); }
    };
    auto w = std::make_unique<Work>();
    std::uint8_t w1packed[K * kW1PolyBytes];
    for (std::uint32_t kappa = 0;; kappa += L) {
      if (kappa > 0xffff - L) return false;  // unreachable in practice (2^-100s)
      for (int i = 0; i < L; ++i) {
        std::uint8_t buf[kZPolyBytes];
        Keccak x(Keccak::Kind::kShake256);
        x.Absorb(rhopp, 64);
        const std::uint32_t nonce = kappa + static_cast<std::uint32_t>(i);
        const std::uint8_t nb[2] = {static_cast<std::uint8_t>(nonce),
                                    static_cast<std::uint8_t>(nonce >> 8)};
        x.Absorb(nb, 2);
        x.Squeeze(buf, sizeof(buf));
        UnpackOffset<kZBits>(w->y[i], buf, kGamma1);
        SecureWipe(buf, sizeof(buf));
        w->z[i] = w->y[i];
        Ntt(w->z[i]);
      }
      MatVec(w->w, *m, w->z);
      for (int i = 0; i < K; ++i) {
        InvNttToMont(w->w[i]);
        PolyCAddQ(w->w[i]);
        for (int j = 0; j < kN; ++j) w->w1[i].c[j] = Decompose(&w->w0[i].c[j], w->w[i].c[j]);
        PackW1(w1packed + i * kW1PolyBytes, w->w1[i]);
      }
      Keccak ch(Keccak::Kind::kShake256);
      ch.Absorb(mu, 64);
      ch.Absorb(w1packed, sizeof(w1packed));
      ch.Squeeze(sig, kCTilde);
      // The challenge is public once the signature is released; a rejected one reveals nothing
      // about the key beyond what FIPS 204's analysis already allows.
      ct::Declassify(sig, kCTilde);
      SampleInBall(w->c, sig, kCTilde, Tau);
      Ntt(w->c);

      // Each polynomial's norm check is declassified as soon as it is known and a failure stops
      // the iteration: which polynomial of a discarded candidate failed says nothing about the
      // key (each coefficient's rejection probability is independent of it), and skipping the
      // rest saves inverse NTTs on the ~4 of 5 iterations that are rejected.
      std::uint32_t reject = 0;
      for (int i = 0; i < L && !reject; ++i) {
        PointwiseMont(w->z[i], w->c, e->s1[i]);
        InvNttToMont(w->z[i]);
        for (int j = 0; j < kN; ++j) w->z[i].c[j] = Reduce32(w->z[i].c[j] + w->y[i].c[j]);
        reject = NormExceeds(w->z[i], kGamma1 - Beta);
        ct::Declassify(&reject, sizeof(reject));
      }
      if (reject) continue;
      for (int i = 0; i < K && !reject; ++i) {
        PointwiseMont(w->h[i], w->c, e->s2[i]);
        InvNttToMont(w->h[i]);
        for (int j = 0; j < kN; ++j) w->w0[i].c[j] = Reduce32(w->w0[i].c[j] - w->h[i].c[j]);
        reject = NormExceeds(w->w0[i], kGamma2 - Beta);
        ct::Declassify(&reject, sizeof(reject));
      }
      if (reject) continue;
      std::uint32_t hints = 0;
      for (int i = 0; i < K; ++i) {
        PointwiseMont(w->h[i], w->c, e->t0[i]);
        InvNttToMont(w->h[i]);
        PolyReduce(w->h[i]);
        reject |= NormExceeds(w->h[i], kGamma2);
        for (int j = 0; j < kN; ++j) {
          const std::int32_t a0 = w->w0[i].c[j] + w->h[i].c[j];
          const std::int32_t a1 = w->w1[i].c[j];
          // hint = a0 > g2 || a0 < -g2 || (a0 == -g2 && a1 != 0), branch-free.
          const auto gt = static_cast<std::uint32_t>(kGamma2 - a0) >> 31;
          const auto lt = static_cast<std::uint32_t>(a0 + kGamma2) >> 31;
          const std::uint32_t eq = ~ct::NonZeroMask(static_cast<std::uint32_t>(a0 + kGamma2)) &
                                   ct::NonZeroMask(static_cast<std::uint32_t>(a1)) & 1u;
          const std::uint32_t bit = gt | lt | eq;
          w->h[i].c[j] = static_cast<std::int32_t>(bit);
          hints += bit;
        }
      }
      reject |= static_cast<std::uint32_t>(Omega - static_cast<std::int32_t>(hints)) >> 31;
      ct::Declassify(&reject, sizeof(reject));
      if (reject) continue;
      // Accepted: z and h are the public signature.
      std::uint8_t* p = sig + kCTilde;
      for (int i = 0; i < L; ++i, p += kZPolyBytes) PackOffset<kZBits>(p, w->z[i], kGamma1);
      for (int i = 0; i < K; ++i) ct::Declassify(w->h[i].c, sizeof(w->h[i].c));
      std::memset(p, 0, Omega + K);
      int idx = 0;
      for (int i = 0; i < K; ++i) {
        for (int j = 0; j < kN; ++j) {
          if (w->h[i].c[j] != 0) p[idx++] = static_cast<std::uint8_t>(j);
        }
        p[Omega + i] = static_cast<std::uint8_t>(idx);
      }
      ct::Declassify(sig, kSigBytes);
      SecureWipe(rhopp, sizeof(rhopp));
      return true;
    }
  }

  static bool VerifyMu(const std::uint8_t* pk, const std::uint8_t mu[64], const std::uint8_t* sig) {
    const std::uint8_t* ctilde = sig;
    struct Work {
      Poly z[L], t1[K], h[K], w[K], c;
      Matrix m;
    };
    auto w = std::make_unique<Work>();
    const std::uint8_t* p = sig + kCTilde;
    for (int i = 0; i < L; ++i, p += kZPolyBytes) {
      UnpackOffset<kZBits>(w->z[i], p, kGamma1);
      if (NormExceeds(w->z[i], kGamma1 - Beta)) return false;
    }
    // HintBitUnpack (Alg. 21) with its malformation checks.
    int idx = 0;
    for (int i = 0; i < K; ++i) {
      std::memset(w->h[i].c, 0, sizeof(w->h[i].c));
      const int end = p[Omega + i];
      if (end < idx || end > Omega) return false;
      for (int j = idx; j < end; ++j) {
        if (j > idx && p[j - 1] >= p[j]) return false;
        w->h[i].c[p[j]] = 1;
      }
      idx = end;
    }
    for (int j = idx; j < Omega; ++j) {
      if (p[j] != 0) return false;
    }
    ExpandA(w->m, pk);
    for (int i = 0; i < K; ++i) {
      std::uint32_t v[kN];
      Unpack<10>(v, pk + 32 + 320 * i);
      for (int j = 0; j < kN; ++j) w->t1[i].c[j] = static_cast<std::int32_t>(v[j] << kD);
      Ntt(w->t1[i]);
    }
    SampleInBall(w->c, ctilde, kCTilde, Tau);
    Ntt(w->c);
    for (int i = 0; i < L; ++i) Ntt(w->z[i]);
    MatVec(w->w, w->m, w->z);
    std::uint8_t w1packed[K * kW1PolyBytes];
    for (int i = 0; i < K; ++i) {
      Poly ct1;
      PointwiseMont(ct1, w->c, w->t1[i]);
      for (int j = 0; j < kN; ++j) w->w[i].c[j] = Reduce32(w->w[i].c[j] - ct1.c[j]);
      InvNttToMont(w->w[i]);
      PolyCAddQ(w->w[i]);
      Poly w1;
      for (int j = 0; j < kN; ++j) w1.c[j] = UseHint(w->w[i].c[j], w->h[i].c[j]);
      PackW1(w1packed + i * kW1PolyBytes, w1);
    }
    std::uint8_t c2[kCTilde];
    Keccak ch(Keccak::Kind::kShake256);
    ch.Absorb(mu, 64);
    ch.Absorb(w1packed, sizeof(w1packed));
    ch.Squeeze(c2, kCTilde);
    return std::memcmp(c2, ctilde, kCTilde) == 0;
  }
};

using Dsa44 = Dsa<4, 4, 2, 39, 78, 17, 88, 80, 128>;
using Dsa65 = Dsa<6, 5, 4, 49, 196, 19, 32, 55, 192>;
using Dsa87 = Dsa<8, 7, 2, 60, 120, 19, 32, 75, 256>;

template <typename F>
auto Dispatch(Param p, F&& f) {
  switch (p) {
    case Param::kMlDsa44:
      return f(Dsa44{});
    case Param::kMlDsa87:
      return f(Dsa87{});
    case Param::kMlDsa65:
      break;
  }
  return f(Dsa65{});
}

struct PreHashInfo {
  const char* acvp;
  const char* evp;
  std::uint8_t oid_last;
  std::size_t out_len;
};
constexpr PreHashInfo kPreHashes[] = {
    {"SHA2-224", "SHA224", 0x04, 28},         {"SHA2-256", "SHA256", 0x01, 32},
    {"SHA2-384", "SHA384", 0x02, 48},         {"SHA2-512", "SHA512", 0x03, 64},
    {"SHA2-512/224", "SHA512-224", 0x05, 28}, {"SHA2-512/256", "SHA512-256", 0x06, 32},
    {"SHA3-224", "SHA3-224", 0x07, 28},       {"SHA3-256", "SHA3-256", 0x08, 32},
    {"SHA3-384", "SHA3-384", 0x09, 48},       {"SHA3-512", "SHA3-512", 0x0a, 64},
    {"SHAKE-128", "SHAKE128", 0x0b, 32},      {"SHAKE-256", "SHAKE256", 0x0c, 64},
};

// mu = H(tr || M', 64) with M' = prefix || message, tr = H(pk, 64) or taken from sk.
void ComputeMu(std::uint8_t mu[64], const std::uint8_t tr[64], ByteView prefix, ByteView message) {
  Keccak h(Keccak::Kind::kShake256);
  h.Absorb(tr, 64);
  h.Absorb(prefix);
  h.Absorb(message);
  h.Squeeze(mu, 64);
}

Result<Bytes> BuildPrefix(std::uint8_t domain, ByteView ctx) {
  if (ctx.size() > kMaxContext) {
    return Status::InvalidArgument("ML-DSA context string longer than 255 bytes");
  }
  Bytes prefix = {domain, static_cast<std::uint8_t>(ctx.size())};
  prefix.insert(prefix.end(), ctx.begin(), ctx.end());
  return prefix;
}

Result<Bytes> HashForSigning(PreHash ph, ByteView message, Bytes& prefix) {
  const PreHashInfo& info = kPreHashes[static_cast<int>(ph)];
  ENTENTE_ASSIGN_OR_RETURN(Bytes digest, EvpDigest(info.evp, message, info.out_len));
  const std::uint8_t oid[11] = {0x06, 0x09, 0x60, 0x86, 0x48,         0x01,
                                0x65, 0x03, 0x04, 0x02, info.oid_last};
  prefix.insert(prefix.end(), oid, oid + 11);
  return digest;
}

Result<Bytes> RndFor(const SignOptions& options) {
  Bytes rnd(32, 0);
  if (options.rnd) {
    if (options.rnd->size() != 32) return Status::InvalidArgument("ML-DSA rnd must be 32 bytes");
    rnd = *options.rnd;
  } else if (!options.deterministic) {
    if (RAND_priv_bytes(rnd.data(), 32) != 1)
      return Status::Internal("OpenSSL RAND_priv_bytes failed");
  }
  return rnd;
}

Result<Bytes> SignWithPrefix(Param param, ByteView sk, ByteView prefix, ByteView message,
                             ByteView rnd) {
  return Dispatch(param, [&](auto dsa) -> Result<Bytes> {
    using T = decltype(dsa);
    if (sk.size() != T::kSkBytes) {
      return Status::InvalidArgument(std::string(Name(param)) + " private key must be " +
                                     std::to_string(T::kSkBytes) + " bytes");
    }
    if (rnd.size() != 32) return Status::InvalidArgument("ML-DSA rnd must be 32 bytes");
    std::uint8_t mu[64];
    ComputeMu(mu, sk.data() + 64, prefix, message);
    Bytes sig(T::kSigBytes);
    if (!T::SignMu(sig.data(), sk.data(), mu, rnd.data())) {
      return Status::InvalidArgument(std::string(Name(param)) + " private key is malformed");
    }
    return sig;
  });
}

bool VerifyWithPrefix(Param param, ByteView pk, ByteView prefix, ByteView message,
                      ByteView sig) noexcept {
  return Dispatch(param, [&](auto dsa) {
    using T = decltype(dsa);
    if (pk.size() != T::kPkBytes || sig.size() != T::kSigBytes) return false;
    std::uint8_t tr[64], mu[64];
    Shake256(pk, tr, 64);
    ComputeMu(mu, tr, prefix, message);
    return T::VerifyMu(pk.data(), mu, sig.data());
  });
}

}  // namespace

Sizes SizesOf(Param param) noexcept {
  return Dispatch(param, [](auto dsa) {
    using T = decltype(dsa);
    return Sizes{T::kPkBytes, T::kSkBytes, T::kSigBytes};
  });
}

std::string_view Name(Param param) noexcept {
  switch (param) {
    case Param::kMlDsa44:
      return "ML-DSA-44";
    case Param::kMlDsa65:
      return "ML-DSA-65";
    case Param::kMlDsa87:
      return "ML-DSA-87";
  }
  return "ML-DSA-?";
}

Result<Param> ParseParam(std::string_view text) {
  if (text.starts_with("ML-DSA-")) text.remove_prefix(7);
  if (text == "44") return Param::kMlDsa44;
  if (text == "65") return Param::kMlDsa65;
  if (text == "87") return Param::kMlDsa87;
  return Status::InvalidArgument("unknown ML-DSA parameter set '" + std::string(text) +
                                 "' (expected 44, 65 or 87)");
}

Result<PreHash> ParsePreHash(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kPreHashes); ++i) {
    if (name == kPreHashes[i].acvp) return static_cast<PreHash>(i);
  }
  return Status::InvalidArgument("unknown HashML-DSA pre-hash '" + std::string(name) + "'");
}

Result<KeyPair> KeyGenFromSeed(Param param, ByteView seed) {
  if (seed.size() != kSeedBytes) return Status::InvalidArgument("ML-DSA seed must be 32 bytes");
  return Dispatch(param, [&](auto dsa) -> Result<KeyPair> {
    using T = decltype(dsa);
    KeyPair kp;
    kp.pk.resize(T::kPkBytes);
    kp.sk = SecretBytes(T::kSkBytes);
    T::KeyGen(kp.pk.data(), kp.sk.data(), seed.data());
    return kp;
  });
}

Result<KeyPair> KeyGen(Param param, SecretBytes* seed_out) {
  SecretBytes seed(kSeedBytes);
  if (RAND_priv_bytes(seed.data(), 32) != 1)
    return Status::Internal("OpenSSL RAND_priv_bytes failed");
  auto kp = KeyGenFromSeed(param, seed.view());
  if (seed_out != nullptr) *seed_out = std::move(seed);
  return kp;
}

Result<Bytes> Sign(Param param, ByteView sk, ByteView message, ByteView ctx,
                   const SignOptions& options) {
  ENTENTE_ASSIGN_OR_RETURN(Bytes prefix, BuildPrefix(0, ctx));
  ENTENTE_ASSIGN_OR_RETURN(Bytes rnd, RndFor(options));
  return SignWithPrefix(param, sk, prefix, message, rnd);
}

bool Verify(Param param, ByteView pk, ByteView message, ByteView sig, ByteView ctx) noexcept {
  if (ctx.size() > kMaxContext) return false;
  std::uint8_t prefix[2 + kMaxContext] = {0, static_cast<std::uint8_t>(ctx.size())};
  if (!ctx.empty()) std::memcpy(prefix + 2, ctx.data(), ctx.size());
  return VerifyWithPrefix(param, pk, ByteView(prefix, 2 + ctx.size()), message, sig);
}

Result<Bytes> HashSign(Param param, ByteView sk, ByteView message, PreHash ph, ByteView ctx,
                       const SignOptions& options) {
  ENTENTE_ASSIGN_OR_RETURN(Bytes prefix, BuildPrefix(1, ctx));
  ENTENTE_ASSIGN_OR_RETURN(Bytes digest, HashForSigning(ph, message, prefix));
  ENTENTE_ASSIGN_OR_RETURN(Bytes rnd, RndFor(options));
  return SignWithPrefix(param, sk, prefix, digest, rnd);
}

bool HashVerify(Param param, ByteView pk, ByteView message, ByteView sig, PreHash ph,
                ByteView ctx) noexcept {
  auto prefix = BuildPrefix(1, ctx);
  if (!prefix.ok()) return false;
  auto digest = HashForSigning(ph, message, prefix.value());
  if (!digest.ok()) return false;
  return VerifyWithPrefix(param, pk, prefix.value(), digest.value(), sig);
}

Result<Bytes> SignInternal(Param param, ByteView sk, ByteView message, ByteView rnd,
                           std::optional<ByteView> mu) {
  if (!mu) return SignWithPrefix(param, sk, {}, message, rnd);
  if (mu->size() != 64) return Status::InvalidArgument("ML-DSA external mu must be 64 bytes");
  return Dispatch(param, [&](auto dsa) -> Result<Bytes> {
    using T = decltype(dsa);
    if (sk.size() != T::kSkBytes || rnd.size() != 32) {
      return Status::InvalidArgument("ML-DSA SignInternal: bad sk or rnd length");
    }
    Bytes sig(T::kSigBytes);
    if (!T::SignMu(sig.data(), sk.data(), mu->data(), rnd.data())) {
      return Status::InvalidArgument(std::string(Name(param)) + " private key is malformed");
    }
    return sig;
  });
}

bool VerifyInternal(Param param, ByteView pk, ByteView message, ByteView sig,
                    std::optional<ByteView> mu) noexcept {
  if (!mu) return VerifyWithPrefix(param, pk, {}, message, sig);
  if (mu->size() != 64) return false;
  return Dispatch(param, [&](auto dsa) {
    using T = decltype(dsa);
    if (pk.size() != T::kPkBytes || sig.size() != T::kSigBytes) return false;
    return T::VerifyMu(pk.data(), mu->data(), sig.data());
  });
}

bool CheckPublicKey(Param param, ByteView pk) noexcept {
  return pk.size() == SizesOf(param).pk;  // every 10-bit t1 value is a valid encoding
}

}  // namespace entente::crypto::mldsa
