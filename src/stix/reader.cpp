#include "entente/stix/reader.h"

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
  auto remaining = std::make_shared<std::string_view>(text);
  return ObjectReader(
      [remaining](char* buffer, std::size_t capacity) -> Result<std::size_t> {
        std::size_t n = std::min(capacity, remaining->size());
        std::memcpy(buffer, remaining->data(), n);
        remaining->remove_prefix(n);
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
      return n.status();
    }
    buf_.resize(old + *n);
    if (*n == 0) eof_ = true;
  }
  return Status::Ok();
}

void ObjectReader::Compact() {
  if (pos_ > (1u << 20) && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    base_ += pos_;
    pos_ = 0;
  }
}

Status ObjectReader::ErrorAt(std::size_t at, std::string what) const {
  return Status::InvalidArgument("STIX input at byte " + std::to_string(base_ + at) + ": " + what);
}

Result<bool> ObjectReader::SkipWs() {
  for (;;) {
    while (pos_ < buf_.size()) {
      char c = buf_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return true;
      ++pos_;
    }
    if (eof_) return false;
    ENTENTE_RETURN_IF_ERROR(Fill(1));
    if (pos_ >= buf_.size() && eof_) return false;
  }
}

Result<std::size_t> ObjectReader::ScanString(std::size_t from) {
  // buf_[from] == '"'
  std::size_t i = from + 1;
  for (;;) {
    while (i < buf_.size()) {
      std::size_t at = NextQuote(buf_.data(), i, buf_.size());
      if (at == buf_.size()) {
        i = at;
        break;
      }
      // Count the backslashes before the quote: an odd number escapes it.
      std::size_t k = at;
      while (k > from + 1 && buf_[k - 1] == '\\') --k;
      if ((at - k) % 2 == 0) return at + 1;
      i = at + 1;
    }
    if (i - pos_ > limits_.max_object_bytes) {
      return Status::LimitExceeded("STIX input at byte " + std::to_string(base_ + pos_) +
                                   ": a value is larger than the limit of " +
                                   std::to_string(limits_.max_object_bytes) + " bytes");
    }
    if (eof_) return ErrorAt(from, "truncated JSON: the input ends inside a string");
    ENTENTE_RETURN_IF_ERROR(Fill(buf_.size() - pos_ + 1));
  }
}

Result<std::size_t> ObjectReader::ScanValue(std::size_t from) {
  char c = buf_[from];
  if (c == '"') return ScanString(from);
  if (c != '{' && c != '[') {
    std::size_t i = from;
    for (;;) {
      while (i < buf_.size()) {
        char d = buf_[i];
        if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\n' || d == '\r' || d == '\t') {
          return i;
        }
        ++i;
      }
      if (eof_) return i;
      if (i - pos_ > 4096) return ErrorAt(from, "a bare value longer than 4096 bytes");
      ENTENTE_RETURN_IF_ERROR(Fill(buf_.size() - pos_ + 1));
    }
  }
  std::size_t depth = 0;
  std::size_t i = from;
  for (;;) {
    for (;;) {
      i = NextStructural(buf_.data(), i, buf_.size());
      if (i >= buf_.size()) break;
      char d = buf_[i];
      if (d == '"') {
        ENTENTE_ASSIGN_OR_RETURN(i, ScanString(i));
        continue;
      }
      if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    if (i - pos_ > limits_.max_object_bytes) {
      return Status::LimitExceeded("STIX input at byte " + std::to_string(base_ + from) +
                                   ": an object is larger than the limit of " +
                                   std::to_string(limits_.max_object_bytes) + " bytes");
    }
    if (eof_) return ErrorAt(from, "truncated JSON: the input ends inside this value");
    ENTENTE_RETURN_IF_ERROR(Fill(buf_.size() - pos_ + 1));
  }
}

Result<bool> ObjectReader::ObjectOrBundle(std::string_view* text, SourceLocation* where,
                                          std::int64_t index) {
  // buf_[pos_] == '{'. Walk the members: a member "objects" holding an array (and no "type"
  // other than "bundle" before it) makes this a bundle whose objects we stream.
  std::size_t start = pos_;
  std::size_t i = pos_ + 1;
  std::string type_buf;
  auto skip_ws = [&]() -> Status {
    for (;;) {
      while (i < buf_.size() &&
             (buf_[i] == ' ' || buf_[i] == '\n' || buf_[i] == '\r' || buf_[i] == '\t'))
        ++i;
      if (i < buf_.size() || eof_) return Status::Ok();
      ENTENTE_RETURN_IF_ERROR(Fill(buf_.size() - pos_ + 1));
    }
  };
  ENTENTE_RETURN_IF_ERROR(skip_ws());
  bool first = true;
  for (;;) {
    if (i >= buf_.size()) return ErrorAt(start, "truncated JSON: the input ends inside an object");
    if (buf_[i] == '}') {
      if (!first) return ErrorAt(i, "expected a member after ','");
      break;
    }
    if (buf_[i] != '"') return ErrorAt(i, "expected a member name");
    ENTENTE_ASSIGN_OR_RETURN(std::size_t key_end, ScanString(i));
    std::string key = buf_.substr(i + 1, key_end - i - 2);
    i = key_end;
    ENTENTE_RETURN_IF_ERROR(skip_ws());
    if (i >= buf_.size() || buf_[i] != ':') return ErrorAt(i, "expected ':' after member name");
    ++i;
    ENTENTE_RETURN_IF_ERROR(skip_ws());
    if (i >= buf_.size()) return ErrorAt(start, "truncated JSON: the input ends inside an object");
    if (key == "objects" && buf_[i] == '[' && (type_buf.empty() || type_buf == "bundle")) {
      pos_ = i + 1;
      stack_.push_back({Frame::kBundleObjects, true, 0});
      return false;  // entered a bundle
    }
    ENTENTE_ASSIGN_OR_RETURN(std::size_t value_end, ScanValue(i));
    if (key == "type" && buf_[i] == '"') type_buf = buf_.substr(i + 1, value_end - i - 2);
    i = value_end;
    ENTENTE_RETURN_IF_ERROR(skip_ws());
    if (i >= buf_.size()) return ErrorAt(start, "truncated JSON: the input ends inside an object");
    if (buf_[i] == ',') {
      ++i;
      first = false;
      ENTENTE_RETURN_IF_ERROR(skip_ws());
      continue;
    }
    if (buf_[i] == '}') break;
    return ErrorAt(i, "expected ',' or '}' in object");
  }
  // A plain object: [start, i]
  pos_ = i + 1;
  if (yielded_ >= limits_.max_objects) {
    return Status::LimitExceeded("more than " + std::to_string(limits_.max_objects) + " objects");
  }
  *text = std::string_view(buf_).substr(start, pos_ - start);
  if (where != nullptr) *where = {base_ + start, yielded_, index};
  ++yielded_;
  return true;
}

Result<bool> ObjectReader::Next(std::string_view* text, SourceLocation* where) {
  if (failed_) return Status::InvalidArgument("reader stopped after an earlier error");
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
    char c = buf_[pos_];
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
      if (buf_[pos_] != '"') return fail(ErrorAt(pos_, "expected a member name"));
      auto key_end = ScanString(pos_);
      if (!key_end.ok()) return fail(key_end.status());
      pos_ = *key_end;
      ws = SkipWs();
      if (!ws.ok() || !*ws || buf_[pos_] != ':') return fail(ErrorAt(pos_, "expected ':'"));
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
      c = buf_[pos_];
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
      *text = std::string_view(buf_).substr(start, pos_ - start);
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
