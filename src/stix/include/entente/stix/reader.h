// Streaming reader of STIX content: bundles, single objects, arrays of either, and JSON lines
// (one object or bundle per line, or any whitespace-separated sequence), from any byte source.
//
// Memory is bounded by the largest single object (ReaderLimits::max_object_bytes), however
// large the bundle: a 1 M-object bundle is read one object at a time. The reader only finds
// where each object starts and ends; the caller parses and validates it (strictly) after.
//
// Threading: one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "entente/base/status.h"

namespace entente::stix {

struct ReaderLimits {
  std::size_t max_object_bytes = 64u << 20;  // one object (or one non-bundle top-level value)
  std::uint64_t max_objects = UINT64_MAX;    // objects yielded in all
  std::size_t read_chunk = 1u << 20;
};

// Where an object came from, for error messages.
struct SourceLocation {
  std::uint64_t offset = 0;        // byte offset of the object's first byte in the stream
  std::uint64_t ordinal = 0;       // 0-based count of objects yielded before this one
  std::int64_t bundle_index = -1;  // index in its bundle's "objects" array, -1 if not in a bundle

  // "objects[12] at byte 3456" or "object 3 at byte 3456".
  std::string ToString() const;
};

class ObjectReader {
 public:
  // Reads up to `capacity` bytes into `buffer`; returns the count, 0 at end of input.
  using ReadFn = std::function<Result<std::size_t>(char* buffer, std::size_t capacity)>;

  ObjectReader(ReadFn read, ReaderLimits limits = {});
  // A reader over a file (transparently gunzipped is not supported here; see formats), or
  // over standard input when path is "-".
  static Result<ObjectReader> OpenFile(const std::string& path, ReaderLimits limits = {});
  // A reader over text held by the caller, who keeps it alive while reading. The text is read
  // in place (no copy); objects come out as views into it, so they stay valid as long as it.
  static ObjectReader FromText(std::string_view text, ReaderLimits limits = {});
  // The same text through the streaming path instead, read_chunk bytes at a time as a file is
  // read (copied into the buffer, compacted past 1 MiB): for tests and fuzzing that check the
  // two paths give the same objects.
  static ObjectReader FromTextStreamed(std::string_view text, ReaderLimits limits = {});
  template <typename T>
  requires(!std::is_lvalue_reference_v<T> &&
           std::is_same_v<std::remove_cvref_t<T>, std::string>) static ObjectReader
      FromText(T&& text, ReaderLimits limits = {}) = delete;  // would dangle

  // Sets *text to the raw JSON text of the next object (valid until the next call) and
  // returns true; returns false at the end of input; returns an error for input that is not
  // STIX-shaped JSON (the error names the byte offset). After an error the reader stops.
  Result<bool> Next(std::string_view* text, SourceLocation* where = nullptr);

  std::uint64_t bytes_read() const noexcept { return base_ + size_; }

 private:
  enum class Frame : std::uint8_t { kArray, kBundleObjects, kBundleTail };
  struct Context {
    Frame frame;
    bool first;
    std::int64_t index;
  };

  Status Fill(std::size_t want);  // make at least `want` bytes available after pos_, or EOF
  Result<bool> SkipWs();          // false at end of input
  Result<std::size_t> ScanValue(std::size_t from);  // end (exclusive) of the value at `from`
  Result<std::size_t> ScanString(std::size_t from);
  Status ErrorAt(std::size_t at, std::string what) const;
  Status StringTooLarge() const;                  // over max_object_bytes
  Status ObjectTooLarge(std::size_t from) const;  // likewise, naming where it starts
  // At '{': either yields the object (returns true with *text set) or enters a bundle.
  Result<bool> ObjectOrBundle(std::string_view* text, SourceLocation* where, std::int64_t index);
  void Compact();

  ReadFn read_;
  ReaderLimits limits_;
  std::string buf_;  // read from read_ (empty for FromText)
  // The bytes in hand: buf_'s, or the caller's text for FromText. pos_ and every index into
  // it are offsets in this window.
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
  std::uint64_t base_ = 0;  // stream offset of buf_[0]
  bool eof_ = false;
  bool failed_ = false;
  std::uint64_t yielded_ = 0;
  std::vector<Context> stack_;
};

}  // namespace entente::stix
