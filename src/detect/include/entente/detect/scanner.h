// The log scanner: finds the observables in log text and matches them against an index.
//
// Inputs are byte streams (files, directories walked recursively, stdin), gzip or not (told by
// the magic bytes; streamed through zlib, never fully in memory). The format of each input is
// detected from its first line: Zeek TSV ("#separator"), Zeek JSON (a JSON object with "ts" or
// "uid"), JSON lines, CSV, or plain text. All formats are scanned by the same tokenizer: a
// vector pass marks token bytes [A-Za-z0-9._:-], seeds ('.', ':', '/', '@') and a few classes
// in bit masks; only the maximal runs holding a seed are cut and classified (IPv4, IPv6, domain,
// hash, e-mail local part, URL scheme), mostly from the masks; only runs that can be an
// observable are normalised and looked up, in batches with prefetch.
// Token semantics: a run is matched whole, so 1.2.3.4 never matches inside 11.2.3.45 and
// evil.example never inside notevil.example; parents of a domain are only whole labels.
//
// Hits carry the value as found, its type, what it matched (value, kind, indicator records),
// where (input name, 1-based line, byte offset in the decompressed stream, and for Zeek logs the
// record's ts and uid), and the warninglist verdict.
//
// Bad input: NUL bytes and invalid UTF-8 are just non-token bytes; lines longer than the chunk
// are scanned in pieces cut at token boundaries (memory stays at ~2 chunks); a truncated or
// corrupt gzip stream ends that input with a warning after scanning what decompressed; a Zeek
// record with fewer fields than its #fields header gets no ts/uid, with one warning per input.
// Hits per indicator are capped (a 0.0.0.0/0 indicator must not flood the output); the cap is
// reported in the summary.
//
// Threading: a Scanner is used by one thread at a time. Several Scanners may share one Index
// and one Warninglists. Each input is scanned against the generation current when it started
// (taken from the IndexHandle), so a reload never interrupts a scan.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/detect/indicator_index.h"
#include "entente/detect/warninglist.h"

namespace entente::detect {

enum class InputFormat : std::uint8_t { kAuto, kText, kJsonLines, kZeekTsv, kZeekJson, kCsv };
std::string_view InputFormatName(InputFormat format) noexcept;

struct Hit {
  std::string value;  // as found in the input
  ObservableType type = ObservableType::kOther;
  MatchKind kind = MatchKind::kExact;
  std::string matched;  // the indicator value (text form), e.g. "org.example", "10.0.0.0/8"
  std::vector<const IndicatorMeta*> indicators;  // valid for the life of the index generation
  std::string input;                             // file name or "-"
  std::uint64_t line = 0;                        // 1-based
  std::uint64_t offset = 0;  // byte offset of the value in the (decompressed) input
  std::string ts, uid;       // Zeek records only
  std::string warninglists;  // list names when warninglisted, else empty
};

struct ScanOptions {
  std::size_t chunk_bytes = 1 << 20;   // read size; memory is ~3x this
  std::size_t max_token_bytes = 4096;  // longer runs/URLs are cut (and not matched)
  bool parent_domains = true;
  bool cidrs = true;
  bool suppress_warninglisted = false;  // drop instead of flag
  std::uint32_t max_hits_per_indicator = 1000;
  bool include_revoked = false;
  std::int64_t valid_at_ms = 0;  // when non-zero, indicators must be valid then
  InputFormat format = InputFormat::kAuto;
};

struct ScanSummary {
  std::uint64_t bytes = 0;    // decompressed bytes scanned
  std::uint64_t records = 0;  // lines
  std::uint64_t inputs = 0;
  std::uint64_t candidates = 0;     // index probes issued
  std::uint64_t hits = 0;           // hits delivered
  std::uint64_t warninglisted = 0;  // hits on warninglisted values (delivered or not)
  std::uint64_t suppressed_warninglisted = 0;
  std::uint64_t public_suffix_skipped = 0;  // parent matches refused by the public-suffix rule
  std::uint64_t capped = 0;                 // hits dropped by the per-indicator cap
  std::uint64_t capped_indicators = 0;
  std::uint64_t warnings = 0;
  double seconds = 0;
};

using HitSink = std::function<void(const Hit&)>;
using WarningSink = std::function<void(const std::string&)>;

class Scanner {
 public:
  // `warninglists` may be null. The handle must outlive the Scanner.
  Scanner(const IndexHandle& index, const Warninglists* warninglists, ScanOptions options,
          HitSink on_hit, WarningSink on_warning = nullptr);
  ~Scanner();

  // A file, or every regular file under a directory (sorted, recursively); "-" is stdin.
  // Errors opening an input are warnings (the scan goes on) unless it is the only input.
  Status ScanPath(const std::string& path);
  // An open file descriptor (not closed), named `name` in hits.
  Status ScanFd(int fd, const std::string& name);
  // Bytes already in memory (decompressed if they start with the gzip magic).
  Status ScanBuffer(std::string_view data, const std::string& name);

  // Totals so far; the per-indicator cap is reported once per capped indicator through the
  // warning sink when Finish() is called.
  const ScanSummary& summary() const noexcept;
  void Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace entente::detect
