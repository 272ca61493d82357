#include "entente/crypto/sha3.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <string>

namespace entente::crypto {
namespace {

constexpr std::uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

inline std::uint64_t Rotl(std::uint64_t x, unsigned n) noexcept {
  return (x << (n & 63)) | (x >> ((64 - n) & 63));
}

inline std::uint64_t Load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian hosts only (x86-64, arm64); checked below
}
static_assert(std::endian::native == std::endian::little, "Keccak lanes assume little-endian");

}  // namespace

// Two rounds per iteration on 25 local lanes (no state array traffic inside the loop); the
// statements are generated from the FIPS 202 step definitions (theta, rho, pi, chi, iota).
void KeccakF1600(std::uint64_t s[25]) noexcept {
  std::uint64_t a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3], a4 = s[4], a5 = s[5], a6 = s[6],
                a7 = s[7], a8 = s[8], a9 = s[9], a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13],
                a14 = s[14], a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19],
                a20 = s[20], a21 = s[21], a22 = s[22], a23 = s[23], a24 = s[24];
  std::uint64_t e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15, e16, e17, e18,
      e19, e20, e21, e22, e23, e24;
  for (int round = 0; round < 24; round += 2) {
    {
      const std::uint64_t c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
      const std::uint64_t c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
      const std::uint64_t c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
      const std::uint64_t c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
      const std::uint64_t c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
      const std::uint64_t d0 = c4 ^ Rotl(c1, 1);
      const std::uint64_t d1 = c0 ^ Rotl(c2, 1);
      const std::uint64_t d2 = c1 ^ Rotl(c3, 1);
      const std::uint64_t d3 = c2 ^ Rotl(c4, 1);
      const std::uint64_t d4 = c3 ^ Rotl(c0, 1);
      const std::uint64_t b0 = Rotl(a0 ^ d0, 0);
      const std::uint64_t b1 = Rotl(a6 ^ d1, 44);
      const std::uint64_t b2 = Rotl(a12 ^ d2, 43);
      const std::uint64_t b3 = Rotl(a18 ^ d3, 21);
      const std::uint64_t b4 = Rotl(a24 ^ d4, 14);
      const std::uint64_t b5 = Rotl(a3 ^ d3, 28);
      const std::uint64_t b6 = Rotl(a9 ^ d4, 20);
      const std::uint64_t b7 = Rotl(a10 ^ d0, 3);
      const std::uint64_t b8 = Rotl(a16 ^ d1, 45);
      const std::uint64_t b9 = Rotl(a22 ^ d2, 61);
      const std::uint64_t b10 = Rotl(a1 ^ d1, 1);
      const std::uint64_t b11 = Rotl(a7 ^ d2, 6);
      const std::uint64_t b12 = Rotl(a13 ^ d3, 25);
      const std::uint64_t b13 = Rotl(a19 ^ d4, 8);
      const std::uint64_t b14 = Rotl(a20 ^ d0, 18);
      const std::uint64_t b15 = Rotl(a4 ^ d4, 27);
      const std::uint64_t b16 = Rotl(a5 ^ d0, 36);
      const std::uint64_t b17 = Rotl(a11 ^ d1, 10);
      const std::uint64_t b18 = Rotl(a17 ^ d2, 15);
      const std::uint64_t b19 = Rotl(a23 ^ d3, 56);
      const std::uint64_t b20 = Rotl(a2 ^ d2, 62);
      const std::uint64_t b21 = Rotl(a8 ^ d3, 55);
      const std::uint64_t b22 = Rotl(a14 ^ d4, 39);
      const std::uint64_t b23 = Rotl(a15 ^ d0, 41);
      const std::uint64_t b24 = Rotl(a21 ^ d1, 2);
      e0 = b0 ^ (~b1 & b2) ^ kRoundConstants[round];
      e1 = b1 ^ (~b2 & b3);
      e2 = b2 ^ (~b3 & b4);
      e3 = b3 ^ (~b4 & b0);
      e4 = b4 ^ (~b0 & b1);
      e5 = b5 ^ (~b6 & b7);
      e6 = b6 ^ (~b7 & b8);
      e7 = b7 ^ (~b8 & b9);
      e8 = b8 ^ (~b9 & b5);
      e9 = b9 ^ (~b5 & b6);
      e10 = b10 ^ (~b11 & b12);
      e11 = b11 ^ (~b12 & b13);
      e12 = b12 ^ (~b13 & b14);
      e13 = b13 ^ (~b14 & b10);
      e14 = b14 ^ (~b10 & b11);
      e15 = b15 ^ (~b16 & b17);
      e16 = b16 ^ (~b17 & b18);
      e17 = b17 ^ (~b18 & b19);
      e18 = b18 ^ (~b19 & b15);
      e19 = b19 ^ (~b15 & b16);
      e20 = b20 ^ (~b21 & b22);
      e21 = b21 ^ (~b22 & b23);
      e22 = b22 ^ (~b23 & b24);
      e23 = b23 ^ (~b24 & b20);
      e24 = b24 ^ (~b20 & b21);
    }
    {
      const std::uint64_t c0 = e0 ^ e5 ^ e10 ^ e15 ^ e20;
      const std::uint64_t c1 = e1 ^ e6 ^ e11 ^ e16 ^ e21;
      const std::uint64_t c2 = e2 ^ e7 ^ e12 ^ e17 ^ e22;
      const std::uint64_t c3 = e3 ^ e8 ^ e13 ^ e18 ^ e23;
      const std::uint64_t c4 = e4 ^ e9 ^ e14 ^ e19 ^ e24;
      const std::uint64_t d0 = c4 ^ Rotl(c1, 1);
      const std::uint64_t d1 = c0 ^ Rotl(c2, 1);
      const std::uint64_t d2 = c1 ^ Rotl(c3, 1);
      const std::uint64_t d3 = c2 ^ Rotl(c4, 1);
      const std::uint64_t d4 = c3 ^ Rotl(c0, 1);
      const std::uint64_t b0 = Rotl(e0 ^ d0, 0);
      const std::uint64_t b1 = Rotl(e6 ^ d1, 44);
      const std::uint64_t b2 = Rotl(e12 ^ d2, 43);
      const std::uint64_t b3 = Rotl(e18 ^ d3, 21);
      const std::uint64_t b4 = Rotl(e24 ^ d4, 14);
      const std::uint64_t b5 = Rotl(e3 ^ d3, 28);
      const std::uint64_t b6 = Rotl(e9 ^ d4, 20);
      const std::uint64_t b7 = Rotl(e10 ^ d0, 3);
      const std::uint64_t b8 = Rotl(e16 ^ d1, 45);
      const std::uint64_t b9 = Rotl(e22 ^ d2, 61);
      const std::uint64_t b10 = Rotl(e1 ^ d1, 1);
      const std::uint64_t b11 = Rotl(e7 ^ d2, 6);
      const std::uint64_t b12 = Rotl(e13 ^ d3, 25);
      const std::uint64_t b13 = Rotl(e19 ^ d4, 8);
      const std::uint64_t b14 = Rotl(e20 ^ d0, 18);
      const std::uint64_t b15 = Rotl(e4 ^ d4, 27);
      const std::uint64_t b16 = Rotl(e5 ^ d0, 36);
      const std::uint64_t b17 = Rotl(e11 ^ d1, 10);
      const std::uint64_t b18 = Rotl(e17 ^ d2, 15);
      const std::uint64_t b19 = Rotl(e23 ^ d3, 56);
      const std::uint64_t b20 = Rotl(e2 ^ d2, 62);
      const std::uint64_t b21 = Rotl(e8 ^ d3, 55);
      const std::uint64_t b22 = Rotl(e14 ^ d4, 39);
      const std::uint64_t b23 = Rotl(e15 ^ d0, 41);
      const std::uint64_t b24 = Rotl(e21 ^ d1, 2);
      a0 = b0 ^ (~b1 & b2) ^ kRoundConstants[round + 1];
      a1 = b1 ^ (~b2 & b3);
      a2 = b2 ^ (~b3 & b4);
      a3 = b3 ^ (~b4 & b0);
      a4 = b4 ^ (~b0 & b1);
      a5 = b5 ^ (~b6 & b7);
      a6 = b6 ^ (~b7 & b8);
      a7 = b7 ^ (~b8 & b9);
      a8 = b8 ^ (~b9 & b5);
      a9 = b9 ^ (~b5 & b6);
      a10 = b10 ^ (~b11 & b12);
      a11 = b11 ^ (~b12 & b13);
      a12 = b12 ^ (~b13 & b14);
      a13 = b13 ^ (~b14 & b10);
      a14 = b14 ^ (~b10 & b11);
      a15 = b15 ^ (~b16 & b17);
      a16 = b16 ^ (~b17 & b18);
      a17 = b17 ^ (~b18 & b19);
      a18 = b18 ^ (~b19 & b15);
      a19 = b19 ^ (~b15 & b16);
      a20 = b20 ^ (~b21 & b22);
      a21 = b21 ^ (~b22 & b23);
      a22 = b22 ^ (~b23 & b24);
      a23 = b23 ^ (~b24 & b20);
      a24 = b24 ^ (~b20 & b21);
    }
  }
  s[0] = a0;
  s[1] = a1;
  s[2] = a2;
  s[3] = a3;
  s[4] = a4;
  s[5] = a5;
  s[6] = a6;
  s[7] = a7;
  s[8] = a8;
  s[9] = a9;
  s[10] = a10;
  s[11] = a11;
  s[12] = a12;
  s[13] = a13;
  s[14] = a14;
  s[15] = a15;
  s[16] = a16;
  s[17] = a17;
  s[18] = a18;
  s[19] = a19;
  s[20] = a20;
  s[21] = a21;
  s[22] = a22;
  s[23] = a23;
  s[24] = a24;
}

Keccak::Keccak(Kind kind) noexcept {
  std::memset(state_, 0, sizeof(state_));
  switch (kind) {
    case Kind::kSha3_256:
      rate_ = 136;
      domain_ = 0x06;
      break;
    case Kind::kSha3_512:
      rate_ = 72;
      domain_ = 0x06;
      break;
    case Kind::kShake128:
      rate_ = 168;
      domain_ = 0x1f;
      break;
    case Kind::kShake256:
      rate_ = 136;
      domain_ = 0x1f;
      break;
  }
}

Keccak::~Keccak() { SecureWipe(state_, sizeof(state_)); }

void Keccak::Absorb(const std::uint8_t* data, std::size_t size) noexcept {
  auto* bytes = reinterpret_cast<std::uint8_t*>(state_);
  // Finish a partial block byte by byte, then whole lanes.
  while (size > 0 && (pos_ % 8 != 0 || size < 8)) {
    bytes[pos_++] ^= *data++;
    --size;
    if (pos_ == rate_) {
      KeccakF1600(state_);
      pos_ = 0;
    }
  }
  while (size >= 8) {
    state_[pos_ / 8] ^= Load64(data);
    data += 8;
    size -= 8;
    pos_ += 8;
    if (pos_ == rate_) {
      KeccakF1600(state_);
      pos_ = 0;
    }
  }
  while (size > 0) {
    bytes[pos_++] ^= *data++;
    --size;
  }
}

void Keccak::Finalize() noexcept {
  auto* bytes = reinterpret_cast<std::uint8_t*>(state_);
  bytes[pos_] ^= domain_;
  bytes[rate_ - 1] ^= 0x80;
  KeccakF1600(state_);
  pos_ = 0;
  squeezing_ = true;
}

void Keccak::Squeeze(std::uint8_t* out, std::size_t size) noexcept {
  if (!squeezing_) Finalize();
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(state_);
  while (size > 0) {
    if (pos_ == rate_) {
      KeccakF1600(state_);
      pos_ = 0;
    }
    std::size_t n = std::min<std::size_t>(size, rate_ - pos_);
    std::memcpy(out, bytes + pos_, n);
    out += n;
    size -= n;
    pos_ += static_cast<std::uint32_t>(n);
  }
}

void Keccak::Digest(std::uint8_t* out) noexcept { Squeeze(out, (200 - rate_) / 2); }

void Sha3_256(ByteView in, std::uint8_t out[32]) noexcept {
  Keccak k(Keccak::Kind::kSha3_256);
  k.Absorb(in);
  k.Digest(out);
}
void Sha3_512(ByteView in, std::uint8_t out[64]) noexcept {
  Keccak k(Keccak::Kind::kSha3_512);
  k.Absorb(in);
  k.Digest(out);
}
void Shake128(ByteView in, std::uint8_t* out, std::size_t out_len) noexcept {
  Keccak k(Keccak::Kind::kShake128);
  k.Absorb(in);
  k.Squeeze(out, out_len);
}
void Shake256(ByteView in, std::uint8_t* out, std::size_t out_len) noexcept {
  Keccak k(Keccak::Kind::kShake256);
  k.Absorb(in);
  k.Squeeze(out, out_len);
}

Result<Bytes> EvpDigest(const char* name, ByteView in, std::size_t out_len) {
  std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(EVP_MD_fetch(nullptr, name, nullptr),
                                                     &EVP_MD_free);
  if (!md) return Status::Unsupported(std::string("OpenSSL has no digest ") + name);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const bool xof = (EVP_MD_get_flags(md.get()) & EVP_MD_FLAG_XOF) != 0;
  if (!xof && out_len != static_cast<std::size_t>(EVP_MD_get_size(md.get()))) {
    return Status::InvalidArgument(std::string("digest ") + name + " has a fixed output size");
  }
  Bytes out(out_len);
  unsigned int n = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md.get(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), in.data(), in.size()) != 1 ||
      (xof ? EVP_DigestFinalXOF(ctx.get(), out.data(), out_len)
           : EVP_DigestFinal_ex(ctx.get(), out.data(), &n)) != 1) {
    return Status::Internal(std::string("OpenSSL digest ") + name + " failed");
  }
  return out;
}

}  // namespace entente::crypto
