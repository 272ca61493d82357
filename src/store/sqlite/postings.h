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
#include <memory>
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

// The postings a write batch collects, written at its commit by PostingWriter.
class PostingsBuffer {
 public:
  using Terms = std::map<std::string, std::vector<std::int64_t>, std::less<>>;

  // Keys arrive in increasing order within a batch; a repeat of the last key (a label given
  // twice on one object) is dropped.
  void Add(TermKind kind, std::string_view text, std::int64_t date_added);
  const Terms& terms(TermKind kind) const { return by_kind_[Index(kind)]; }
  bool empty() const { return by_kind_[0].empty() && by_kind_[1].empty() && by_kind_[2].empty(); }
  void Clear() {
    for (Terms& t : by_kind_) t.clear();
  }

 private:
  static std::size_t Index(TermKind kind) { return static_cast<std::size_t>(kind) - 1; }
  Terms by_kind_[3];
};

// Writes posting lists on the store's writer connection, inside the caller's write
// transaction, with statements prepared once per connection.
class PostingWriter {
 public:
  static Result<std::unique_ptr<PostingWriter>> Prepare(sqlite3* db);
  ~PostingWriter();
  PostingWriter(const PostingWriter&) = delete;
  PostingWriter& operator=(const PostingWriter&) = delete;

  // Each collected term: its row in `terms` (created when new) and its keys merged into the
  // term's last blob while that is under kExtendBelow bytes, else a new blob. Clears `buffer`.
  Status Flush(PostingsBuffer& buffer);
  // Removes `date_added` from the postings of (kind, text); no error when it is not there.
  Status Remove(TermKind kind, std::string_view text, std::int64_t date_added);

  static constexpr std::size_t kExtendBelow = 4096;

 private:
  struct Statements;
  explicit PostingWriter(std::unique_ptr<Statements> st);
  Result<std::int64_t> TermId(TermKind kind, std::string_view text, bool create);
  Status WriteBlob(std::int64_t term, std::int64_t old_last, const std::vector<std::int64_t>& keys);
  std::unique_ptr<Statements> st_;
};

}  // namespace entente::store
