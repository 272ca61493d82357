#include "entente/base/json.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace entente::json {

std::string_view KindName(Kind kind) noexcept {
  switch (kind) {
    case Kind::kMissing:
      return "missing";
    case Kind::kNull:
      return "null";
    case Kind::kFalse:
    case Kind::kTrue:
      return "boolean";
    case Kind::kNumber:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kObject:
      return "object";
  }
  return "unknown";
}

namespace {

// Length of a valid UTF-8 sequence starting at p (p < end, *p >= 0x80), or 0 if invalid.
inline std::size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) noexcept {
  unsigned char c = p[0];
  std::size_t avail = static_cast<std::size_t>(end - p);
  if (c >= 0xC2 && c <= 0xDF) {
    return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && p[1] >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
      return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && p[1] >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void AppendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

bool IsValidUtf8(std::string_view s) noexcept {
  auto* p = reinterpret_cast<const unsigned char*>(s.data());
  auto* end = p + s.size();
  while (p < end) {
    if (*p < 0x80) {
      ++p;
      continue;
    }
    std::size_t n = Utf8SequenceLength(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

// The recursive-descent parser. Recursion depth is bounded by ParseLimits::max_depth, so the
// native stack stays small (a frame is well under 200 bytes) however deep the input tries to go.
class Parser {
 public:
  Parser(Document& doc, std::string_view text, const ParseLimits& limits)
      : doc_(doc),
        recs_(doc.records_.data()),
        cap_(static_cast<std::uint32_t>(std::min<std::size_t>(doc.records_.size(), 0xFFFFFFFFu))),
        text_(text),
        limits_(limits),
        p_(reinterpret_cast<const unsigned char*>(text.data())),
        begin_(p_),
        end_(p_ + text.size()) {}

  // The records of a successful parse.
  std::uint32_t record_count() const noexcept { return n_; }

  Status Run() {
    if (text_.size() > limits_.max_bytes) {
      return Status::LimitExceeded("JSON input of " + std::to_string(text_.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(limits_.max_bytes));
    }
    if (text_.size() >= 0xFFFFFFFFu) return Status::LimitExceeded("JSON input over 4 GiB");
    SkipWs();
    if (!ParseValue(0)) return MakeError();
    SkipWs();
    if (p_ != end_) {
      error_ = "unexpected content after the JSON value";
      path_.clear();
      return MakeError();
    }
    return Status::Ok();
  }

 private:
  using Record = Document::Record;

  void SkipWs() noexcept {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Fail(const char* what) {
    error_ = what;
    return false;
  }

  std::uint32_t Offset() const noexcept { return static_cast<std::uint32_t>(p_ - begin_); }

  // Appends a record. The Document's vector is only storage here (its size is the high-water
  // mark, reused from parse to parse); n_ counts this parse's records, so the hot path is two
  // compares and a store, and growth, rare, is out of line.
  std::uint32_t Push(Kind kind) {
    if (n_ == cap_) Grow();
    std::uint32_t index = n_++;
    recs_[index] = Record{kind, false, 0, 0, index + 1, Offset(), Offset(), 0};
    return index;
  }

  [[gnu::noinline]] void Grow() {
    auto& storage = doc_.records_;
    storage.resize(std::max<std::size_t>(64, storage.size() * 2));
    recs_ = storage.data();
    cap_ = static_cast<std::uint32_t>(std::min<std::size_t>(storage.size(), 0xFFFFFFFFu));
  }

  bool ParseValue(std::uint32_t depth) {
    if (p_ >= end_) return Fail("unexpected end of input, expected a value");
    switch (*p_) {
      case '{':
        return ParseObject(depth);
      case '[':
        return ParseArray(depth);
      case '"':
        return ParseString();
      case 't':
        return ParseLiteral("true", Kind::kTrue);
      case 'f':
        return ParseLiteral("false", Kind::kFalse);
      case 'n':
        return ParseLiteral("null", Kind::kNull);
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return ParseNumber();
        return Fail("expected a value (object, array, string, number, true, false or null)");
    }
  }

  bool ParseLiteral(std::string_view word, Kind kind) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return Fail("invalid literal (expected true, false or null)");
    }
    std::uint32_t i = Push(kind);
    p_ += word.size();
    recs_[i].end_offset = Offset();
    return true;
  }

  bool ParseNumber() {
    std::uint32_t i = Push(Kind::kNumber);
    if (*p_ == '-') ++p_;
    if (p_ >= end_) return Fail("number ends after '-'");
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    } else {
      return Fail("invalid number: expected a digit");
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9')
        return Fail("invalid number: expected a digit after '.'");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9')
        return Fail("invalid number: expected exponent digits");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    recs_[i].end_offset = Offset();
    return true;
  }

  // The first byte at or after p that is not plain string content (printable ASCII other than
  // '"' and '\\'), or end_. Sixteen bytes at a time where SSE2 is available.
  const unsigned char* ScanPlain(const unsigned char* p) const noexcept {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i slash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x1F);
    while (end_ - p >= 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // Bytes >= 0x80 are negative as signed, so cmpgt(v, 0x1F) is false for them and for
      // control characters: one test catches both.
      __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)),
                       _mm_andnot_si128(_mm_cmpgt_epi8(v, space), _mm_set1_epi8(-1)));
      int mask = _mm_movemask_epi8(special);
      if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
      p += 16;
    }
#endif
    while (p < end_ && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80) ++p;
    return p;
  }

  bool ParseHex4(std::uint32_t& out) {
    if (end_ - p_ < 4) return Fail("truncated \\u escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      unsigned char c = p_[k];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return Fail("invalid hex digit in \\u escape");
    }
    p_ += 4;
    out = v;
    return true;
  }

  // Strings without escapes (nearly all) are scanned with a local cursor and stay slices of the
  // source; at the first backslash or control character the general loop takes over.
  bool ParseString() {
    std::uint32_t i = Push(Kind::kString);
    const unsigned char* const start = p_ + 1;  // after the opening quote
    const unsigned char* p = start;
    for (;;) {
      p = ScanPlain(p);
      if (p >= end_) {
        p_ = p;
        return Fail("unterminated string");
      }
      if (*p == '"') break;
      if (*p < 0x80) {
        p_ = p;  // a backslash or a control character
        return ParseStringSlow(i, start);
      }
      std::size_t n = Utf8SequenceLength(p, end_);
      if (n == 0) {
        p_ = p;
        return Fail("invalid UTF-8 in string");
      }
      p += n;
    }
    auto len = static_cast<std::size_t>(p - start);
    p_ = p;
    if (len > limits_.max_string_bytes) return Fail("string longer than the limit");
    p_ = p + 1;  // closing quote
    Record& r = recs_[i];
    r.size = static_cast<std::uint32_t>(len);
    r.end_offset = Offset();
    return true;
  }

  // The general string loop, entered at p_ (in the string started at `start`, record i).
  bool ParseStringSlow(std::uint32_t i, const unsigned char* start) {
    bool escaped = false;
    std::string& buf = doc_.strings_;
    std::size_t decoded_start = 0;
    for (;;) {
      const unsigned char* plain = p_;
      p_ = ScanPlain(p_);
      if (escaped)
        buf.append(reinterpret_cast<const char*>(plain), static_cast<std::size_t>(p_ - plain));
      if (p_ >= end_) return Fail("unterminated string");
      unsigned char c = *p_;
      if (c == '"') break;
      if (c >= 0x80) {
        std::size_t n = Utf8SequenceLength(p_, end_);
        if (n == 0) return Fail("invalid UTF-8 in string");
        if (escaped) buf.append(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        continue;
      }
      if (c < 0x20) return Fail("control character in string (must be escaped)");
      // c == '\\'
      if (!escaped) {
        escaped = true;
        decoded_start = buf.size();
        buf.append(reinterpret_cast<const char*>(start), static_cast<std::size_t>(p_ - start));
      }
      ++p_;
      if (p_ >= end_) return Fail("unterminated escape in string");
      switch (*p_++) {
        case '"':
          buf += '"';
          break;
        case '\\':
          buf += '\\';
          break;
        case '/':
          buf += '/';
          break;
        case 'b':
          buf += '\b';
          break;
        case 'f':
          buf += '\f';
          break;
        case 'n':
          buf += '\n';
          break;
        case 'r':
          buf += '\r';
          break;
        case 't':
          buf += '\t';
          break;
        case 'u': {
          std::uint32_t cp;
          if (!ParseHex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
              return Fail("unpaired high surrogate in \\u escape");
            }
            p_ += 2;
            if (!ParseHex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return Fail("invalid low surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Fail("unpaired low surrogate in \\u escape");
          }
          AppendUtf8(buf, cp);
          break;
        }
        default:
          return Fail("invalid escape in string");
      }
      if (escaped && buf.size() - decoded_start > limits_.max_string_bytes) {
        return Fail("string longer than the limit");
      }
    }
    Record& r = recs_[i];
    if (escaped) {
      std::size_t len = buf.size() - decoded_start;
      if (len > limits_.max_string_bytes) return Fail("string longer than the limit");
      r.escaped = true;
      r.decoded = static_cast<std::uint32_t>(decoded_start);
      r.size = static_cast<std::uint32_t>(len);
    } else {
      std::size_t len = static_cast<std::size_t>(p_ - start);
      if (len > limits_.max_string_bytes) return Fail("string longer than the limit");
      r.size = static_cast<std::uint32_t>(len);
    }
    ++p_;  // closing quote
    r.end_offset = Offset();
    return true;
  }

  std::string_view StringAt(std::uint32_t index) const noexcept {
    const Record& r = recs_[index];
    if (r.escaped) return {doc_.strings_.data() + r.decoded, r.size};
    return text_.substr(r.begin_offset + 1, r.size);
  }

  bool ParseArray(std::uint32_t depth) {
    if (depth >= limits_.max_depth) return Fail("nesting deeper than the limit");
    std::uint32_t i = Push(Kind::kArray);
    ++p_;
    SkipWs();
    std::uint32_t count = 0;
    if (p_ < end_ && *p_ == ']') {
      ++p_;
    } else {
      for (;;) {
        if (!ParseValue(depth + 1)) {
          PathIndex(count);
          return false;
        }
        if (++count > limits_.max_container_size) return Fail("array larger than the limit");
        SkipWs();
        if (p_ >= end_) return Fail("unexpected end of input in array, expected ',' or ']'");
        if (*p_ == ',') {
          ++p_;
          SkipWs();
          continue;
        }
        if (*p_ == ']') {
          ++p_;
          break;
        }
        return Fail("expected ',' or ']' in array");
      }
    }
    Record& r = recs_[i];
    r.size = count;
    r.end = n_;
    r.end_offset = Offset();
    return true;
  }

  bool ParseObject(std::uint32_t depth) {
    if (depth >= limits_.max_depth) return Fail("nesting deeper than the limit");
    std::uint32_t i = Push(Kind::kObject);
    ++p_;
    SkipWs();
    std::uint32_t count = 0;
    std::uint64_t filter[4] = {};  // for the first kSmallObject keys: which 8-bit hashes were seen
    std::uint32_t duplicate = 0;   // first key (record index + 1) equal to an earlier one
    if (p_ < end_ && *p_ == '}') {
      ++p_;
    } else {
      for (;;) {
        if (p_ >= end_ || *p_ != '"') return Fail("expected a string key in object");
        std::uint32_t key = n_;
        if (!ParseString()) return false;
        if (count < kSmallObject) NoteKey(i, key, filter, duplicate);
        SkipWs();
        if (p_ >= end_ || *p_ != ':') {
          PathKey(StringAt(key));
          return Fail("expected ':' after object key");
        }
        ++p_;
        SkipWs();
        if (!ParseValue(depth + 1)) {
          PathKey(StringAt(key));
          return false;
        }
        if (++count > limits_.max_container_size) return Fail("object larger than the limit");
        SkipWs();
        if (p_ >= end_) return Fail("unexpected end of input in object, expected ',' or '}'");
        if (*p_ == ',') {
          ++p_;
          SkipWs();
          continue;
        }
        if (*p_ == '}') {
          ++p_;
          break;
        }
        return Fail("expected ',' or '}' in object");
      }
    }
    Record& r = recs_[i];
    r.size = count;
    r.end = n_;
    r.end_offset = Offset();
    // Reported once the object is complete, so a syntax error inside it still comes first.
    if (count > kSmallObject) return CheckDuplicateKeys(i);
    if (duplicate != 0) return DuplicateKey(StringAt(duplicate - 1));
    return true;
  }

  // Duplicate keys are refused: RFC 8259 leaves their meaning open, and two parsers that read
  // them differently is how a filter is bypassed. For objects of up to kSmallObject members
  // (every STIX object in practice) each key's 8-bit hash is noted as it is parsed, in its record
  // and in a 256-bit filter on the stack: only a key whose hash was seen before is compared with
  // the earlier keys of that hash, a walk bounded by the 64 members. Larger objects are checked
  // when complete with an open-addressing table of key record indexes kept in the Document.
  // Both are linear in the member count and allocate nothing in the steady state.
  static constexpr std::uint32_t kSmallObject = 64;

  static std::uint32_t KeyHash(std::string_view key) noexcept {
    std::uint32_t h = static_cast<std::uint32_t>(key.size()) * 0x9E3779B1u;
    if (!key.empty()) {
      h ^= static_cast<unsigned char>(key[0]) * 31u +
           static_cast<unsigned char>(key.back()) * 131u +
           static_cast<unsigned char>(key[key.size() / 2]) * 7u;
    }
    return h;
  }

  // Records the hash of `key` (a record index) in object `object` and sets `duplicate` to the
  // first key equal to an earlier one.
  [[gnu::always_inline]] void NoteKey(std::uint32_t object, std::uint32_t key,
                                      std::uint64_t (&filter)[4],
                                      std::uint32_t& duplicate) noexcept {
    std::string_view text = StringAt(key);
    const auto h = static_cast<std::uint8_t>((KeyHash(text) * 0x9E3779B1u) >> 24);
    recs_[key].key_hash = h;
    const std::uint64_t bit = std::uint64_t{1} << (h & 63);
    std::uint64_t& word = filter[h >> 6];
    if ((word & bit) != 0 && duplicate == 0) {
      for (std::uint32_t j = object + 1; j < key; j = recs_[j + 1].end) {
        if (recs_[j].key_hash == h && SameBytes(StringAt(j), text)) {
          duplicate = key + 1;
          break;
        }
      }
    }
    word |= bit;
  }

  bool CheckDuplicateKeys(std::uint32_t object) {
    const Record& r = recs_[object];
    std::size_t capacity = 16;
    while (capacity < r.size * 2) capacity *= 2;
    auto& slots = doc_.key_slots_;
    slots.assign(capacity, 0);
    const std::size_t mask = capacity - 1;
    for (std::uint32_t k = object + 1; k < r.end;) {
      std::string_view key = StringAt(k);
      std::size_t h = KeyHash(key);
      for (std::size_t slot = (h ^ (h >> 7)) & mask;; slot = (slot + 1) & mask) {
        std::uint32_t occupant = slots[slot];
        if (occupant == 0) {
          slots[slot] = k + 1;
          break;
        }
        if (StringAt(occupant - 1) == key) return DuplicateKey(key);
      }
      k = recs_[k + 1].end;
    }
    return true;
  }

  bool DuplicateKey(std::string_view key) {
    dup_message_ = "duplicate key \"";
    dup_message_.append(key.substr(0, 64));
    dup_message_ += "\" in object";
    error_ = dup_message_.c_str();
    return false;
  }

  void PathKey(std::string_view key) {
    std::string seg = ".";
    bool simple = !key.empty() && key.size() <= 64;
    for (char c : key) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) simple = false;
    }
    if (simple) {
      seg += key;
    } else {
      seg = "[";
      AppendQuoted(seg, key.substr(0, 64));
      seg += "]";
    }
    path_.insert(0, seg);
  }
  void PathIndex(std::uint32_t index) { path_.insert(0, "[" + std::to_string(index) + "]"); }

  Status MakeError() const {
    std::size_t offset = static_cast<std::size_t>(p_ - begin_);
    std::size_t line = 1, column = 1;
    for (std::size_t k = 0; k < offset && k < text_.size(); ++k) {
      if (text_[k] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string m = "invalid JSON at line " + std::to_string(line) + ", column " +
                    std::to_string(column) + " (byte " + std::to_string(offset) + ")";
    if (!path_.empty()) m += " in $" + path_;
    m += ": ";
    m += error_ ? error_ : "error";
    bool limit = error_ != nullptr && std::strstr(error_, "limit") != nullptr;
    return limit ? Status::LimitExceeded(std::move(m)) : Status::InvalidArgument(std::move(m));
  }

  Document& doc_;
  Record* recs_;
  std::uint32_t n_ = 0;
  std::uint32_t cap_;
  std::string_view text_;
  const ParseLimits& limits_;
  const unsigned char* p_;
  const unsigned char* begin_;
  const unsigned char* end_;
  const char* error_ = nullptr;
  std::string path_;
  std::string dup_message_;
};

Document::Document(Document&& other) noexcept
    : text_(other.text_),
      records_(std::move(other.records_)),
      record_count_(std::exchange(other.record_count_, 0)),
      strings_(std::move(other.strings_)),
      key_slots_(std::move(other.key_slots_)) {}

Document& Document::operator=(Document&& other) noexcept {
  text_ = other.text_;
  records_ = std::move(other.records_);
  record_count_ = std::exchange(other.record_count_, 0);
  strings_ = std::move(other.strings_);
  key_slots_ = std::move(other.key_slots_);
  return *this;
}

Status Document::Parse(std::string_view text, const ParseLimits& limits) {
  text_ = text;
  record_count_ = 0;
  strings_.clear();
  Parser parser(*this, text, limits);
  Status s = parser.Run();
  if (s.ok()) {
    record_count_ = parser.record_count();
  } else {
    strings_.clear();
  }
  return s;
}

// ---- Node -------------------------------------------------------------------------------------

std::optional<std::int64_t> Node::as_int64() const noexcept {
  std::string_view t = number_text();
  if (t.empty()) return std::nullopt;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

std::optional<double> Node::as_double() const noexcept {
  std::string_view t = number_text();
  if (t.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc::result_out_of_range) return t[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  if (ec != std::errc()) return std::nullopt;
  return v;
}

Node Node::at(std::size_t index) const noexcept {
  if (kind() != Kind::kArray || index >= size()) return {};
  const auto& recs = doc_->records_;
  auto k = static_cast<std::uint32_t>(index_ + 1);
  for (std::size_t n = 0; n < index; ++n) k = recs[k].end;
  return Node(doc_, k);
}

// ---- Value ------------------------------------------------------------------------------------

Value::Value(std::int64_t n) : kind_(Kind::kNumber), text_(std::to_string(n)) {}
Value::Value(std::uint64_t n) : kind_(Kind::kNumber), text_(std::to_string(n)) {}
Value::Value(double d) : kind_(Kind::kNumber) {
  if (!std::isfinite(d)) {  // JSON has no NaN or infinity
    kind_ = Kind::kNull;
    return;
  }
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
  text_.assign(buf, ec == std::errc() ? ptr : buf);
}

Value Value::MakeArray(Array items) {
  Value v;
  v.kind_ = Kind::kArray;
  v.array_ = std::move(items);
  return v;
}

Value Value::MakeObject(Object members) {
  Value v;
  v.kind_ = Kind::kObject;
  v.object_ = std::move(members);
  return v;
}

Value Value::NumberFromText(std::string_view text) {
  Value v;
  v.kind_ = Kind::kNumber;
  v.text_ = text;
  return v;
}

Value Value::From(Node node) {
  switch (node.kind()) {
    case Kind::kMissing:
    case Kind::kNull:
      return Value();
    case Kind::kTrue:
      return Value(true);
    case Kind::kFalse:
      return Value(false);
    case Kind::kNumber:
      return NumberFromText(node.number_text());
    case Kind::kString:
      return Value(node.str());
    case Kind::kArray: {
      Array items;
      items.reserve(node.size());
      for (auto [k, child] : node) items.push_back(From(child));
      return MakeArray(std::move(items));
    }
    case Kind::kObject: {
      Object members;
      members.reserve(node.size());
      for (auto [k, child] : node) members.emplace_back(std::string(k), From(child));
      return MakeObject(std::move(members));
    }
  }
  return Value();
}

Result<Value> Value::Parse(std::string_view text, const ParseLimits& limits) {
  Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, limits));
  return From(doc.root());
}

std::optional<std::int64_t> Value::as_int64() const noexcept {
  if (kind_ != Kind::kNumber) return std::nullopt;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (ec != std::errc() || ptr != text_.data() + text_.size()) return std::nullopt;
  return v;
}

std::optional<double> Value::as_double() const noexcept {
  if (kind_ != Kind::kNumber) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

std::size_t Value::size() const noexcept {
  return kind_ == Kind::kArray ? array_.size() : kind_ == Kind::kObject ? object_.size() : 0;
}

const Value* Value::find(std::string_view key) const noexcept {
  if (kind_ != Kind::kObject) return nullptr;
  for (const auto& [k, v] : object_) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value* Value::find(std::string_view key) noexcept {
  return const_cast<Value*>(static_cast<const Value*>(this)->find(key));
}

Value& Value::set(std::string_view key, Value v) {
  if (kind_ == Kind::kNull) kind_ = Kind::kObject;
  if (Value* existing = find(key)) {
    *existing = std::move(v);
    return *existing;
  }
  object_.emplace_back(std::string(key), std::move(v));
  return object_.back().second;
}

bool Value::erase(std::string_view key) {
  auto it =
      std::find_if(object_.begin(), object_.end(), [&](const Member& m) { return m.first == key; });
  if (it == object_.end()) return false;
  object_.erase(it);
  return true;
}

Value& Value::push_back(Value v) {
  if (kind_ == Kind::kNull) kind_ = Kind::kArray;
  array_.push_back(std::move(v));
  return array_.back();
}

void AppendQuoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void Value::SerializeTo(std::string& out) const {
  switch (kind_) {
    case Kind::kMissing:
    case Kind::kNull:
      out += "null";
      break;
    case Kind::kTrue:
      out += "true";
      break;
    case Kind::kFalse:
      out += "false";
      break;
    case Kind::kNumber:
      out += text_;
      break;
    case Kind::kString:
      AppendQuoted(out, text_);
      break;
    case Kind::kArray: {
      out += '[';
      bool first = true;
      for (const auto& v : array_) {
        if (!first) out += ',';
        first = false;
        v.SerializeTo(out);
      }
      out += ']';
      break;
    }
    case Kind::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : object_) {
        if (!first) out += ',';
        first = false;
        AppendQuoted(out, k);
        out += ':';
        v.SerializeTo(out);
      }
      out += '}';
      break;
    }
  }
}

std::string Value::Serialize() const {
  std::string out;
  SerializeTo(out);
  return out;
}

void Value::PrettyTo(std::string& out, int indent) const {
  auto newline = [&](int n) {
    out += '\n';
    out.append(static_cast<std::size_t>(n) * 2, ' ');
  };
  if (kind_ == Kind::kArray && !array_.empty()) {
    out += '[';
    for (std::size_t i = 0; i < array_.size(); ++i) {
      if (i > 0) out += ',';
      newline(indent + 1);
      array_[i].PrettyTo(out, indent + 1);
    }
    newline(indent);
    out += ']';
  } else if (kind_ == Kind::kObject && !object_.empty()) {
    out += '{';
    for (std::size_t i = 0; i < object_.size(); ++i) {
      if (i > 0) out += ',';
      newline(indent + 1);
      AppendQuoted(out, object_[i].first);
      out += ": ";
      object_[i].second.PrettyTo(out, indent + 1);
    }
    newline(indent);
    out += '}';
  } else {
    SerializeTo(out);
  }
}

std::string Value::Pretty() const {
  std::string out;
  PrettyTo(out, 0);
  return out;
}

bool Value::Equals(const Value& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::kNumber: {
      if (text_ == other.text_) return true;
      auto a = as_double(), b = other.as_double();
      // Different texts of the same value ("1.0" and "1", "1e2" and "100") are equal when both
      // convert exactly; integers too large for a double compare by text only.
      auto ai = as_int64(), bi = other.as_int64();
      if (ai && bi) return *ai == *bi;
      return a && b && *a == *b;
    }
    case Kind::kString:
      return text_ == other.text_;
    case Kind::kArray:
      if (array_.size() != other.array_.size()) return false;
      for (std::size_t i = 0; i < array_.size(); ++i) {
        if (!array_[i].Equals(other.array_[i])) return false;
      }
      return true;
    case Kind::kObject:
      if (object_.size() != other.object_.size()) return false;
      for (const auto& [k, v] : object_) {
        const Value* o = other.find(k);
        if (o == nullptr || !v.Equals(*o)) return false;
      }
      return true;
    default:
      return true;
  }
}

}  // namespace entente::json
