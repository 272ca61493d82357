// A change counter shared by every process that opens one SQLite store: a small file beside
// the database (`<store>-changes`), mapped into memory, holding one 64-bit number that each
// writer moves while it holds the store's write lock. A reader compares two loads of it to
// know, without a system call, whether any process has written since it last read; the
// object cache (object_cache.h) depends on that.
//
// Protocol (a sequence lock across processes; writers are serialised by SQLite's write lock,
// BEGIN IMMEDIATE, so at most one moves the counter at a time):
//   writer: after BEGIN IMMEDIATE, BeginWrite() sets an odd value greater than any before;
//           after COMMIT or ROLLBACK, EndWrite() adds one (even).
//   reader: g = Load() before reading the database and Load() again after; what was read is
//           the state of generation g if both loads are equal and even.
// A writer that dies between its two calls leaves the counter odd; the next writer's
// BeginWrite() still produces a new odd value, so nothing read meanwhile is ever taken as
// current. The file needs no sync: after a restart no process holds anything cached.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "entente/base/status.h"

namespace entente::store {

class ChangeCounter {
 public:
  // Opens or creates the counter file at `path` (mode 0600).
  static Result<std::unique_ptr<ChangeCounter>> Open(const std::string& path);
  ~ChangeCounter();
  ChangeCounter(const ChangeCounter&) = delete;
  ChangeCounter& operator=(const ChangeCounter&) = delete;

  std::uint64_t Load() const noexcept { return Word().load(std::memory_order_seq_cst); }
  static bool Stable(std::uint64_t generation) noexcept { return (generation & 1) == 0; }
  // Only with the store's write lock held.
  void BeginWrite() noexcept;
  void EndWrite() noexcept;

 private:
  ChangeCounter() = default;
  std::atomic<std::uint64_t>& Word() const noexcept;
  void* map_ = nullptr;
};

}  // namespace entente::store
