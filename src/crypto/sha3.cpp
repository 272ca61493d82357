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
  return n == 0 ? x : (x << n) | (x >> (64 - n));
}

// Rotation offsets r[x + 5y] and the pi step: lane (x, y) moves to (y, 2x + 3y).
constexpr unsigned kRho[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                               25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};
constexpr unsigned PiDest(unsigned i) { return ((i % 5) * 2 + (i / 5) * 3) % 5 * 5 + (i / 5); }

inline std::uint64_t Load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian hosts only (x86-64, arm64); checked below
}
static_assert(std::endian::native == std::endian::little, "Keccak lanes assume little-endian");

}  // namespace

void KeccakF1600(std::uint64_t a[25]) noexcept {
  std::uint64_t b[25];
  std::uint64_t c[5];
  std::uint64_t d[5];
  for (int round = 0; round < 24; ++round) {
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) d[x] = c[(x + 4) % 5] ^ Rotl(c[(x + 1) % 5], 1);
#pragma GCC unroll 25
    for (unsigned i = 0; i < 25; ++i) b[PiDest(i)] = Rotl(a[i] ^ d[i % 5], kRho[i]);
#pragma GCC unroll 5
    for (int y = 0; y < 25; y += 5) {
#pragma GCC unroll 5
      for (int x = 0; x < 5; ++x) {
        a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
      }
    }
    a[0] ^= kRoundConstants[round];
  }
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
