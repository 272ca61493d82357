// Label, marking and creator filters of the SQLite store as posting lists: for each term (a
// label, a marking definition id, a created_by_ref identity id) the date_added keys of the versions
// that carry it, delta- and varint-coded in blobs of the `postings` table, one blob per term and
// batch (small blobs are extended by the next batch).
//
// Why not a row per (term, version): with one or two labels and a marking per object those
// rows and their indexes were over a quarter of the database and a third of the ingest time
// (docs/STORE.md, "Labels and markings"). A batch now writes one row per distinct term.
//
// Schema (created by migration 6 in sqlite_store.cpp):
//   terms(term INTEGER PRIMARY KEY, kind, text, UNIQUE(kind, text))
//   postings(term, last_added, list BLOB, PRIMARY KEY(term, last_added)) WITHOUT ROWID
// where `last_added` is the greatest key in `list`, so the row holding key k is the first of its
// term with last_added >= k.
//
// Queries read a term's keys through the table-valued function
//   term_postings(kind, text)      -> one row per key: (value)
// and migration 6 builds blobs with the aggregate entente_postings(date_added).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"

struct sqlite3;

namespace entente::store {

enum class TermKind : int { kLabel = 1, kMarking = 2, kCreator = 3 };

// Sorted, distinct keys as a blob: each the delta from the previous one (the first from 0),
// as an unsigned LEB128 varint.
std::string EncodePostings(const std::vector<std::int64_t>& sorted_keys);
// Appends the keys of `blob` to *keys. Corruption for a truncated or over-long varint, a zero
// delta (keys strictly increase) or a key past INT64_MAX.
Status DecodePostings(std::string_view blob, std::vector<std::int64_t>* keys);

// Registers term_postings and entente_postings on `db` (each connection of the store).
Status RegisterPostings(sqlite3* db);

// The postings a write batch collects, written at its commit.
class PostingsBuffer {
 public:
  // Keys arrive in increasing order within a batch; a repeat of the last key (a label given
  // twice on one object) is dropped.
  void Add(TermKind kind, std::string_view text, std::int64_t date_added);
  bool empty() const { return labels_.empty() && markings_.empty() && creators_.empty(); }
  void Clear() {
    labels_.clear();
    markings_.clear();
    creators_.clear();
  }

  // Writes every collected term to `db` (inside the caller's write transaction): the term's
  // row in `terms` (created when new) and its keys merged into the term's last blob when that is
  // under kExtendBelow bytes, else a new blob. Clears the buffer.
  Status Flush(sqlite3* db);

  static constexpr std::size_t kExtendBelow = 4096;

 private:
  using Terms = std::map<std::string, std::vector<std::int64_t>, std::less<>>;
  Status FlushKind(sqlite3* db, TermKind kind, const Terms& terms);
  Terms labels_, markings_, creators_;
};

// Removes `date_added` from the postings of (kind, text); no error when it is not there.
Status RemovePosting(sqlite3* db, TermKind kind, std::string_view text, std::int64_t date_added);

}  // namespace entente::store
