#include "object_cache.h"

#include <functional>

namespace entente::store {
namespace {

// Heap bytes an entry holds, roughly: its strings plus the list node and the map slot.
std::size_t EntryBytes(const StoredObject& o) {
  return o.id.size() + o.type.size() + o.version.size() + o.json.size() + 256;
}

}  // namespace

ObjectCache::ObjectCache(std::size_t max_bytes) : shard_budget_(max_bytes / kShards) {}

ObjectCache::Shard& ObjectCache::ShardOf(std::string_view id) {
  // The high bits: the map inside the shard uses the low ones.
  return shards_[(std::hash<std::string_view>{}(id) >> 56) % kShards];
}

void ObjectCache::Erase(Shard& shard, Lru::iterator it) {
  shard.by_id.erase(std::string_view(it->object.id));
  shard.bytes -= it->bytes;
  shard.lru.erase(it);
}

bool ObjectCache::Find(std::string_view id, std::uint64_t generation, StoredObject* out) {
  Shard& shard = ShardOf(id);
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto found = shard.by_id.find(id);
    if (found != shard.by_id.end()) {
      Lru::iterator it = found->second;
      if (it->generation == generation) {
        shard.lru.splice(shard.lru.begin(), shard.lru, it);
        *out = it->object;
        hits_.fetch_add(1, std::memory_order_relaxed);
        return true;
      }
      Erase(shard, it);  // generations only grow: it can never be served again
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void ObjectCache::Insert(const StoredObject& object, std::uint64_t generation) {
  std::size_t bytes = EntryBytes(object);
  if (bytes > shard_budget_ / 16) return;
  Shard& shard = ShardOf(object.id);
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (auto found = shard.by_id.find(object.id); found != shard.by_id.end()) {
    Erase(shard, found->second);
  }
  while (!shard.lru.empty() && shard.bytes + bytes > shard_budget_) {
    Erase(shard, std::prev(shard.lru.end()));
  }
  shard.lru.push_front(Entry{object, generation, bytes});
  shard.by_id.emplace(std::string_view(shard.lru.front().object.id), shard.lru.begin());
  shard.bytes += bytes;
}

std::size_t ObjectCache::bytes() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    total += shard.bytes;
  }
  return total;
}

}  // namespace entente::store
