#include "id_key.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>

#include "entente/base/bytes.h"

namespace entente::store {
namespace {

constexpr std::uint64_t Rotl(std::uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

std::uint64_t Load64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];  // little-endian, as the algorithm reads
  return v;
}

struct State {
  std::uint64_t v0, v1, v2, v3;
  void Round() noexcept {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
  void Absorb(std::uint64_t m) noexcept {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

}  // namespace

std::uint64_t SipHash24(const IdKeySecret& key, std::string_view message) noexcept {
  const std::uint64_t k0 = Load64(key.data());
  const std::uint64_t k1 = Load64(key.data() + 8);
  State s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
          k1 ^ 0x7465646279746573ULL};
  const auto* p = reinterpret_cast<const std::uint8_t*>(message.data());
  const std::size_t n = message.size();
  const std::size_t whole = n - n % 8;
  for (std::size_t i = 0; i < whole; i += 8) s.Absorb(Load64(p + i));
  // The last block: the remaining bytes, and the message length (mod 256) in the top byte.
  std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
  for (std::size_t i = 0; i < n % 8; ++i)
    last |= static_cast<std::uint64_t>(p[whole + i]) << (8 * i);
  s.Absorb(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

namespace {
std::atomic<std::uint64_t> id_key_mask{~std::uint64_t{0}};
}  // namespace

std::int64_t IdKey(const IdKeySecret& secret, std::string_view id) noexcept {
  return static_cast<std::int64_t>(SipHash24(secret, id) &
                                   id_key_mask.load(std::memory_order_relaxed));
}

void SetIdKeyMaskForTesting(std::uint64_t mask) noexcept {
  id_key_mask.store(mask, std::memory_order_relaxed);
}

Result<IdKeySecret> ParseIdKeySecret(std::string_view hex) {
  IdKeySecret secret{};
  auto bytes = HexDecode(hex);
  if (!bytes.ok() || bytes->size() != secret.size()) {
    return Status::Corruption("meta id_key_secret is not 32 hex digits");
  }
  std::memcpy(secret.data(), bytes->data(), secret.size());
  return secret;
}

namespace {

void IdKeyFunction(sqlite3_context* ctx, int, sqlite3_value** args) {
  auto text = [](sqlite3_value* v) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return std::string_view(p == nullptr ? "" : p,
                            static_cast<std::size_t>(sqlite3_value_bytes(v)));
  };
  auto secret = ParseIdKeySecret(text(args[0]));
  if (!secret.ok()) {
    sqlite3_result_null(ctx);
    return;
  }
  sqlite3_result_int64(ctx, IdKey(*secret, text(args[1])));
}

}  // namespace

Status RegisterIdKey(sqlite3* db) {
  if (sqlite3_create_function_v2(db, "entente_id_key", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                 nullptr, IdKeyFunction, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Status::Internal(std::string("cannot register entente_id_key: ") + sqlite3_errmsg(db));
  }
  return Status::Ok();
}

}  // namespace entente::store
