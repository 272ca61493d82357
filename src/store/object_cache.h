// A bounded in-memory cache of objects' latest versions, for a store whose backend can tell
// cheaply whether anything changed (a generation number, see sqlite/change_counter.h). An
// entry is only ever served for the generation it was read at, so a write by any process
// makes every older entry unusable at once; entries are not invalidated one by one.
//
// Least recently used entries go first once the byte budget is spent. Sharded by id so the
// server's I/O threads rarely contend on one lock. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "entente/store/store.h"

namespace entente::store {

class ObjectCache {
 public:
  explicit ObjectCache(std::size_t max_bytes);
  ObjectCache(const ObjectCache&) = delete;
  ObjectCache& operator=(const ObjectCache&) = delete;

  // Copies the entry for `id` into *out if it was read at `generation`. An entry of an older
  // generation is dropped.
  bool Find(std::string_view id, std::uint64_t generation, StoredObject* out);
  // Caches `object` as read at `generation` (replacing an entry for its id). Objects larger
  // than a sixteenth of a shard's budget are not cached.
  void Insert(const StoredObject& object, std::uint64_t generation);

  std::size_t bytes() const;
  std::uint64_t hits() const noexcept { return hits_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const noexcept { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    StoredObject object;
    std::uint64_t generation = 0;
    std::size_t bytes = 0;
  };
  using Lru = std::list<Entry>;  // most recently used first; nodes never move
  struct Shard {
    mutable std::mutex mutex;
    Lru lru;
    std::unordered_map<std::string_view, Lru::iterator> by_id;  // keys point into lru's ids
    std::size_t bytes = 0;
  };
  static constexpr std::size_t kShards = 16;
  Shard& ShardOf(std::string_view id);
  static void Erase(Shard& shard, Lru::iterator it);

  std::size_t shard_budget_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0};
};

}  // namespace entente::store
