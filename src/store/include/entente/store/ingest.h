// Ingest: read STIX content, upgrade 2.0 objects, validate, and store, in batches.
//
// Policy for bad input (docs/CLI.md repeats it):
//  - An object that is not valid JSON or breaks a STIX MUST rule is rejected on its own: the
//    report names it (id, or its position) and the rule; the other objects are stored.
//    With `strict`, the first rejected object fails the whole ingest and nothing of it is kept.
//  - A conflicting duplicate (same id and version, different content) is rejected; the stored
//    version is kept. An identical duplicate is counted and changes nothing.
//  - Input that stops being STIX-shaped JSON (truncated, garbage between objects) ends the
//    ingest with an error; the objects before it that were committed stay, and are reported.
//  - Objects are committed every `batch_size` (strict: once, at the end); an object is
//    stored whole or not at all, and
//    a crash loses at most the uncommitted batch, never what a report said was stored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "entente/base/status.h"
#include "entente/stix/reader.h"
#include "entente/stix/validate.h"
#include "entente/store/store.h"

namespace entente::store {

struct IngestOptions {
  bool strict = false;
  std::size_t batch_size = 20000;
  std::size_t max_reported_errors = 100;
  stix::ReaderLimits reader_limits;
  json::ParseLimits json_limits;
  stix::ValidateOptions validate;
  // Other formats at the edge: called for a top-level value that is not a STIX object (it has
  // no string "type"), e.g. a MISP event. It may convert it and hand each resulting STIX object
  // to `emit` (as JSON text), which ingests it like any other; or return NotFound to say the
  // value is not in a format it knows (it is then rejected as invalid STIX).
  using Emit = std::function<Status(std::string_view stix_object_json)>;
  std::function<Status(json::Node value, const Emit& emit)> convert;
  // Called after each committed batch with the bytes read so far (progress display).
  std::function<void(std::uint64_t bytes, std::uint64_t objects)> on_progress;
};

struct IngestReport {
  std::uint64_t read = 0;        // objects read
  std::uint64_t added = 0;       // new versions stored
  std::uint64_t duplicates = 0;  // identical versions already stored
  std::uint64_t rejected = 0;    // invalid or conflicting
  std::uint64_t upgraded = 0;    // STIX 2.0 objects upgraded to 2.1
  std::uint64_t converted = 0;   // top-level values converted from another format (MISP)
  std::uint64_t warnings = 0;
  std::map<std::string, std::uint64_t> added_by_type;
  std::vector<std::string> errors;  // the first max_reported_errors, each naming the object
  std::string stopped;              // why reading stopped early, if it did

  void Merge(const IngestReport& other);
};

// Ingests everything `reader` yields. Fails only for store errors, for a stream error
// before anything was read, or in strict mode; otherwise returns the report.
Result<IngestReport> Ingest(Store& store, stix::ObjectReader& reader,
                            const IngestOptions& options = {});

}  // namespace entente::store
