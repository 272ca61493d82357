// Evidence from one incident, as the attribution engine weighs it.
//
// Each item says what was observed (a technique, a software family, an infrastructure value, a
// targeted sector or country, an hour of activity, a tooling artefact), where it came from
// (provenance: a STIX id, "cli", a scanner rule) and how far its source is trusted (the
// Admiralty / NATO scale: source reliability A-F, information credibility 1-6).
//
// Threads: plain values; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entente/attribute/knowledge_base.h"
#include "entente/base/json.h"
#include "entente/base/status.h"

namespace entente::attribute {

// Admiralty grading: source reliability 'A'..'F' and information credibility 1..6.
struct Admiralty {
  char reliability = 'F';  // F: reliability cannot be judged
  int credibility = 6;     // 6: truth cannot be judged

  // "B2" (either case). kInvalidArgument otherwise.
  static Result<Admiralty> Parse(std::string_view text);
  std::string ToString() const;
  // Multiplier on an item's weight: A1 = 1.0 ... E5 = 0.06. The "cannot be judged" grades (F,
  // 6) count as 0.6 each: neither trusted nor dismissed. See docs/ATTRIBUTION.md.
  double Weight() const noexcept;
};

enum class EvidenceKind : std::uint8_t {
  kTechnique,       // value: KB technique index (as text "T1566.001" in `label`)
  kSoftware,        // value: KB software index
  kInfrastructure,  // key: "ipv4-addr:203.0.113.7", ...
  kSector,          // key: "government"
  kCountry,         // key: "DE"
  kActivityHour,    // key: "0".."23" (UTC)
  kArtefact,        // key: "mutex:Global\\xyz", PDB path, ...
};
std::string_view EvidenceKindName(EvidenceKind kind) noexcept;

struct EvidenceItem {
  EvidenceKind kind = EvidenceKind::kTechnique;
  std::uint32_t index = kNone;       // technique or software index for those kinds
  std::string key;                   // normalised value for the other kinds; display id otherwise
  std::string provenance;            // where it came from: a STIX id, "cli", ...
  std::optional<Admiralty> grading;  // nullopt: not graded (weight 1)

  double Weight() const noexcept { return grading ? grading->Weight() : 1.0; }
};

struct Evidence {
  std::string incident_id;  // the STIX incident/report/grouping, if any
  std::vector<EvidenceItem> items;

  // Adds unless an item of the same kind and value is there; a later, better-graded duplicate
  // replaces the grading. Returns whether it was new.
  bool Add(EvidenceItem item);
  std::size_t Count(EvidenceKind kind) const noexcept;
};

struct IncidentLimits {
  std::size_t max_objects = 100'000;
  std::size_t max_items = 10'000;
  std::size_t max_string_bytes = 4096;
};

// Reads an incident bundle: a STIX bundle (or array) holding an incident, report or grouping
// and the objects it uses or references (relationships `uses`, `targets`, `related-to`,
// `indicates`, ..., and object_refs). Without such a container every object in the bundle
// counts as evidence. Attack-patterns and software are matched to the knowledge base by STIX
// id, ATT&CK id or name; those the KB does not know are skipped and listed in `unresolved`.
// Gradings come from `x_entente_admiralty` ("B2") or MISP admiralty-scale labels on an object,
// else from the container, else `default_grading`.
// Fails with kInvalidArgument (not a bundle, malformed objects) or kLimitExceeded.
Result<Evidence> EvidenceFromBundle(json::Node bundle, const KnowledgeBase& kb,
                                    std::optional<Admiralty> default_grading = std::nullopt,
                                    std::vector<std::string>* unresolved = nullptr,
                                    const IncidentLimits& limits = {});

}  // namespace entente::attribute
