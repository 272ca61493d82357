// Keys of the objects(id_key, version_ns) index: a 64-bit keyed hash of the id text.
//
// The index used to hold the 46-byte id text in every entry; a 64-bit key makes its entries
// about a third as large and its comparisons one integer compare. Lookups still compare the id
// text of every row they find, so two ids with the same key are told apart; the key is keyed by
// a secret of the store (SipHash-2-4 with a random 128-bit key in meta), so that a peer cannot
// choose ids that collide and turn each lookup into a walk over thousands of rows.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "entente/base/status.h"

struct sqlite3;

namespace entente::store {

using IdKeySecret = std::array<std::uint8_t, 16>;

// SipHash-2-4 (Aumasson and Bernstein, 2012) of `message` under `key`.
std::uint64_t SipHash24(const IdKeySecret& key, std::string_view message) noexcept;

// The index key of `id` under the store's secret (the hash as a signed SQLite integer).
std::int64_t IdKey(const IdKeySecret& secret, std::string_view id) noexcept;

// Tests only: keeps only the key bits in `mask` (all 64 by default), so that many ids share a
// key and the paths that tell them apart are exercised. Process-wide; set it before opening
// the stores that use it and restore it after closing them (the keys are stored).
void SetIdKeyMaskForTesting(std::uint64_t mask) noexcept;

// Registers the SQL function entente_id_key(secret_hex, id) on `db` (the migration that adds
// the keys computes them with it; integrity checks compare with it). NULL for a bad secret.
Status RegisterIdKey(sqlite3* db);

// The secret from its 32-hex-digit form in meta; Corruption if it is not that.
Result<IdKeySecret> ParseIdKeySecret(std::string_view hex);

}  // namespace entente::store
