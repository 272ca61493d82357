// JSON for hostile input: one strict parser (RFC 8259) with limits and positioned errors, a
// read-only DOM over the parsed text for the hot paths, and a small mutable Value for building.
//
// Why our own: ingest must keep each STIX object's exact source text (lossless round trip,
// numbers of any size included), report errors as "line L, column C at $.objects[3].id", and
// reject what other parsers accept silently (duplicate keys, invalid UTF-8, lone surrogates).
//
// Threading: a Document is used by one thread at a time; Nodes are views into it and become
// invalid when the Document is re-parsed or destroyed. Value has ordinary value semantics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "entente/base/status.h"

namespace entente::json {

struct ParseLimits {
  std::size_t max_bytes = std::size_t{1} << 30;   // whole input
  std::uint32_t max_depth = 256;                  // nesting of arrays and objects
  std::size_t max_string_bytes = 64u << 20;       // one decoded string
  std::uint32_t max_container_size = 10'000'000;  // members of one object / elements of one array
};

enum class Kind : std::uint8_t {
  kMissing,
  kNull,
  kFalse,
  kTrue,
  kNumber,
  kString,
  kArray,
  kObject
};

// Whether n bytes at a and b are equal, inline: the keys and names compared in lookups are
// short, and a library memcmp call per comparison was a measurable part of validation.
inline bool SameBytes(const char* a, const char* b, std::size_t n) noexcept {
  auto load64 = [](const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  auto load32 = [](const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  };
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      if (load64(a + i) != load64(b + i)) return false;
    }
    return load64(a + n - 8) == load64(b + n - 8);
  }
  if (n >= 4) return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// The same for two views: equal sizes and SameBytes.
inline bool SameBytes(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && SameBytes(a.data(), b.data(), a.size());
}

// Name of a kind for error messages: "string", "object", ...
std::string_view KindName(Kind kind) noexcept;

class Document;

// A view of one value inside a Document. A default Node (or the result of looking up a key that
// is not there) has kind kMissing; every accessor on it returns the empty answer.
class Node {
 public:
  Node() = default;

  inline Kind kind() const noexcept;
  bool missing() const noexcept { return kind() == Kind::kMissing; }
  bool is_null() const noexcept { return kind() == Kind::kNull; }
  bool is_bool() const noexcept { return kind() == Kind::kTrue || kind() == Kind::kFalse; }
  bool is_number() const noexcept { return kind() == Kind::kNumber; }
  bool is_string() const noexcept { return kind() == Kind::kString; }
  bool is_array() const noexcept { return kind() == Kind::kArray; }
  bool is_object() const noexcept { return kind() == Kind::kObject; }

  // Decoded string value; empty for non-strings.
  inline std::string_view str() const noexcept;
  bool boolean() const noexcept { return kind() == Kind::kTrue; }
  // The number exactly as written in the source ("1.50e3"); empty for non-numbers.
  inline std::string_view number_text() const noexcept;
  // The number as int64 if it is an integer literal that fits; nullopt otherwise.
  std::optional<std::int64_t> as_int64() const noexcept;
  // The number as double (strtod semantics); nullopt for non-numbers.
  std::optional<double> as_double() const noexcept;

  // Members of an object / elements of an array; 0 otherwise.
  inline std::size_t size() const noexcept;
  // Object member by key (linear scan: objects here are small); kMissing if absent.
  inline Node operator[](std::string_view key) const noexcept;
  // Array element by index; kMissing if out of range or not an array.
  Node at(std::size_t index) const noexcept;

  // The exact source text of this value (for objects and arrays: from the bracket to its match).
  inline std::string_view raw() const noexcept;
  // Byte offset of this value in the source.
  inline std::size_t offset() const noexcept;

  // Iteration. For objects, yields (key, value); for arrays, the key is empty.
  class Iterator {
   public:
    inline std::pair<std::string_view, Node> operator*() const noexcept;
    inline Iterator& operator++() noexcept;
    bool operator!=(const Iterator& o) const noexcept { return index_ != o.index_; }

   private:
    friend class Node;
    Iterator(const Document* doc, std::uint32_t index, bool object) noexcept
        : doc_(doc), index_(index), object_(object) {}
    const Document* doc_;
    std::uint32_t index_;
    bool object_;
  };
  inline Iterator begin() const noexcept;
  inline Iterator end() const noexcept;

 private:
  friend class Document;
  Node(const Document* doc, std::uint32_t index) noexcept : doc_(doc), index_(index) {}
  const Document* doc_ = nullptr;
  // A record index (always < 2^32) held in a full word: a Node is passed and returned in two
  // registers, and a 32-bit member spilled and reloaded as the register's 64 bits stalls store
  // forwarding in the validator's member loop.
  std::size_t index_ = 0;
};

// Parses a text into a flat, reusable node table. Parsing again reuses the memory, so a loop
// that parses millions of small objects allocates nothing in the steady state.
// The Document refers to the text it parsed: the caller keeps that text alive. A moved-from
// Document has no root until it parses again.
class Document {
 public:
  Document() = default;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  Document(Document&& other) noexcept;
  Document& operator=(Document&& other) noexcept;

  // Parses exactly one JSON value (surrounding whitespace allowed). On failure the message says
  // what was expected, the line and column, and the JSON path ("$.objects[2].labels").
  Status Parse(std::string_view text, const ParseLimits& limits = {});
  template <typename T>
  requires(!std::is_lvalue_reference_v<T> &&
           std::is_same_v<std::remove_cvref_t<T>, std::string>) Status
      Parse(T&& text, const ParseLimits& limits = {})
  = delete;  // a temporary would dangle

  Node root() const noexcept { return record_count_ == 0 ? Node() : Node(this, 0); }
  std::string_view text() const noexcept { return text_; }

 private:
  friend class Node;
  friend class Parser;
  struct Record {
    Kind kind;
    bool escaped;           // string: decoded copy lives in strings_ (else it is the source slice)
    std::uint8_t key_hash;  // object key: a hash of it, for the duplicate check
    std::uint32_t size;     // string: decoded length; container: member/element count
    std::uint32_t end;      // index one past this value's subtree
    std::uint32_t begin_offset;  // source offset of the first byte
    std::uint32_t end_offset;    // source offset one past the last byte
    std::uint32_t decoded;       // string with escapes: offset in strings_
  };
  std::string_view text_;
  // The first record_count_ records are the parsed value's; the vector's size is storage kept
  // from earlier parses, so that re-parsing allocates nothing once it is large enough.
  std::vector<Record> records_;
  std::uint32_t record_count_ = 0;
  std::string strings_;
  // Scratch for the duplicate-key check, kept here so parsing allocates nothing per object.
  std::vector<std::uint32_t> key_slots_;
};

// ---- Node accessors, inline: the validator calls them several times per member ----------------

inline Kind Node::kind() const noexcept {
  return doc_ == nullptr ? Kind::kMissing : doc_->records_[index_].kind;
}

inline std::string_view Node::str() const noexcept {
  if (kind() != Kind::kString) return {};
  const Document::Record& r = doc_->records_[index_];
  if (r.escaped) return {doc_->strings_.data() + r.decoded, r.size};
  return {doc_->text_.data() + r.begin_offset + 1, r.size};
}

inline std::string_view Node::raw() const noexcept {
  if (doc_ == nullptr) return {};
  const Document::Record& r = doc_->records_[index_];
  return {doc_->text_.data() + r.begin_offset, r.end_offset - r.begin_offset};
}

inline std::string_view Node::number_text() const noexcept {
  return kind() == Kind::kNumber ? raw() : std::string_view();
}

inline std::size_t Node::size() const noexcept {
  Kind k = kind();
  return (k == Kind::kArray || k == Kind::kObject) ? doc_->records_[index_].size : 0;
}

inline Node Node::operator[](std::string_view key) const noexcept {
  if (kind() != Kind::kObject) return {};
  const Document::Record* recs = doc_->records_.data();
  std::uint32_t end = recs[index_].end;
  const char* text = doc_->text_.data();
  for (auto k = static_cast<std::uint32_t>(index_ + 1); k < end;) {
    const Document::Record& r = recs[k];
    if (r.size == key.size()) {
      const char* p = r.escaped ? doc_->strings_.data() + r.decoded : text + r.begin_offset + 1;
      if (SameBytes(p, key.data(), key.size())) return Node(doc_, k + 1);
    }
    k = recs[k + 1].end;
  }
  return {};
}

inline std::size_t Node::offset() const noexcept {
  return doc_ == nullptr ? 0 : doc_->records_[index_].begin_offset;
}

inline std::pair<std::string_view, Node> Node::Iterator::operator*() const noexcept {
  if (object_) return {Node(doc_, index_).str(), Node(doc_, index_ + 1)};
  return {std::string_view(), Node(doc_, index_)};
}

inline Node::Iterator& Node::Iterator::operator++() noexcept {
  const Document::Record* recs = doc_->records_.data();
  index_ = object_ ? recs[index_ + 1].end : recs[index_].end;
  return *this;
}

inline Node::Iterator Node::begin() const noexcept {
  Kind k = kind();
  if (k != Kind::kArray && k != Kind::kObject) return Iterator(doc_, 0, false);
  return Iterator(doc_, static_cast<std::uint32_t>(index_ + 1), k == Kind::kObject);
}

inline Node::Iterator Node::end() const noexcept {
  Kind k = kind();
  if (k != Kind::kArray && k != Kind::kObject) return Iterator(doc_, 0, false);
  return Iterator(doc_, doc_->records_[index_].end, k == Kind::kObject);
}

// A mutable JSON value with ordered object members; numbers keep their source text.
class Value {
 public:
  using Array = std::vector<Value>;
  using Member = std::pair<std::string, Value>;
  using Object = std::vector<Member>;

  Value() = default;                                                   // null
  Value(std::nullptr_t) {}                                             // NOLINT
  Value(bool b) : kind_(b ? Kind::kTrue : Kind::kFalse) {}             // NOLINT
  Value(int n) : Value(static_cast<std::int64_t>(n)) {}                // NOLINT
  Value(std::int64_t n);                                               // NOLINT
  Value(std::uint64_t n);                                              // NOLINT
  Value(double d);                                                     // NOLINT
  Value(const char* s) : kind_(Kind::kString), text_(s) {}             // NOLINT
  Value(std::string_view s) : kind_(Kind::kString), text_(s) {}        // NOLINT
  Value(std::string s) : kind_(Kind::kString), text_(std::move(s)) {}  // NOLINT

  static Value MakeArray(Array items = {});
  static Value MakeObject(Object members = {});
  // A number from its JSON text; the caller guarantees the text is a valid JSON number.
  static Value NumberFromText(std::string_view text);
  // Deep copy of a parsed node.
  static Value From(Node node);
  // Parses text (strict, with limits). The Value owns everything; the text may go away.
  static Result<Value> Parse(std::string_view text, const ParseLimits& limits = {});

  Kind kind() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == Kind::kNull; }
  bool is_string() const noexcept { return kind_ == Kind::kString; }
  bool is_number() const noexcept { return kind_ == Kind::kNumber; }
  bool is_bool() const noexcept { return kind_ == Kind::kTrue || kind_ == Kind::kFalse; }
  bool is_array() const noexcept { return kind_ == Kind::kArray; }
  bool is_object() const noexcept { return kind_ == Kind::kObject; }

  const std::string& str() const noexcept { return text_; }  // strings; number text for numbers
  bool boolean() const noexcept { return kind_ == Kind::kTrue; }
  std::optional<std::int64_t> as_int64() const noexcept;
  std::optional<double> as_double() const noexcept;

  Array& array() { return array_; }
  const Array& array() const { return array_; }
  Object& object() { return object_; }
  const Object& object() const { return object_; }
  std::size_t size() const noexcept;

  // Object member or nullptr.
  const Value* find(std::string_view key) const noexcept;
  Value* find(std::string_view key) noexcept;
  // Sets (replacing in place, keeping order) or appends a member. Turns null into an object.
  Value& set(std::string_view key, Value v);
  // Removes a member; returns whether it was there.
  bool erase(std::string_view key);
  // Appends to an array. Turns null into an array.
  Value& push_back(Value v);

  // Compact serialisation (no spaces), members in order, strings escaped minimally (UTF-8 kept).
  std::string Serialize() const;
  void SerializeTo(std::string& out) const;
  // Indented with two spaces, for people.
  std::string Pretty() const;

  // Structural equality: same kinds, same members in any order, numbers compared by value
  // when both fit a double exactly, else by text.
  bool Equals(const Value& other) const;
  friend bool operator==(const Value& a, const Value& b) { return a.Equals(b); }

 private:
  void PrettyTo(std::string& out, int indent) const;
  Kind kind_ = Kind::kNull;
  std::string text_;
  Array array_;
  Object object_;
};

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendQuoted(std::string& out, std::string_view s);

// True iff `s` is valid UTF-8 (no overlongs, no surrogates, max U+10FFFF).
bool IsValidUtf8(std::string_view s) noexcept;

}  // namespace entente::json
