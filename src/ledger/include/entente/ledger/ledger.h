// The node's transparency log: an append-only file of entries, the Merkle tree over them, signed
// tree heads and proofs (docs/LEDGER.md).
//
// File format (little-endian):
//   header  16 bytes: "ENTELOG1" || u32 version (1) || u32 flags (0)
//   record  u32 length (1..kMaxEntryBytes) || 8-byte check || leaf bytes (canonical entry JSON)
// The check is the first 8 bytes of the record's RFC 9162 leaf hash, which the tree needs anyway:
// it catches a torn or garbled record at no extra cost. A file is valid up to its first record
// that is incomplete, over the limit or fails its check; everything from there on is its tail.
//
// Crash safety: an append (or a batch) is one write followed by one fdatasync; Append returns
// only after both, so an acknowledged entry is on disk. A crash during a write can leave a torn
// tail; Open in read-write mode truncates it (and reports it in recovery()); read-only Open and
// VerifyLogFile refuse it with an error naming the entry index and byte offset. Corruption in the
// middle of the file is indistinguishable from a torn tail at that point and is treated the same
// way, so keep copies and signed heads: they detect it.
//
// Memory: the tree keeps every complete subtree hash (about 64 bytes per entry) and one 8-byte
// offset per entry; Open reads and hashes the whole file once (O(n)).
//
// Threads: Ledger is thread-safe. Appends are serialised (one writer at a time, fsync included)
// but hash their leaves before queueing, so concurrent appenders overlap hashing with each
// other's I/O; AppendLeaves hashes a batch of 4096 leaves or more on two threads. Head, proofs
// and Entry take a shared lock, run concurrently with each other, and wait for an append only
// while it updates the tree (after its fsync), never for the disk.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/crypto/hybrid.h"
#include "entente/ledger/entry.h"
#include "entente/ledger/merkle.h"
#include "entente/ledger/sth.h"

namespace entente::ledger {

inline constexpr std::string_view kLogMagic = "ENTELOG1";
constexpr std::size_t kLogHeaderBytes = 16;
constexpr std::size_t kRecordHeaderBytes = 12;

// The result of reading a log file's bytes.
struct LogScan {
  std::vector<std::uint64_t> offsets;  // byte offset of each valid record
  std::vector<Hash> leaf_hashes;       // leaf hash of each valid record
  std::uint64_t valid_bytes = 0;       // header + all valid records
  Status tail;                         // Ok, or why the record after the last valid one is bad
};

// Scans a whole log file image. With `decode_entries`, every leaf must also be a canonical valid
// entry (DecodeEntry); a leaf that is not ends the valid prefix like a bad check does. A bad
// header is an error; a bad record is reported in `tail` with its index and offset.
Result<LogScan> ScanLog(std::string_view data, bool decode_entries);

struct LedgerOptions {
  bool read_only = false;
  // fdatasync after every append or batch. Off only for benchmarks and throwaway logs.
  bool sync = true;
  // Decode every entry when opening (slower; Open always checks every record's hash).
  bool decode_entries = false;
  // Signs SignedHead(); may be null (SignedHead then fails). Shared with the caller.
  std::shared_ptr<const crypto::hybrid::SigPrivateKey> signing_key;
};

// What Open found and repaired.
struct Recovery {
  std::uint64_t truncated_bytes = 0;  // torn tail removed (read-write open only)
  std::string reason;                 // the tail's error, empty if the file was clean
};

class Ledger {
 public:
  // Opens or creates (read-write) the log file at `path`. kCorruption for a file that is not a
  // log; in read-only mode also for a torn tail (naming the entry index and offset). A
  // read-write open takes an exclusive flock for its lifetime: kUnavailable if another process
  // (or Ledger) has the file open for appending. Read-only opens take no lock.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& path, LedgerOptions options = {});
  // A log that lives only in memory (an anonymous memfd, no fsync): tests, benchmarks, dry runs.
  static std::unique_ptr<Ledger> InMemory(LedgerOptions options = {});
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Validates, encodes and appends; returns the new entry's index. Durable when it returns.
  Result<std::uint64_t> Append(const Entry& entry);
  // All or nothing: either every entry is appended (one write, one fsync) or none is. Returns
  // the index of the first. kInvalidArgument naming the batch position of a bad entry.
  Result<std::uint64_t> AppendBatch(std::span<const Entry> entries);
  // Appends already-encoded leaves (each must be a canonical entry unless `trusted`, in which
  // case only the size limit is checked: benchmarks and replication of verified copies).
  Result<std::uint64_t> AppendLeaves(std::span<const std::string> leaves, bool trusted = false);

  std::uint64_t size() const;
  // Current size and root, unsigned (timestamp now, log_id of the signing key if any).
  TreeHead Head() const;
  // Head() signed with the signing key; kInvalidArgument without a signing key.
  Result<SignedTreeHead> SignedHead() const;
  // Root of the first `size` entries.
  Result<Hash> Root(std::uint64_t size) const;
  Result<InclusionProof> InclusionProofFor(std::uint64_t index, std::uint64_t size) const;
  Result<ConsistencyProof> ConsistencyProofFor(std::uint64_t first, std::uint64_t second) const;
  // The entry at `index` and its raw leaf bytes, read from the file with pread (no lock held
  // during I/O). kNotFound past the end; kCorruption if the record no longer hashes to the
  // leaf hash the tree holds (the file was changed under the open log).
  Result<Entry> EntryAt(std::uint64_t index) const;
  Result<std::string> LeafAt(std::uint64_t index) const;
  Result<Hash> LeafHashAt(std::uint64_t index) const;

  // The first index at which this log and `other` differ (by leaf hash), found with O(log n)
  // subtree comparisons of at most O(log n) hashes each; nullopt if one is a prefix of the other.
  std::optional<std::uint64_t> FirstDifference(const Ledger& other) const;

  const Recovery& recovery() const noexcept { return recovery_; }
  const std::string& log_id() const noexcept { return log_id_; }

 private:
  explicit Ledger(LedgerOptions options);
  Result<std::uint64_t> AppendEncoded(std::string&& records, std::span<const Hash> hashes,
                                      std::span<const std::uint32_t> lengths);

  LedgerOptions options_;
  std::string path_;
  int fd_ = -1;
  std::uint64_t end_ = 0;  // file size (= offset of the next record)
  Recovery recovery_;
  std::string log_id_;
  std::mutex append_mu_;  // one writer at a time: write, fsync, then the tree under mu_
  mutable std::shared_mutex mu_;
  MerkleTree tree_;
  std::vector<std::uint64_t> offsets_;
  std::string memory_;  // file image of an in-memory log when memfd_create is unavailable
};

// Offline check of a log copy, as `entente log verify` runs it: reads and decodes every entry
// (errors name the entry index), recomputes the root, and when `sth` is given checks its
// signature with `public_key` (if not empty) and that the copy's first sth.tree_size entries have
// its root. Returns the copy's size and root.
struct VerifyReport {
  std::uint64_t size = 0;
  Hash root{};
};
Result<VerifyReport> VerifyLogFile(const std::string& path, const SignedTreeHead* sth,
                                   crypto::hybrid::SigSuite suite, ByteView public_key);

}  // namespace entente::ledger
