// The detection side of the node's store: stored STIX indicators into the index, hits back out
// as STIX sightings, and correlation of values across everything members shared.
//
// Indicators: every latest `indicator` with pattern_type "stix" is parsed (pattern module) and
// compiled to anchors; each anchor value goes into the index with the indicator's id, validity
// window, revocation, confidence and TLP. Patterns whose leaves cannot be indexed (LIKE,
// MATCHES, comparisons other than equality) are counted as unanchored and not scanned for.
//
// Sightings: hits are aggregated per indicator; Write() stores, per indicator, one
// observed-data (the distinct values seen as SCOs with deterministic ids, up to 100) and one
// sighting (sighting_of_ref, count, first_seen/last_seen from the log records' times when they
// have one, observed_data_refs, where_sighted_refs = this node's identity).
//
// Threading: one thread at a time per object.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "entente/base/status.h"
#include "entente/base/time.h"
#include "entente/detect/indicator_index.h"
#include "entente/detect/scanner.h"
#include "entente/store/store.h"

namespace entente::detect {

struct StoredIndicatorStats {
  std::size_t indicators = 0;  // latest indicator objects read
  std::size_t anchored = 0;    // indexed
  std::size_t unanchored = 0;  // valid patterns with no indexable leaf
  std::size_t not_stix = 0;    // pattern_type other than stix (sigma, yara, snort, ...)
  std::size_t invalid_patterns = 0;
  std::size_t values = 0;            // anchor values added
  std::vector<std::string> samples;  // a few of the skipped ones, with the reason
};

// Adds the node's stored indicators to `builder`. Fails only on store errors.
Status AddStoredIndicators(store::Store& store, IndexBuilder& builder, StoredIndicatorStats* stats);

class SightingRecorder {
 public:
  // `where_sighted_ref`: the identity of the node (or member) that saw the hits.
  // Hits without a wall-clock time of their own (log lines with relative or no times) are
  // placed at `now` (default: the time of construction).
  explicit SightingRecorder(std::string where_sighted_ref, std::optional<Timestamp> now = {});

  // Records a hit for each of its indicators that is a STIX indicator id.
  void Add(const Hit& hit);
  std::size_t indicators() const noexcept { return by_indicator_.size(); }

  // Stores the sightings and observed-data in one batch; returns the number of new sightings.
  // Ids are UUIDv5 of the observation (where, indicator, first and last seen, count, values),
  // so a sighting an earlier scan of the same data recorded is not stored again.
  Result<std::size_t> Write(store::Store& store);

 private:
  struct Seen {
    std::uint64_t count = 0;
    std::int64_t first_ms = INT64_MAX, last_ms = INT64_MIN;
    std::map<std::string, ObservableType> values;  // distinct values, capped
  };
  std::string where_;
  std::int64_t now_ms_;
  std::map<std::string, Seen> by_indicator_;
};

// What the node knows about one value: every stored object that names it (indicator patterns,
// observables in observed-data), across all members, and the reports, groupings and incidents
// those objects belong to. Computed from posting lists per value; nothing pairwise is stored.
struct Correlation {
  std::string value;
  std::string type;                     // observable type of the value
  std::vector<std::string> objects;     // ids of indicators and SCOs naming the value
  std::vector<std::string> containers;  // reports / groupings / incidents holding them
  std::vector<std::string> creators;    // distinct created_by_ref (which members)
  std::size_t total = 0;                // objects before the cap
  bool capped = false;                  // over-correlating: more than `cap` objects
};

class Correlator {
 public:
  // Builds posting lists from the store's latest objects (indicators, SCOs, containers).
  static Result<Correlator> Build(store::Store& store, std::size_t cap = 1000);
  // The correlation of one value (type inferred), or NotFound if nothing names it.
  Result<Correlation> Lookup(std::string_view value) const;
  // The other containers (reports, groupings, incidents) that share at least one value with
  // `container_id`, each with the shared values: "which incidents share infrastructure".
  Result<std::map<std::string, std::vector<std::string>>> SharedWith(
      std::string_view container_id) const;
  // Values named by more objects than the cap, with their counts (reported, not dropped).
  const std::map<std::string, std::size_t>& over_correlating() const noexcept { return over_; }

 private:
  std::size_t cap_ = 1000;
  std::map<std::string, std::vector<std::string>> postings_;  // canonical value -> object ids
  std::map<std::string, std::string> value_types_;
  std::map<std::string, std::vector<std::string>> containers_of_;  // object id -> containers
  std::map<std::string, std::vector<std::string>> values_of_;      // object id -> values
  std::map<std::string, std::vector<std::string>> members_of_;     // container -> object ids
  std::map<std::string, std::string> creator_;
  std::map<std::string, std::size_t> over_;
};

}  // namespace entente::detect
