#include "entente/base/uuid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>

namespace entente {
namespace {
// 0-15 for hex digits, -1 otherwise.
constexpr std::array<signed char, 256> kNibble = [] {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<signed char>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<signed char>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<signed char>(c - 'A' + 10);
  return t;
}();

int Nibble(char c) noexcept { return kNibble[static_cast<unsigned char>(c)]; }

}  // namespace

Uuid UuidV4() {
  Uuid u;
  if (RAND_bytes(u.data(), static_cast<int>(u.size())) != 1) std::abort();  // no entropy: no ids
  u[6] = static_cast<std::uint8_t>((u[6] & 0x0F) | 0x40);
  u[8] = static_cast<std::uint8_t>((u[8] & 0x3F) | 0x80);
  return u;
}

Uuid UuidV5(const Uuid& ns, std::string_view name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, ns.data(), ns.size()) != 1 ||
      EVP_DigestUpdate(ctx, name.data(), name.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, digest, &len) != 1) {
    std::abort();
  }
  EVP_MD_CTX_free(ctx);
  Uuid u;
  for (std::size_t i = 0; i < 16; ++i) u[i] = digest[i];
  u[6] = static_cast<std::uint8_t>((u[6] & 0x0F) | 0x50);
  u[8] = static_cast<std::uint8_t>((u[8] & 0x3F) | 0x80);
  return u;
}

std::string UuidToString(const Uuid& u) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[u[i] >> 4];
    out += kHex[u[i] & 0xF];
  }
  return out;
}

bool ParseUuid(std::string_view text, Uuid& out) noexcept {
  if (text.size() != 36) return false;
  std::size_t j = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
      ++i;
      continue;
    }
    int hi = Nibble(text[i]), lo = Nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[j++] = static_cast<std::uint8_t>((hi << 4) | lo);
    i += 2;
  }
  return true;
}

bool IsUuid(std::string_view text, bool rfc4122) noexcept {
  // A check only: no bytes are built (this runs for every id and reference at ingest).
  if (text.size() != 36) return false;
  if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return false;
  int bad = 0;
  for (std::size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    bad |= Nibble(text[i]);  // -1 sets every bit
  }
  if (bad < 0) return false;
  if (!rfc4122) return true;
  int version = Nibble(text[14]);
  int variant = Nibble(text[19]);
  return version >= 1 && version <= 8 && (variant & 0xC) == 0x8;
}

}  // namespace entente
