#include "entente/stix/reader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace entente::stix {
namespace {

// The index of the first '"' at or after i in data[0, n), or n. Sixteen bytes at a time where
// SSE2 is available: most strings here are short keys, where a library memchr call costs more
// than the scan.
std::size_t NextQuote(const char* data, std::size_t i, std::size_t n) noexcept {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  for (; n - i >= 16; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    int mask = _mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  while (i < n && data[i] != '"') ++i;
  return i;
}

// The index of the first '"', '{', '}', '[' or ']' at or after i in data[0, n), or n.
std::size_t NextStructural(const char* data, std::size_t i, std::size_t n) noexcept {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i lb = _mm_set1_epi8('['), rb = _mm_set1_epi8(']');
  const __m128i lc = _mm_set1_epi8('{'), rc = _mm_set1_epi8('}');
  for (; n - i >= 16; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, lb)),
                     _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, rb), _mm_cmpeq_epi8(v, lc)),
                                  _mm_cmpeq_epi8(v, rc)));
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < n; ++i) {
    char c = data[i];
    if (c == '"' || c == '{' || c == '}' || c == '[' || c == ']') return i;
  }
  return i;
}

}  // namespace

std::string SourceLocation::ToString() const {
  std::string out = bundle_index >= 0 ? "objects[" + std::to_string(bundle_index) + "]"
                                      : "object " + std::to_string(ordinal);
  out += " at byte " + std::to_string(offset);
  return out;
}

ObjectReader::ObjectReader(ReadFn read, ReaderLimits limits)
    : read_(std::move(read)), limits_(limits) {}

Result<ObjectReader> ObjectReader::OpenFile(const std::string& path, ReaderLimits limits) {
  std::shared_ptr<FILE> file;
  if (path == "-") {
    file.reset(stdin, [](FILE*) {});
  } else {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
    file.reset(f, [](FILE* p) { std::fclose(p); });
  }
  return ObjectReader(
      [file, path](char* buffer, std::size_t capacity) -> Result<std::size_t> {
        std::size_t n = std::fread(buffer, 1, capacity, file.get());
        if (n == 0 && std::ferror(file.get())) {
          return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
        }
        return n;
      },
      limits);
}

ObjectReader ObjectReader::FromText(std::string_view text, ReaderLimits limits) {
  // The caller's text is the whole window: nothing to read, nothing to copy.
  ObjectReader reader(ReadFn(), limits);
  reader.data_ = text.data();
  reader.size_ = text.size();
  reader.eof_ = true;
  return reader;
}

ObjectReader ObjectReader::FromTextStreamed(std::string_view text, ReaderLimits limits) {
  auto rest = std::make_shared<std::string_view>(text);
  return ObjectReader(
      [rest](char* buffer, std::size_t capacity) -> Result<std::size_t> {
        std::size_t n = std::min(capacity, rest->size());
        std::memcpy(buffer, rest->data(), n);
        rest->remove_prefix(n);
        return n;
      },
      limits);
}

Status ObjectReader::Fill(std::size_t want) {
  while (!eof_ && buf_.size() - pos_ < want) {
    std::size_t old = buf_.size();
    std::size_t chunk = std::max(limits_.read_chunk, want - (buf_.size() - pos_));
    buf_.resize(old + chunk);
    auto n = read_(buf_.data() + old, chunk);
    if (!n.ok()) {
      buf_.resize(old);
      data_ = buf_.data();
      size_ = buf_.size();
      return n.status();
    }
    buf_.resize(old + *n);
    if (*n == 0) eof_ = true;
    data_ = buf_.data();
    size_ = buf_.size();
  }
  return Status::Ok();
}

void ObjectReader::Compact() {
  if (!read_) return;  // FromText: the window is the caller's text
  if (pos_ > (1u << 20) && pos_ * 2 > size_) {
    buf_.erase(0, pos_);
    base_ += pos_;
    pos_ = 0;
    data_ = buf_.data();
    size_ = buf_.size();
  }
}

Status ObjectReader::StringTooLarge() const {
  return Status::LimitExceeded("STIX input at byte " + std::to_string(base_ + pos_) +
                               ": a value is larger than the limit of " +
                               std::to_string(limits_.max_object_bytes) + " bytes");
}

Status ObjectReader::ObjectTooLarge(std::size_t from) const {
  return Status::LimitExceeded("STIX input at byte " + std::to_string(base_ + from) +
                               ": an object is larger than the limit of " +
                               std::to_string(limits_.max_object_bytes) + " bytes");
}

Status ObjectReader::ErrorAt(std::size_t at, std::string what) const {
  return Status::InvalidArgument("STIX input at byte " + std::to_string(base_ + at) + ": " + what);
}

Result<bool> ObjectReader::SkipWs() {
  for (;;) {
    while (pos_ < size_) {
      char c = data_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return true;
      ++pos_;
    }
    if (eof_) return false;
    ENTENTE_RETURN_IF_ERROR(Fill(1));
    if (pos_ >= size_ && eof_) return false;
  }
}

Result<std::size_t> ObjectReader::ScanString(std::size_t from) {
  // data_[from] == '"'
  std::size_t i = from + 1;
  for (;;) {
    while (i < size_) {
      std::size_t at = NextQuote(data_, i, size_);
      if (at == size_) {
        i = at;
        break;
      }
      // Count the backslashes before the quote: an odd number escapes it.
      std::size_t k = at;
      while (k > from + 1 && data_[k - 1] == '\\') --k;
      if ((at - k) % 2 == 0) {
        // The whole input may be in hand (FromText), so the limit is checked on every value,
        // not only when more must be read.
        if (at + 1 - pos_ > limits_.max_object_bytes) return StringTooLarge();
        return at + 1;
      }
      i = at + 1;
    }
    if (i - pos_ > limits_.max_object_bytes) return StringTooLarge();
    if (eof_) return ErrorAt(from, "truncated JSON: the input ends inside a string");
    ENTENTE_RETURN_IF_ERROR(Fill(size_ - pos_ + 1));
  }
}

Result<std::size_t> ObjectReader::ScanValue(std::size_t from) {
  char c = data_[from];
  if (c == '"') return ScanString(from);
  if (c != '{' && c != '[') {
    std::size_t i = from;
    for (;;) {
      while (i < size_) {
        char d = data_[i];
        if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\n' || d == '\r' || d == '\t') {
          break;
        }
        ++i;
      }
      if (i - from > 4096) return ErrorAt(from, "a bare value longer than 4096 bytes");
      if (i < size_ || eof_) return i;
      ENTENTE_RETURN_IF_ERROR(Fill(size_ - pos_ + 1));
    }
  }
  std::size_t depth = 0;
  std::size_t i = from;
  for (;;) {
    for (;;) {
      i = NextStructural(data_, i, size_);
      if (i >= size_) break;
      char d = data_[i];
      if (d == '"') {
        ENTENTE_ASSIGN_OR_RETURN(i, ScanString(i));
        continue;
      }
      if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) {
          if (i + 1 - pos_ > limits_.max_object_bytes) return ObjectTooLarge(from);
          return i + 1;
        }
      }
      ++i;
    }
    if (i - pos_ > limits_.max_object_bytes) return ObjectTooLarge(from);
    if (eof_) return ErrorAt(from, "truncated JSON: the input ends inside this value");
    ENTENTE_RETURN_IF_ERROR(Fill(size_ - pos_ + 1));
  }
}

Result<bool> ObjectReader::ObjectOrBundle(std::string_view* text, SourceLocation* where,
                                          std::int64_t index) {
  // data_[pos_] == '{'. Walk the members: a member "objects" holding an array (and no "type"
  // other than "bundle" before it) makes this a bundle whose objects we stream.
  std::size_t start = pos_;
  std::size_t i = pos_ + 1;
  std::string type_buf;
  auto skip_ws = [&]() -> Status {
    for (;;) {
      while (i < size_ &&
             (data_[i] == ' ' || data_[i] == '\n' || data_[i] == '\r' || data_[i] == '\t'))
        ++i;
      if (i < size_ || eof_) return Status::Ok();
      ENTENTE_RETURN_IF_ERROR(Fill(size_ - pos_ + 1));
    }
  };
  ENTENTE_RETURN_IF_ERROR(skip_ws());
  bool first = true;
  for (;;) {
    if (i >= size_) return ErrorAt(start, "truncated JSON: the input ends inside an object");
    if (data_[i] == '}') {
      if (!first) return ErrorAt(i, "expected a member after ','");
      break;
    }
    if (data_[i] != '"') return ErrorAt(i, "expected a member name");
    ENTENTE_ASSIGN_OR_RETURN(std::size_t key_end, ScanString(i));
    std::string key(data_ + i + 1, key_end - i - 2);
    i = key_end;
    ENTENTE_RETURN_IF_ERROR(skip_ws());
    if (i >= size_ || data_[i] != ':') return ErrorAt(i, "expected ':' after member name");
    ++i;
    ENTENTE_RETURN_IF_ERROR(skip_ws());
    if (i >= size_) return ErrorAt(start, "truncated JSON: the input ends inside an object");
    if (key == "objects" && data_[i] == '[' && (type_buf.empty() || type_buf == "bundle")) {
      pos_ = i + 1;
      stack_.push_back({Frame::kBundleObjects, true, 0});
      return false;  // entered a bundle
    }
    ENTENTE_ASSIGN_OR_RETURN(std::size_t value_end, ScanValue(i));
    if (key == "type" && data_[i] == '"') type_buf.assign(data_ + i + 1, value_end - i - 2);
    i = value_end;
    ENTENTE_RETURN_IF_ERROR(skip_ws());
    if (i >= size_) return ErrorAt(start, "truncated JSON: the input ends inside an object");
    if (data_[i] == ',') {
      ++i;
      first = false;
      ENTENTE_RETURN_IF_ERROR(skip_ws());
      continue;
    }
    if (data_[i] == '}') break;
    return ErrorAt(i, "expected ',' or '}' in object");
  }
  // A plain object: [start, i]
  if (i + 1 - start > limits_.max_object_bytes) return ObjectTooLarge(start);
  pos_ = i + 1;
  if (yielded_ >= limits_.max_objects) {
    return Status::LimitExceeded("more than " + std::to_string(limits_.max_objects) + " objects");
  }
  *text = std::string_view(data_ + start, pos_ - start);
  if (where != nullptr) *where = {base_ + start, yielded_, index};
  ++yielded_;
  return true;
}

Result<bool> ObjectReader::Next(std::string_view* text, SourceLocation* where) {
  if (failed_) return Status::InvalidArgument("reader stopped after an earlier error");
  if (read_) {
    // The reader may have moved since the last call, and a short buf_ lives inside it.
    data_ = buf_.data();
    size_ = buf_.size();
  }
  Compact();
  auto fail = [this](Status s) -> Result<bool> {
    failed_ = true;
    return s;
  };
  for (;;) {
    auto more = SkipWs();
    if (!more.ok()) return fail(more.status());
    if (!*more) {
      if (!stack_.empty())
        return fail(ErrorAt(pos_, "truncated JSON: the input ends inside a list"));
      return false;
    }
    char c = data_[pos_];
    if (stack_.empty()) {
      if (c == '[') {
        ++pos_;
        stack_.push_back({Frame::kArray, true, 0});
        continue;
      }
      if (c != '{') return fail(ErrorAt(pos_, "expected a STIX object, bundle or list of them"));
      auto r = ObjectOrBundle(text, where, -1);
      if (!r.ok()) return fail(r.status());
      if (*r) return true;
      continue;
    }
    Context& ctx = stack_.back();
    if (ctx.frame == Frame::kBundleTail) {
      // After a bundle's objects: the remaining members up to '}'.
      if (c == '}') {
        ++pos_;
        stack_.pop_back();
        continue;
      }
      if (c != ',') return fail(ErrorAt(pos_, "expected ',' or '}' after the bundle's objects"));
      ++pos_;
      auto ws = SkipWs();
      if (!ws.ok() || !*ws) return fail(ErrorAt(pos_, "truncated bundle"));
      if (data_[pos_] != '"') return fail(ErrorAt(pos_, "expected a member name"));
      auto key_end = ScanString(pos_);
      if (!key_end.ok()) return fail(key_end.status());
      pos_ = *key_end;
      ws = SkipWs();
      if (!ws.ok() || !*ws || data_[pos_] != ':') return fail(ErrorAt(pos_, "expected ':'"));
      ++pos_;
      ws = SkipWs();
      if (!ws.ok() || !*ws) return fail(ErrorAt(pos_, "truncated bundle"));
      auto value_end = ScanValue(pos_);
      if (!value_end.ok()) return fail(value_end.status());
      pos_ = *value_end;
      continue;
    }
    // In a list (top-level array or a bundle's objects).
    if (c == ']') {
      ++pos_;
      Frame frame = ctx.frame;
      stack_.pop_back();
      if (frame == Frame::kBundleObjects) stack_.push_back({Frame::kBundleTail, false, 0});
      continue;
    }
    if (!ctx.first) {
      if (c != ',') return fail(ErrorAt(pos_, "expected ',' or ']' in list"));
      ++pos_;
      auto ws = SkipWs();
      if (!ws.ok() || !*ws)
        return fail(ErrorAt(pos_, "truncated JSON: the input ends inside a list"));
      c = data_[pos_];
    }
    ctx.first = false;
    std::int64_t index = ctx.index++;
    if (c != '{') return fail(ErrorAt(pos_, "expected an object in the list"));
    if (ctx.frame == Frame::kBundleObjects) {
      std::size_t start = pos_;
      auto end = ScanValue(start);
      if (!end.ok()) return fail(end.status());
      if (yielded_ >= limits_.max_objects) {
        return fail(
            Status::LimitExceeded("more than " + std::to_string(limits_.max_objects) + " objects"));
      }
      pos_ = *end;
      *text = std::string_view(data_ + start, pos_ - start);
      if (where != nullptr) *where = {base_ + start, yielded_, index};
      ++yielded_;
      return true;
    }
    auto r = ObjectOrBundle(text, where, -1);
    if (!r.ok()) return fail(r.status());
    if (*r) return true;
  }
}

}  // namespace entente::stix
