// Deciding whether a STIX pattern matches a set of observations (STIX 2.1 part 9 semantics).
//
// An observation is one observed-data object (first_observed, last_observed, number_observed)
// with the SCOs it refers to: `object_refs` (STIX 2.1; ids resolved across everything loaded)
// or the deprecated embedded `objects` dictionary (STIX 2.0; references are its keys).
// References inside SCOs (`network-traffic:dst_ref.value`, `email-message:to_refs[*].value`)
// are followed; an unresolved reference selects nothing.
//
// The semantic choices where the specification leaves room are written down in
// docs/PATTERNS.md; the main ones:
//  - inside [ ], comparisons on the same SCO type joined by AND must hold for the same object;
//    comparisons on different types must each hold for some object of the same observation;
//  - between observation expressions, AND and FOLLOWEDBY need different observations; FOLLOWEDBY
//    needs the left side's last_observed <= the right side's first_observed;
//  - a type mismatch (string vs number, ...) makes a comparison false, with or without NOT;
//  - string comparisons are case-sensitive, except hash values (hashes.X) and the hash algorithm
//    key itself (hashes.sha256 finds "SHA-256");
//  - MATCHES uses RE2 (linear time, no backreferences or lookaround); a regex RE2 cannot run is a
//    compile error (Unsupported), never a stall. On *_bin / *_hex properties it runs on the
//    decoded bytes (the regex read as Latin-1).
//
// Threading: an ObservationSet and a CompiledPattern are immutable after construction and may
// be shared by any number of threads calling Match concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/base/time.h"
#include "entente/pattern/ast.h"

namespace entente::pattern {

// One observed-data object and its SCOs. Pointers refer into the owning ObservationSet.
struct Observation {
  std::string id;  // the observed-data id, or "" when built without one
  Timestamp first_observed;
  Timestamp last_observed;
  std::int64_t number_observed = 1;
  std::vector<const json::Value*> objects;  // the SCOs this observation reports
  std::vector<std::string_view> types;      // objects[i]'s "type"
  // Reference resolution for this observation: 2.0 keys ("0", "1", ...) and ids of the SCOs
  // added with AddObservation; then `ids`, the id table of the input it was loaded from.
  std::unordered_map<std::string, const json::Value*> local;
  const std::unordered_map<std::string, const json::Value*>* ids = nullptr;
};

struct LoadLimits {
  json::ParseLimits json;
  std::size_t max_observations = 1'000'000;
};

// Observations with the objects they refer to. Owns all JSON it was given.
class ObservationSet {
 public:
  ObservationSet() = default;
  ObservationSet(ObservationSet&&) = default;
  ObservationSet& operator=(ObservationSet&&) = default;

  // Adds every observed-data object in `json_text`: a STIX bundle, a JSON array of bundles (or
  // of STIX objects), or a single observed-data object. Fails with InvalidArgument naming the
  // object when an observed-data has no valid first_observed/last_observed. Ids resolve within
  // one call's input (all its bundles), never across calls; references to ids that are not in
  // the input are skipped (counted in unresolved_refs()). On failure nothing is added.
  Status AddJson(std::string_view json_text, const LoadLimits& limits = {});

  // Adds one observation built by the caller (tests, benchmarks, the log scanner). `scos` are
  // copied; references between them use their "id" members.
  void AddObservation(std::string id, Timestamp first_observed, Timestamp last_observed,
                      std::int64_t number_observed, std::vector<json::Value> scos);

  const std::vector<Observation>& observations() const noexcept { return observations_; }
  std::size_t size() const noexcept { return observations_.size(); }
  std::size_t unresolved_refs() const noexcept { return unresolved_refs_; }

  // The object a reference names, looked up in the observation first, then in the input it
  // came from; nullptr when unknown.
  const json::Value* Resolve(const Observation& obs, std::string_view ref) const;

 private:
  std::vector<std::unique_ptr<json::Value>> roots_;  // parsed inputs (stable addresses)
  std::vector<std::unique_ptr<json::Value>> owned_;  // SCOs given to AddObservation
  using IdTable = std::unordered_map<std::string, const json::Value*>;
  std::vector<std::unique_ptr<IdTable>> tables_;  // one per AddJson input
  std::vector<Observation> observations_;
  std::size_t unresolved_refs_ = 0;
};

struct MatchLimits {
  // Partial matches (sets of observations) kept per observation-expression node. Where the
  // answer only needs existence (no qualifier above), extra partial matches are dropped; under a
  // qualifier, going over is LimitExceeded rather than a silently wrong answer.
  std::size_t max_partial_matches = 100'000;
  // Ways to pick one object per SCO type inside one [ ] (after grouping equal objects).
  std::size_t max_assignments = 1u << 16;
  // Steps spent combining partial matches (AND, FOLLOWEDBY, REPEATS) in one Match call, so the
  // cost of any pattern on any input is bounded; over it, LimitExceeded.
  std::uint64_t max_work = 200'000'000;
};

struct MatchResult {
  bool matched = false;
  // Indexes (into ObservationSet::observations()) of the observations that take part in at
  // least one full match, ascending.
  std::vector<std::size_t> observations;
};

struct CompileOptions {
  std::size_t max_regex_length = 4096;      // bytes of one MATCHES regex
  int max_regex_program_size = 20'000;      // RE2 program size (ProgramSize) of one regex
  std::int64_t max_regex_memory = 8 << 20;  // RE2 memory budget per regex
};

// A parsed pattern made ready to evaluate: regexes compiled (RE2), CIDRs parsed, hash keys
// normalised. Cheap to copy (shares its immutable state).
class CompiledPattern {
 public:
  // Fails with the parser's errors, Unsupported for a MATCHES regex RE2 cannot compile or that
  // is over the program size limit, and InvalidArgument for an ISSUBSET/ISSUPERSET operand that
  // is not an IP address or CIDR; messages carry the leaf's column.
  static Result<CompiledPattern> Compile(std::string_view text, const ParseLimits& parse = {},
                                         const CompileOptions& options = {});
  static Result<CompiledPattern> Compile(Pattern pattern, const CompileOptions& options = {});

  // Evaluates against every observation in `set`. Costs: each comparison leaf is evaluated once
  // per object of its type; combining observation expressions is bounded by `limits`.
  Result<MatchResult> Match(const ObservationSet& set, const MatchLimits& limits = {}) const;

  const Pattern& pattern() const noexcept;

  struct Impl;

 private:
  explicit CompiledPattern(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// SQL LIKE as STIX defines it: '%' matches any run of characters, '_' exactly one (a UTF-8
// code point); everything else literally and case-sensitively. O(len(value) * len(like)).
bool LikeMatch(std::string_view value, std::string_view like) noexcept;

// "SHA256", "sha-256", "Sha_256" -> "SHA-256"; "md5" -> "MD5"; "sha3256" -> "SHA3-256"; other
// names upper-cased with '-' and '_' removed ("imphash" -> "IMPHASH").
std::string NormalizeHashAlgorithm(std::string_view name);

}  // namespace entente::pattern
