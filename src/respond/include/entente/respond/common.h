// Shared vocabulary of the respond module: attribution confidence, member-state codes, data
// locations and the sink through which decisions and votes reach an append-only record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/bytes.h"
#include "entente/base/status.h"

namespace entente::respond {

// Attribution confidence as the attribution procedure reports it ("low", "moderate", "high";
// docs/ATTRIBUTION.md), plus kNone for "no attribution made". Ordered: kNone < kLow < ...
enum class Confidence : std::uint8_t { kNone = 0, kLow = 1, kModerate = 2, kHigh = 3 };
std::string_view ConfidenceName(Confidence c) noexcept;  // "none", "low", "moderate", "high"
// Parses one of the names above; InvalidArgument naming `where` otherwise.
Result<Confidence> ParseConfidence(std::string_view text, std::string_view where);

// Where an append-only record of respond events goes (the transparency log, wired by the node).
// Append is called once per accepted event, after it has been validated; `kind` is "proposal",
// "vote", "decision" or "statement", `subject` the STIX id, `payload_hash` the SHA3-256 of the
// exact signed bytes. A failed Append makes the caller report the event as not accepted.
// Implementations decide their own thread safety; the respond classes call it from the thread
// that calls them.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual Status Append(std::string_view kind, std::string_view subject, ByteView payload_hash) = 0;
};

// A sink that keeps events in memory (tests, offline tools).
class MemorySink final : public RecordSink {
 public:
  struct Event {
    std::string kind, subject;
    Bytes payload_hash;
  };
  Status Append(std::string_view kind, std::string_view subject, ByteView payload_hash) override;
  const std::vector<Event>& events() const noexcept { return events_; }

 private:
  std::vector<Event> events_;
};

// Files the module ships (data/respond/): candidate paths, the first existing one wins.
// `name` is a file name such as "measures.json". Looks in $ENTENTE_DATA_DIR/respond, next to
// the executable (../share/entente/respond), then in the source tree.
std::string FindDataFile(std::string_view name, std::string_view exe_dir = {});

// Reads a whole file of at most `limit` bytes (kLimitExceeded beyond, kIoError when unreadable).
Result<std::string> ReadLimitedFile(const std::string& path, std::size_t limit);

}  // namespace entente::respond
