// ML-KEM after FIPS 203: NTT over Z_3329 with Montgomery and Barrett reduction, arithmetic in
// int16 lanes, division-free compression (no `/` on secrets: compilers may emit a variable-time
// divide), and masks instead of branches wherever a value depends on a secret.
#include "entente/crypto/mlkem.h"

#include <openssl/rand.h>

#include <array>
#include <cstring>

#include "ct.h"
#include "entente/crypto/sha3.h"

namespace entente::crypto::mlkem {
namespace {

constexpr int kN = 256;
constexpr int kQ = 3329;
constexpr std::int16_t kQinv = -3327;  // q^-1 mod 2^16
constexpr std::size_t kPolyBytes = 384;

struct Poly {
  std::int16_t c[kN];
};

// --- modular arithmetic -----------------------------------------------------------------------

inline std::int16_t MontgomeryReduce(std::int32_t a) noexcept {
  const auto t = static_cast<std::int16_t>(static_cast<std::int16_t>(a) * kQinv);
  return static_cast<std::int16_t>((a - static_cast<std::int32_t>(t) * kQ) >> 16);
}
// Centered representative of a mod q, for |a| < 2^15.
inline std::int16_t BarrettReduce(std::int16_t a) noexcept {
  constexpr std::int32_t v = ((1 << 26) + kQ / 2) / kQ;
  const auto t = static_cast<std::int16_t>((v * a + (1 << 25)) >> 26);
  return static_cast<std::int16_t>(a - t * kQ);
}
inline std::int16_t FqMul(std::int16_t a, std::int16_t b) noexcept {
  return MontgomeryReduce(static_cast<std::int32_t>(a) * b);
}
// [0, q) from (-q, q).
inline std::uint16_t ToCanonical(std::int16_t a) noexcept {
  a = static_cast<std::int16_t>(a + ((a >> 15) & kQ));
  return static_cast<std::uint16_t>(a);
}

constexpr std::array<std::int16_t, 128> MakeZetas() {
  std::array<std::int16_t, 128> z{};
  for (int i = 0; i < 128; ++i) {
    int br = 0;
    for (int b = 0; b < 7; ++b) br |= ((i >> b) & 1) << (6 - b);
    std::int64_t v = 1;
    for (int e = 0; e < br; ++e) v = v * 17 % kQ;
    v = v * 2285 % kQ;  // to Montgomery form, R = 2^16 mod q = 2285
    if (v > kQ / 2) v -= kQ;
    z[i] = static_cast<std::int16_t>(v);
  }
  return z;
}
constexpr std::array<std::int16_t, 128> kZetas = MakeZetas();

void Ntt(Poly& p) noexcept {
  std::int16_t* r = p.c;
  unsigned k = 1;
  for (unsigned len = 128; len >= 2; len >>= 1) {
    for (unsigned start = 0; start < 256; start += 2 * len) {
      const std::int16_t zeta = kZetas[k++];
      for (unsigned j = start; j < start + len; ++j) {
        const std::int16_t t = FqMul(zeta, r[j + len]);
        r[j + len] = static_cast<std::int16_t>(r[j] - t);
        r[j] = static_cast<std::int16_t>(r[j] + t);
      }
    }
  }
  for (int i = 0; i < kN; ++i) r[i] = BarrettReduce(r[i]);
}

// Inverse NTT, leaving the result multiplied by the Montgomery factor 2^16.
void InvNttToMont(Poly& p) noexcept {
  std::int16_t* r = p.c;
  constexpr std::int16_t f = 1441;  // 2^32 / 128 mod q
  unsigned k = 127;
  for (unsigned len = 2; len <= 128; len <<= 1) {
    for (unsigned start = 0; start < 256; start += 2 * len) {
      const std::int16_t zeta = kZetas[k--];
      for (unsigned j = start; j < start + len; ++j) {
        const std::int16_t t = r[j];
        r[j] = BarrettReduce(static_cast<std::int16_t>(t + r[j + len]));
        r[j + len] = FqMul(zeta, static_cast<std::int16_t>(r[j + len] - t));
      }
    }
  }
  for (int j = 0; j < kN; ++j) r[j] = FqMul(r[j], f);
}

// r += a * b in the NTT domain (pairs of degree-1 products), in Montgomery form.
inline void BaseMulAcc(std::int32_t acc[kN], const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < 64; ++i) {
    const std::int16_t zeta = kZetas[64 + i];
    for (int s = 0; s < 2; ++s) {
      const int o = 4 * i + 2 * s;
      const std::int16_t z = s == 0 ? zeta : static_cast<std::int16_t>(-zeta);
      const std::int16_t a0 = a.c[o], a1 = a.c[o + 1], b0 = b.c[o], b1 = b.c[o + 1];
      acc[o] += FqMul(FqMul(a1, b1), z) + FqMul(a0, b0);
      acc[o + 1] += FqMul(a0, b1) + FqMul(a1, b0);
    }
  }
}

template <int K>
void InnerProduct(Poly& r, const Poly a[K], const Poly b[K]) noexcept {
  std::int32_t acc[kN] = {};
  for (int i = 0; i < K; ++i) BaseMulAcc(acc, a[i], b[i]);
  for (int j = 0; j < kN; ++j) r.c[j] = BarrettReduce(static_cast<std::int16_t>(acc[j]));
}

inline void PolyToMont(Poly& p) noexcept {
  constexpr std::int16_t f = static_cast<std::int16_t>((1ULL << 32) % kQ);
  for (auto& c : p.c) c = FqMul(c, f);
}
inline void PolyAdd(Poly& r, const Poly& a) noexcept {
  for (int i = 0; i < kN; ++i) r.c[i] = static_cast<std::int16_t>(r.c[i] + a.c[i]);
}
inline void PolyReduce(Poly& r) noexcept {
  for (auto& c : r.c) c = BarrettReduce(c);
}

// --- encodings ----------------------------------------------------------------------------------

void PolyToBytes(std::uint8_t out[kPolyBytes], const Poly& a) noexcept {
  for (int i = 0; i < kN / 2; ++i) {
    const std::uint16_t t0 = ToCanonical(a.c[2 * i]);
    const std::uint16_t t1 = ToCanonical(a.c[2 * i + 1]);
    out[3 * i] = static_cast<std::uint8_t>(t0);
    out[3 * i + 1] = static_cast<std::uint8_t>((t0 >> 8) | (t1 << 4));
    out[3 * i + 2] = static_cast<std::uint8_t>(t1 >> 4);
  }
}
// ByteDecode12; values may be up to 4095 (the §7.2 check catches that for keys).
void PolyFromBytes(Poly& r, const std::uint8_t in[kPolyBytes]) noexcept {
  for (int i = 0; i < kN / 2; ++i) {
    r.c[2 * i] = static_cast<std::int16_t>((in[3 * i] | (in[3 * i + 1] << 8)) & 0xfff);
    r.c[2 * i + 1] =
        static_cast<std::int16_t>(((in[3 * i + 1] >> 4) | (in[3 * i + 2] << 4)) & 0xfff);
  }
}

// Compress_d(x) = round(2^d x / q) mod 2^d for x in [0, q), as a multiply-shift: floor(n / 2q)
// with n = 2^(d+1) x + q < 2^25 equals (n * ceil(2^48 / 2q)) >> 48 exactly (the error term is
// below 2^-23, less than the 1/2q gap to the next integer).
inline std::uint32_t Compress(std::uint16_t x, int d) noexcept {
  constexpr std::uint64_t kM = ((1ULL << 48) + 2 * kQ - 1) / (2 * kQ);
  const std::uint64_t n = (static_cast<std::uint64_t>(x) << (d + 1)) + kQ;
  return static_cast<std::uint32_t>((n * kM) >> 48) & ((1u << d) - 1);
}
inline std::int16_t Decompress(std::uint32_t y, int d) noexcept {
  return static_cast<std::int16_t>((y * kQ + (1u << (d - 1))) >> d);
}

void PackCompressed(std::uint8_t* out, const Poly& a, int d) noexcept {
  std::uint64_t acc = 0;
  int bits = 0;
  for (int i = 0; i < kN; ++i) {
    acc |= static_cast<std::uint64_t>(Compress(ToCanonical(BarrettReduce(a.c[i])), d)) << bits;
    bits += d;
    while (bits >= 8) {
      *out++ = static_cast<std::uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
}
void UnpackDecompressed(Poly& r, const std::uint8_t* in, int d) noexcept {
  std::uint64_t acc = 0;
  int bits = 0;
  const std::uint32_t mask = (1u << d) - 1;
  for (int i = 0; i < kN; ++i) {
    while (bits < d) {
      acc |= static_cast<std::uint64_t>(*in++) << bits;
      bits += 8;
    }
    r.c[i] = Decompress(static_cast<std::uint32_t>(acc) & mask, d);
    acc >>= d;
    bits -= d;
  }
}

void PolyFromMsg(Poly& r, const std::uint8_t msg[32]) noexcept {
  for (int i = 0; i < 32; ++i) {
    for (int j = 0; j < 8; ++j) {
      const std::uint32_t bit = (msg[i] >> j) & 1;
      const auto mask = static_cast<std::int16_t>(-static_cast<std::int32_t>(bit));
      r.c[8 * i + j] = static_cast<std::int16_t>(mask & ((kQ + 1) / 2));
    }
  }
}
void PolyToMsg(std::uint8_t msg[32], const Poly& a) noexcept {
  for (int i = 0; i < 32; ++i) {
    std::uint8_t byte = 0;
    for (int j = 0; j < 8; ++j) {
      byte = static_cast<std::uint8_t>(byte | (Compress(ToCanonical(a.c[8 * i + j]), 1) << j));
    }
    msg[i] = byte;
  }
}

// --- sampling -----------------------------------------------------------------------------------

// SampleNTT (Alg. 7) from SHAKE128(rho || j || i): rejection on public data.
void SampleNtt(Poly& r, const std::uint8_t rho[32], std::uint8_t j, std::uint8_t i) noexcept {
  Keccak xof(Keccak::Kind::kShake128);
  xof.Absorb(rho, 32);
  const std::uint8_t ji[2] = {j, i};
  xof.Absorb(ji, 2);
  std::uint8_t buf[168 * 3];
  xof.Squeeze(buf, sizeof(buf));
  std::size_t len = sizeof(buf);
  std::size_t pos = 0;
  int n = 0;
  while (n < kN) {
    if (pos + 3 > len) {
      xof.Squeeze(buf, 168);
      len = 168;
      pos = 0;
    }
    const std::uint16_t d1 = static_cast<std::uint16_t>(buf[pos] | ((buf[pos + 1] & 0x0f) << 8));
    const std::uint16_t d2 = static_cast<std::uint16_t>((buf[pos + 1] >> 4) | (buf[pos + 2] << 4));
    pos += 3;
    if (d1 < kQ) r.c[n++] = static_cast<std::int16_t>(d1);
    if (d2 < kQ && n < kN) r.c[n++] = static_cast<std::int16_t>(d2);
  }
}

// SamplePolyCBD_eta(PRF_eta(s, b)) (Alg. 8).
void SampleCbd(Poly& r, const std::uint8_t seed[32], std::uint8_t nonce, int eta) noexcept {
  std::uint8_t buf[64 * 3];
  Keccak prf(Keccak::Kind::kShake256);
  prf.Absorb(seed, 32);
  prf.AbsorbByte(nonce);
  prf.Squeeze(buf, 64 * static_cast<std::size_t>(eta));
  if (eta == 2) {
    for (int i = 0; i < kN / 8; ++i) {
      std::uint32_t t;
      std::memcpy(&t, buf + 4 * i, 4);
      std::uint32_t d = (t & 0x55555555u) + ((t >> 1) & 0x55555555u);
      for (int j = 0; j < 8; ++j) {
        const auto a = static_cast<std::int16_t>((d >> (4 * j)) & 3);
        const auto b = static_cast<std::int16_t>((d >> (4 * j + 2)) & 3);
        r.c[8 * i + j] = static_cast<std::int16_t>(a - b);
      }
    }
  } else {
    for (int i = 0; i < kN / 4; ++i) {
      const std::uint32_t t = buf[3 * i] | (buf[3 * i + 1] << 8) | (buf[3 * i + 2] << 16);
      std::uint32_t d = (t & 0x249249u) + ((t >> 1) & 0x249249u) + ((t >> 2) & 0x249249u);
      for (int j = 0; j < 4; ++j) {
        const auto a = static_cast<std::int16_t>((d >> (6 * j)) & 7);
        const auto b = static_cast<std::int16_t>((d >> (6 * j + 3)) & 7);
        r.c[4 * i + j] = static_cast<std::int16_t>(a - b);
      }
    }
  }
  SecureWipe(buf, sizeof(buf));
}

// --- K-PKE and the KEM, per parameter set ------------------------------------------------------

template <int K>
struct Params;
template <>
struct Params<2> {
  static constexpr int kEta1 = 3, kDu = 10, kDv = 4;
};
template <>
struct Params<3> {
  static constexpr int kEta1 = 2, kDu = 10, kDv = 4;
};
template <>
struct Params<4> {
  static constexpr int kEta1 = 2, kDu = 11, kDv = 5;
};

template <int K>
struct Kem {
  static constexpr int kEta1 = Params<K>::kEta1;
  static constexpr int kEta2 = 2;
  static constexpr int kDu = Params<K>::kDu;
  static constexpr int kDv = Params<K>::kDv;
  static constexpr std::size_t kEkBytes = kPolyBytes * K + 32;
  static constexpr std::size_t kDkPkeBytes = kPolyBytes * K;
  static constexpr std::size_t kDkBytes = kDkPkeBytes + kEkBytes + 64;
  static constexpr std::size_t kCtBytes = 32 * (kDu * K + kDv);

  // Secrets are held in these and wiped on exit.
  struct Scratch {
    Poly s[K], e[K], t[K];
    Poly a[K][K];
    ~Scratch() { SecureWipe(this, sizeof(*this)); }
  };

  static void GenMatrix(Poly a[K][K], const std::uint8_t rho[32], bool transposed) noexcept {
    for (int i = 0; i < K; ++i) {
      for (int j = 0; j < K; ++j) {
        if (transposed) {
          SampleNtt(a[i][j], rho, static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(j));
        } else {
          SampleNtt(a[i][j], rho, static_cast<std::uint8_t>(j), static_cast<std::uint8_t>(i));
        }
      }
    }
  }

  // K-PKE.KeyGen (Alg. 13): writes ek and dk_pke.
  static void PkeKeyGen(std::uint8_t* ek, std::uint8_t* dk_pke, const std::uint8_t d[32]) {
    std::uint8_t g[64];
    Keccak h(Keccak::Kind::kSha3_512);
    h.Absorb(d, 32);
    h.AbsorbByte(K);
    h.Digest(g);
    const std::uint8_t* rho = g;
    const std::uint8_t* sigma = g + 32;
    ct::Declassify(rho, 32);  // rho is part of the public key
    Scratch w;
    GenMatrix(w.a, rho, false);
    std::uint8_t nonce = 0;
    for (int i = 0; i < K; ++i) SampleCbd(w.s[i], sigma, nonce++, kEta1);
    for (int i = 0; i < K; ++i) SampleCbd(w.e[i], sigma, nonce++, kEta1);
    for (int i = 0; i < K; ++i) Ntt(w.s[i]);
    for (int i = 0; i < K; ++i) Ntt(w.e[i]);
    for (int i = 0; i < K; ++i) {
      InnerProduct<K>(w.t[i], w.a[i], w.s);
      PolyToMont(w.t[i]);
      PolyAdd(w.t[i], w.e[i]);
      PolyReduce(w.t[i]);
      PolyToBytes(ek + i * kPolyBytes, w.t[i]);
      PolyToBytes(dk_pke + i * kPolyBytes, w.s[i]);
    }
    std::memcpy(ek + K * kPolyBytes, rho, 32);
    ct::Declassify(ek, kEkBytes);
    SecureWipe(g, sizeof(g));
  }

  // K-PKE.Encrypt (Alg. 14).
  static void PkeEncrypt(std::uint8_t* c, const std::uint8_t* ek, const std::uint8_t m[32],
                         const std::uint8_t r[32]) {
    Scratch w;  // s: t-hat, t: y, e: u
    Poly v, mp, e2, tmp;
    for (int i = 0; i < K; ++i) PolyFromBytes(w.s[i], ek + i * kPolyBytes);
    const std::uint8_t* rho = ek + K * kPolyBytes;
    GenMatrix(w.a, rho, true);
    std::uint8_t nonce = 0;
    for (int i = 0; i < K; ++i) SampleCbd(w.t[i], r, nonce++, kEta1);
    for (int i = 0; i < K; ++i) SampleCbd(w.e[i], r, nonce++, kEta2);
    SampleCbd(e2, r, nonce++, kEta2);
    for (int i = 0; i < K; ++i) Ntt(w.t[i]);
    for (int i = 0; i < K; ++i) {
      InnerProduct<K>(tmp, w.a[i], w.t);
      InvNttToMont(tmp);
      PolyAdd(tmp, w.e[i]);
      PackCompressed(c + i * 32 * kDu, tmp, kDu);
    }
    InnerProduct<K>(v, w.s, w.t);
    InvNttToMont(v);
    PolyAdd(v, e2);
    PolyFromMsg(mp, m);
    PolyAdd(v, mp);
    PackCompressed(c + K * 32 * kDu, v, kDv);
    SecureWipe(&v, sizeof(v));
    SecureWipe(&mp, sizeof(mp));
    SecureWipe(&e2, sizeof(e2));
    SecureWipe(&tmp, sizeof(tmp));
  }

  // K-PKE.Decrypt (Alg. 15).
  static void PkeDecrypt(std::uint8_t m[32], const std::uint8_t* dk_pke, const std::uint8_t* c) {
    Poly u[K], s[K], v, w;
    for (int i = 0; i < K; ++i) {
      UnpackDecompressed(u[i], c + i * 32 * kDu, kDu);
      Ntt(u[i]);
      PolyFromBytes(s[i], dk_pke + i * kPolyBytes);
    }
    UnpackDecompressed(v, c + K * 32 * kDu, kDv);
    InnerProduct<K>(w, s, u);
    InvNttToMont(w);
    for (int i = 0; i < kN; ++i) w.c[i] = BarrettReduce(static_cast<std::int16_t>(v.c[i] - w.c[i]));
    PolyToMsg(m, w);
    SecureWipe(s, sizeof(s));
    SecureWipe(&w, sizeof(w));
  }

  static void KeyGen(std::uint8_t* ek, std::uint8_t* dk, const std::uint8_t d[32],
                     const std::uint8_t z[32]) {
    PkeKeyGen(ek, dk, d);
    std::memcpy(dk + kDkPkeBytes, ek, kEkBytes);
    Sha3_256(ByteView(ek, kEkBytes), dk + kDkPkeBytes + kEkBytes);
    std::memcpy(dk + kDkPkeBytes + kEkBytes + 32, z, 32);
  }

  static void Encaps(std::uint8_t* c, std::uint8_t ss[32], const std::uint8_t* ek,
                     const std::uint8_t m[32]) {
    std::uint8_t kr[64];
    Keccak g(Keccak::Kind::kSha3_512);
    g.Absorb(m, 32);
    std::uint8_t h[32];
    Sha3_256(ByteView(ek, kEkBytes), h);
    g.Absorb(h, 32);
    g.Digest(kr);
    PkeEncrypt(c, ek, m, kr + 32);
    ct::Declassify(c, kCtBytes);
    std::memcpy(ss, kr, 32);
    SecureWipe(kr, sizeof(kr));
  }

  static void Decaps(std::uint8_t ss[32], const std::uint8_t* dk, const std::uint8_t* c) {
    const std::uint8_t* dk_pke = dk;
    const std::uint8_t* ek = dk + kDkPkeBytes;
    const std::uint8_t* h = ek + kEkBytes;
    const std::uint8_t* z = h + 32;
    std::uint8_t m[32];
    std::uint8_t kr[64];
    std::uint8_t c2[kCtBytes];
    std::uint8_t kbar[32];
    PkeDecrypt(m, dk_pke, c);
    Keccak g(Keccak::Kind::kSha3_512);
    g.Absorb(m, 32);
    g.Absorb(h, 32);
    g.Digest(kr);
    Keccak j(Keccak::Kind::kShake256);
    j.Absorb(z, 32);
    j.Absorb(c, kCtBytes);
    j.Squeeze(kbar, 32);
    PkeEncrypt(c2, ek, m, kr + 32);
    std::uint8_t diff = 0;
    for (std::size_t i = 0; i < kCtBytes; ++i) diff |= static_cast<std::uint8_t>(c[i] ^ c2[i]);
    // keep = 0xff when the re-encryption matches.
    const auto keep = static_cast<std::uint8_t>(~ct::NonZeroMask(diff));
    for (int i = 0; i < 32; ++i) {
      ss[i] = static_cast<std::uint8_t>((kr[i] & keep) | (kbar[i] & ~keep));
    }
    SecureWipe(m, sizeof(m));
    SecureWipe(kr, sizeof(kr));
    SecureWipe(c2, sizeof(c2));
    SecureWipe(kbar, sizeof(kbar));
  }

  static bool CheckEk(const std::uint8_t* ek) noexcept {
    Poly p;
    for (int i = 0; i < K; ++i) {
      PolyFromBytes(p, ek + i * kPolyBytes);
      // ByteEncode12(ByteDecode12(x)) == x iff every 12-bit value is below q.
      for (int b = 0; b < kN; ++b) {
        if (p.c[b] >= kQ) return false;
      }
    }
    return true;
  }

  static bool CheckDk(const std::uint8_t* dk) noexcept {
    std::uint8_t h[32];
    Sha3_256(ByteView(dk + kDkPkeBytes, kEkBytes), h);
    return ConstantTimeEqual(ByteView(h, 32), ByteView(dk + kDkPkeBytes + kEkBytes, 32));
  }
};

int RankOf(Param p) noexcept {
  switch (p) {
    case Param::kMlKem512:
      return 2;
    case Param::kMlKem768:
      return 3;
    case Param::kMlKem1024:
      return 4;
  }
  return 3;
}

template <typename F>
auto Dispatch(Param p, F&& f) {
  switch (p) {
    case Param::kMlKem512:
      return f(Kem<2>{});
    case Param::kMlKem1024:
      return f(Kem<4>{});
    case Param::kMlKem768:
      break;
  }
  return f(Kem<3>{});
}

}  // namespace

Sizes SizesOf(Param param) noexcept {
  return Dispatch(param, [](auto kem) {
    using T = decltype(kem);
    return Sizes{T::kEkBytes, T::kDkBytes, T::kCtBytes};
  });
}

std::string_view Name(Param param) noexcept {
  switch (param) {
    case Param::kMlKem512:
      return "ML-KEM-512";
    case Param::kMlKem768:
      return "ML-KEM-768";
    case Param::kMlKem1024:
      return "ML-KEM-1024";
  }
  return "ML-KEM-?";
}

Result<Param> ParseParam(std::string_view text) {
  if (text.starts_with("ML-KEM-")) text.remove_prefix(7);
  if (text == "512") return Param::kMlKem512;
  if (text == "768") return Param::kMlKem768;
  if (text == "1024") return Param::kMlKem1024;
  return Status::InvalidArgument("unknown ML-KEM parameter set '" + std::string(text) +
                                 "' (expected 512, 768 or 1024)");
}

Result<KeyPair> KeyGenInternal(Param param, ByteView d, ByteView z) {
  if (d.size() != 32 || z.size() != 32) {
    return Status::InvalidArgument("ML-KEM KeyGen: d and z must be 32 bytes each");
  }
  (void)RankOf(param);
  return Dispatch(param, [&](auto kem) -> Result<KeyPair> {
    using T = decltype(kem);
    KeyPair kp;
    kp.ek.resize(T::kEkBytes);
    kp.dk = SecretBytes(T::kDkBytes);
    T::KeyGen(kp.ek.data(), kp.dk.data(), d.data(), z.data());
    return kp;
  });
}

Result<KeyPair> KeyGenFromSeed(Param param, ByteView seed) {
  if (seed.size() != kSeedBytes) {
    return Status::InvalidArgument("ML-KEM seed must be 64 bytes (d || z)");
  }
  return KeyGenInternal(param, seed.subspan(0, 32), seed.subspan(32, 32));
}

Result<KeyPair> KeyGen(Param param, SecretBytes* seed_out) {
  SecretBytes seed(kSeedBytes);
  if (RAND_priv_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    return Status::Internal("OpenSSL RAND_priv_bytes failed");
  }
  auto kp = KeyGenFromSeed(param, seed.view());
  if (seed_out != nullptr) *seed_out = std::move(seed);
  return kp;
}

Result<Encapsulation> EncapsInternal(Param param, ByteView ek, ByteView m) {
  if (m.size() != 32) return Status::InvalidArgument("ML-KEM Encaps: m must be 32 bytes");
  if (!CheckEncapsulationKey(param, ek)) {
    return Status::InvalidArgument(std::string("ML-KEM Encaps: ") + std::string(Name(param)) +
                                   " encapsulation key fails the FIPS 203 input check");
  }
  return Dispatch(param, [&](auto kem) -> Result<Encapsulation> {
    using T = decltype(kem);
    Encapsulation e;
    e.ct.resize(T::kCtBytes);
    e.ss = SecretBytes(kSharedBytes);
    T::Encaps(e.ct.data(), e.ss.data(), ek.data(), m.data());
    return e;
  });
}

Result<Encapsulation> Encaps(Param param, ByteView ek) {
  SecretBytes m(32);
  if (RAND_priv_bytes(m.data(), 32) != 1) return Status::Internal("OpenSSL RAND_priv_bytes failed");
  return EncapsInternal(param, ek, m.view());
}

Result<SecretBytes> Decaps(Param param, ByteView dk, ByteView ct_bytes) {
  const Sizes s = SizesOf(param);
  if (ct_bytes.size() != s.ct) {
    return Status::InvalidArgument("ML-KEM Decaps: ciphertext must be " + std::to_string(s.ct) +
                                   " bytes, got " + std::to_string(ct_bytes.size()));
  }
  if (!CheckDecapsulationKey(param, dk)) {
    return Status::InvalidArgument(std::string("ML-KEM Decaps: ") + std::string(Name(param)) +
                                   " decapsulation key fails the FIPS 203 check");
  }
  SecretBytes ss(kSharedBytes);
  Dispatch(param, [&](auto kem) {
    decltype(kem)::Decaps(ss.data(), dk.data(), ct_bytes.data());
    return 0;
  });
  return ss;
}

bool CheckEncapsulationKey(Param param, ByteView ek) noexcept {
  return Dispatch(param, [&](auto kem) {
    using T = decltype(kem);
    return ek.size() == T::kEkBytes && T::CheckEk(ek.data());
  });
}

bool CheckDecapsulationKey(Param param, ByteView dk) noexcept {
  return Dispatch(param, [&](auto kem) {
    using T = decltype(kem);
    return dk.size() == T::kDkBytes && T::CheckDk(dk.data());
  });
}

}  // namespace entente::crypto::mlkem
