// The object texts of an SQLite store, in one append-only file beside the database
// (`<store>-json`). Each text is followed by a newline, so the file is also a JSON-lines copy
// of every version ever stored; the database keeps each version's (offset, length).
//
// Why a file and not a column: inside SQLite every text was copied into B-tree pages and
// written twice (to the WAL, then by the checkpoint), which was most of the ingest time
// (docs/STORE.md, "Object texts").
//
// Crash safety, with the store's write lock held by one batch at a time:
//   1. the batch appends its texts after the committed end (staged in memory, spilled to the
//      file without sync when large);
//   2. Commit() writes what is staged and fdatasyncs the file;
//   3. only then does the SQLite transaction that references the texts (and records the new
//      committed end) commit.
// A crash before 3 leaves bytes past the recorded end that no row references; the next batch
// truncates them (BeginBatch). Nothing before the committed end is ever rewritten, and readers
// only follow (offset, length) pairs of committed rows, so they need no lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "entente/base/status.h"

namespace entente::store {

class ObjectTextFile {
 public:
  // Opens (read_only: without creating) the file at `path`. A read-only open of a missing
  // file succeeds; reading from it then fails with Corruption.
  static Result<std::unique_ptr<ObjectTextFile>> Open(const std::string& path, bool read_only);
  ~ObjectTextFile();
  ObjectTextFile(const ObjectTextFile&) = delete;
  ObjectTextFile& operator=(const ObjectTextFile&) = delete;

  const std::string& path() const { return path_; }

  // Reads the committed text at [at, at + length); any thread. Corruption when the range is
  // outside the file (a truncated or replaced file).
  Status Read(std::int64_t at, std::int64_t length, std::string* out) const;

  // The file's size now (0 when a read-only open found no file).
  Result<std::int64_t> Size() const;

  // ---- writer side: one batch at a time, under the store's write lock ----
  // Starts a batch after `committed_end` (as recorded by the database), dropping any bytes
  // past it. Corruption if the file is shorter than that: texts the database refers to are
  // missing.
  Status BeginBatch(std::int64_t committed_end);
  // Read() that also sees this batch's own texts, staged or written.
  Status ReadInBatch(std::int64_t at, std::int64_t length, std::string* out) const;
  // Stages `text` (and its newline); returns its offset. Fails when what was staged before
  // had to go to the file and could not (disk full): the batch cannot commit.
  Result<std::int64_t> Append(std::string_view text);
  // Writes everything staged and syncs it to disk; returns the new end.
  Result<std::int64_t> Sync();
  // Forgets what was staged (the batch rolled back); written bytes are dropped by the next
  // BeginBatch.
  void AbandonBatch();

 private:
  ObjectTextFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Status WriteStaged();
  Status Missing(std::int64_t at, std::int64_t length) const;

  int fd_ = -1;
  std::string path_;
  // Writer state, touched only under the store's write lock (readers use fd_ alone).
  std::int64_t written_end_ = 0;  // the file holds the batch's texts up to here
  std::string staged_;            // texts at [written_end_, written_end_ + staged_.size())
};

}  // namespace entente::store
