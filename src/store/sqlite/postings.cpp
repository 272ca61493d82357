#include "sqlite/postings.h"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "sqlite/sqlite_store.h"

namespace entente::store {

std::string EncodePostings(const std::vector<std::int64_t>& sorted_keys) {
  std::string out;
  out.reserve(sorted_keys.size() * 3);
  std::uint64_t previous = 0;
  for (std::int64_t key : sorted_keys) {
    std::uint64_t delta = static_cast<std::uint64_t>(key) - previous;
    previous = static_cast<std::uint64_t>(key);
    while (delta >= 0x80) {
      out.push_back(static_cast<char>((delta & 0x7F) | 0x80));
      delta >>= 7;
    }
    out.push_back(static_cast<char>(delta));
  }
  return out;
}

Status DecodePostings(std::string_view blob, std::vector<std::int64_t>* keys) {
  std::uint64_t previous = 0;
  std::size_t i = 0;
  while (i < blob.size()) {
    std::uint64_t delta = 0;
    int shift = 0;
    for (;;) {
      if (i == blob.size()) return Status::Corruption("posting list: truncated key");
      if (shift > 63) return Status::Corruption("posting list: key over 10 bytes");
      auto byte = static_cast<unsigned char>(blob[i++]);
      delta |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) break;
    }
    const bool first = keys->empty() && previous == 0;
    if (delta == 0 && !first) return Status::Corruption("posting list: keys not increasing");
    if (delta > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - previous) {
      return Status::Corruption("posting list: key out of range");
    }
    previous += delta;
    keys->push_back(static_cast<std::int64_t>(previous));
  }
  return Status::Ok();
}

// ---- term_postings(kind, text): a term's keys ------------------------------------------------

namespace {

struct PostingsTable {
  sqlite3_vtab base{};
  sqlite3* db = nullptr;
};

struct PostingsCursor {
  sqlite3_vtab_cursor base{};
  sqlite3_stmt* rows = nullptr;  // the term's blobs in key order
  std::vector<std::int64_t> keys;
  std::size_t at = 0;
  sqlite3_int64 rowid = 0;
  bool eof = true;
};

constexpr int kColumnValue = 0, kColumnKind = 1, kColumnText = 2;

int Connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(value INTEGER, kind HIDDEN, text HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  auto* table = new PostingsTable();
  table->db = db;
  *out = &table->base;
  return SQLITE_OK;
}

int Disconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<PostingsTable*>(vtab);
  return SQLITE_OK;
}

// Both hidden arguments must be given by equality; without them there is no plan.
int BestIndex(sqlite3_vtab*, sqlite3_index_info* info) {
  int kind = -1, text = -1;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (c.iColumn == kColumnKind || c.iColumn == kColumnText) {
      if (!c.usable) return SQLITE_CONSTRAINT;
      (c.iColumn == kColumnKind ? kind : text) = i;
    }
  }
  if (kind < 0 || text < 0) return SQLITE_CONSTRAINT;
  info->aConstraintUsage[kind].argvIndex = 1;
  info->aConstraintUsage[kind].omit = 1;
  info->aConstraintUsage[text].argvIndex = 2;
  info->aConstraintUsage[text].omit = 1;
  info->estimatedCost = 1000;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

int Open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* cursor = new PostingsCursor();
  *out = &cursor->base;
  return SQLITE_OK;
}

int Close(sqlite3_vtab_cursor* base) {
  auto* cursor = reinterpret_cast<PostingsCursor*>(base);
  sqlite3_finalize(cursor->rows);
  delete cursor;
  return SQLITE_OK;
}

int Fail(PostingsCursor* cursor, int rc, const std::string& message) {
  sqlite3_free(cursor->base.pVtab->zErrMsg);
  cursor->base.pVtab->zErrMsg = sqlite3_mprintf("%s", message.c_str());
  return rc;
}

// Moves to the next blob that holds keys, or to the end.
int NextBlob(PostingsCursor* cursor) {
  for (;;) {
    int rc = sqlite3_step(cursor->rows);
    if (rc == SQLITE_DONE) {
      cursor->eof = true;
      return SQLITE_OK;
    }
    if (rc != SQLITE_ROW) return rc;
    const void* data = sqlite3_column_blob(cursor->rows, 0);
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(cursor->rows, 0));
    cursor->keys.clear();
    cursor->at = 0;
    Status s =
        DecodePostings(std::string_view(static_cast<const char*>(data), data == nullptr ? 0 : size),
                       &cursor->keys);
    if (!s.ok()) return Fail(cursor, SQLITE_CORRUPT, s.message());
    if (!cursor->keys.empty()) return SQLITE_OK;
  }
}

int Filter(sqlite3_vtab_cursor* base, int, const char*, int argc, sqlite3_value** argv) {
  auto* cursor = reinterpret_cast<PostingsCursor*>(base);
  auto* table = reinterpret_cast<PostingsTable*>(base->pVtab);
  cursor->eof = false;
  cursor->keys.clear();
  cursor->at = 0;
  cursor->rowid = 0;
  if (cursor->rows == nullptr) {
    int rc = sqlite3_prepare_v2(table->db,
                                "SELECT p.list FROM terms t JOIN postings p ON p.term = t.term "
                                "WHERE t.kind = ?1 AND t.text = ?2 ORDER BY p.last_added",
                                -1, &cursor->rows, nullptr);
    if (rc != SQLITE_OK) return Fail(cursor, rc, sqlite3_errmsg(table->db));
  } else {
    sqlite3_reset(cursor->rows);
  }
  if (argc != 2) return SQLITE_CONSTRAINT;
  sqlite3_bind_value(cursor->rows, 1, argv[0]);
  sqlite3_bind_value(cursor->rows, 2, argv[1]);
  return NextBlob(cursor);
}

int Next(sqlite3_vtab_cursor* base) {
  auto* cursor = reinterpret_cast<PostingsCursor*>(base);
  ++cursor->rowid;
  if (++cursor->at < cursor->keys.size()) return SQLITE_OK;
  return NextBlob(cursor);
}

int Eof(sqlite3_vtab_cursor* base) { return reinterpret_cast<PostingsCursor*>(base)->eof; }

int Column(sqlite3_vtab_cursor* base, sqlite3_context* context, int column) {
  auto* cursor = reinterpret_cast<PostingsCursor*>(base);
  if (column == kColumnValue) sqlite3_result_int64(context, cursor->keys[cursor->at]);
  return SQLITE_OK;
}

int Rowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
  *rowid = reinterpret_cast<PostingsCursor*>(base)->rowid;
  return SQLITE_OK;
}

sqlite3_module MakeModule() {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = nullptr;  // eponymous only: used as a table-valued function, never created
  m.xConnect = Connect;
  m.xBestIndex = BestIndex;
  m.xDisconnect = Disconnect;
  m.xDestroy = Disconnect;
  m.xOpen = Open;
  m.xClose = Close;
  m.xFilter = Filter;
  m.xNext = Next;
  m.xEof = Eof;
  m.xColumn = Column;
  m.xRowid = Rowid;
  return m;
}

const sqlite3_module kModule = MakeModule();

// ---- entente_postings(date_added): the blob of a group's keys (migration 6) --------------------

void AggregateStep(sqlite3_context* context, int, sqlite3_value** argv) {
  auto** keys = static_cast<std::vector<std::int64_t>**>(
      sqlite3_aggregate_context(context, sizeof(std::vector<std::int64_t>*)));
  if (keys == nullptr) {
    sqlite3_result_error_nomem(context);
    return;
  }
  if (*keys == nullptr) *keys = new std::vector<std::int64_t>();
  if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
    sqlite3_result_error(context, "entente_postings: a key that is not an integer", -1);
    return;
  }
  (*keys)->push_back(sqlite3_value_int64(argv[0]));
}

void AggregateFinal(sqlite3_context* context) {
  auto** keys = static_cast<std::vector<std::int64_t>**>(sqlite3_aggregate_context(context, 0));
  std::unique_ptr<std::vector<std::int64_t>> owned(keys == nullptr ? nullptr : *keys);
  std::vector<std::int64_t> sorted = owned ? std::move(*owned) : std::vector<std::int64_t>();
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string blob = EncodePostings(sorted);
  sqlite3_result_blob64(context, blob.data(), blob.size(), SQLITE_TRANSIENT);
}

}  // namespace

Status RegisterPostings(sqlite3* db) {
  if (sqlite3_create_module_v2(db, "term_postings", &kModule, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_create_function_v2(db, "entente_postings", 1, SQLITE_UTF8, nullptr, nullptr,
                                 AggregateStep, AggregateFinal, nullptr) != SQLITE_OK) {
    return Status::Internal(std::string("cannot register the posting functions: ") +
                            sqlite3_errmsg(db));
  }
  return Status::Ok();
}

// ---- writing ---------------------------------------------------------------------------------

void PostingsBuffer::Add(TermKind kind, std::string_view text, std::int64_t date_added) {
  Terms& terms = by_kind_[Index(kind)];
  auto it = terms.find(text);
  if (it == terms.end()) it = terms.emplace(std::string(text), std::vector<std::int64_t>()).first;
  if (it->second.empty() || it->second.back() != date_added) it->second.push_back(date_added);
}

struct PostingWriter::Statements {
  sqlite3* db = nullptr;
  Stmt find_term, insert_term, last_blob, holding_blob, delete_blob, insert_blob;
};

PostingWriter::PostingWriter(std::unique_ptr<Statements> st) : st_(std::move(st)) {}
PostingWriter::~PostingWriter() = default;

Result<std::unique_ptr<PostingWriter>> PostingWriter::Prepare(sqlite3* db) {
  auto st = std::make_unique<Statements>();
  st->db = db;
  ENTENTE_RETURN_IF_ERROR(
      st->find_term.Prepare(db, "SELECT term FROM terms WHERE kind = ?1 AND text = ?2"));
  ENTENTE_RETURN_IF_ERROR(
      st->insert_term.Prepare(db, "INSERT INTO terms(kind, text) VALUES(?1, ?2)"));
  ENTENTE_RETURN_IF_ERROR(st->last_blob.Prepare(
      db,
      "SELECT last_added, list FROM postings WHERE term = ?1 ORDER BY last_added DESC LIMIT 1"));
  ENTENTE_RETURN_IF_ERROR(st->holding_blob.Prepare(
      db,
      "SELECT last_added, list FROM postings WHERE term = ?1 AND last_added >= ?2 "
      "ORDER BY last_added LIMIT 1"));
  ENTENTE_RETURN_IF_ERROR(
      st->delete_blob.Prepare(db, "DELETE FROM postings WHERE term = ?1 AND last_added = ?2"));
  ENTENTE_RETURN_IF_ERROR(st->insert_blob.Prepare(
      db, "INSERT INTO postings(term, last_added, list) VALUES(?1, ?2, ?3)"));
  return std::unique_ptr<PostingWriter>(new PostingWriter(std::move(st)));
}

// The term's id, created when `create` and absent; 0 when absent and not created.
Result<std::int64_t> PostingWriter::TermId(TermKind kind, std::string_view text, bool create) {
  Stmt& find = st_->find_term;
  find.Reset();
  find.Bind(1, std::int64_t{static_cast<int>(kind)});
  find.Bind(2, text);
  auto found = find.Step();
  const std::int64_t id = found.ok() && *found ? find.Int(0) : 0;
  find.Reset();
  ENTENTE_RETURN_IF_ERROR(found.status());
  if (id != 0 || !create) return id;
  Stmt& insert = st_->insert_term;
  insert.Reset();
  insert.Bind(1, std::int64_t{static_cast<int>(kind)});
  insert.Bind(2, text);
  Status s = insert.Step().status();
  insert.Reset();
  ENTENTE_RETURN_IF_ERROR(s);
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(st_->db));
}

// Replaces the blob (term, old_last) by `keys` (deleted when empty; old_last 0: none).
Status PostingWriter::WriteBlob(std::int64_t term, std::int64_t old_last,
                                const std::vector<std::int64_t>& keys) {
  if (old_last != 0) {
    Stmt& del = st_->delete_blob;
    del.Reset();
    del.Bind(1, term);
    del.Bind(2, old_last);
    Status s = del.Step().status();
    del.Reset();
    ENTENTE_RETURN_IF_ERROR(s);
  }
  if (keys.empty()) return Status::Ok();
  std::string blob = EncodePostings(keys);
  Stmt& put = st_->insert_blob;
  put.Reset();
  put.Bind(1, term);
  put.Bind(2, keys.back());
  put.BindBlob(3, blob);
  Status s = put.Step().status();
  put.Reset();
  return s;
}

Status PostingWriter::Flush(PostingsBuffer& buffer) {
  Status s = Status::Ok();
  for (TermKind kind : {TermKind::kLabel, TermKind::kMarking, TermKind::kCreator}) {
    for (const auto& [text, keys] : buffer.terms(kind)) {
      auto term = TermId(kind, text, true);
      if (!term.ok()) {
        s = term.status();
        break;
      }
      // The term's last blob, extended while it is small, and also when these keys are not
      // all after it (a clock set back): a new blob must never overlap the ones before, or
      // the row holding a key would no longer be the first with last_added >= key.
      Stmt& last = st_->last_blob;
      last.Reset();
      last.Bind(1, *term);
      auto has_last = last.Step();
      std::vector<std::int64_t> merged;
      std::int64_t old_last = 0;
      if (has_last.ok() && *has_last &&
          (last.Blob(1).size() < kExtendBelow || last.Int(0) >= keys.front())) {
        s = DecodePostings(last.Blob(1), &merged);
        old_last = last.Int(0);
      }
      last.Reset();
      if (!has_last.ok()) s = has_last.status();
      if (!s.ok()) break;
      const bool in_order = merged.empty() || merged.back() < keys.front();
      merged.insert(merged.end(), keys.begin(), keys.end());
      if (!in_order) {  // keys are normally newer than any stored; keep the blob sorted anyway
        std::sort(merged.begin(), merged.end());
        merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
      }
      s = WriteBlob(*term, old_last, merged);
      if (!s.ok()) break;
    }
    if (!s.ok()) break;
  }
  buffer.Clear();
  return s;
}

Status PostingWriter::Remove(TermKind kind, std::string_view text, std::int64_t date_added) {
  ENTENTE_ASSIGN_OR_RETURN(std::int64_t term, TermId(kind, text, false));
  if (term == 0) return Status::Ok();
  Stmt& holder = st_->holding_blob;
  holder.Reset();
  holder.Bind(1, term);
  holder.Bind(2, date_added);
  auto found = holder.Step();
  std::vector<std::int64_t> keys;
  std::int64_t old_last = 0;
  Status s = found.status();
  if (s.ok() && *found) {
    s = DecodePostings(holder.Blob(1), &keys);
    old_last = holder.Int(0);
  }
  holder.Reset();
  ENTENTE_RETURN_IF_ERROR(s);
  auto it = std::lower_bound(keys.begin(), keys.end(), date_added);
  if (it == keys.end() || *it != date_added) return Status::Ok();
  keys.erase(it);
  return WriteBlob(term, old_last, keys);
}

}  // namespace entente::store
