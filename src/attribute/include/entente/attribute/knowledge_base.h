// The attribution knowledge base: who uses what, as STIX objects describe it.
//
// Built from STIX 2.1 objects given as JSON (an ATT&CK bundle, or objects fed one by one from the
// node's store). It understands:
//   - intrusion-set (name, aliases, mitre-attack external_id G....),
//   - attack-pattern (T...., sub-techniques T....001; the parent is derived from the id),
//   - malware / tool (S...., name, x_mitre_aliases, aliases),
//   - relationship `uses`: group -> technique, group -> software, software -> technique,
//   - incidents, reports, groupings and campaigns with `attributed-to` relationships to an
//     intrusion-set (the only form of attribution read): the history of attributed incidents,
//     whose techniques, software, infrastructure (ipv4/ipv6/domain/url/x509/AS), targets
//     (identity sectors, location countries), activity hours and artefacts become further
//     profile evidence for the groups they are attributed to.
// Objects may arrive in any order; Finalize() resolves references. Unknown types are ignored.
//
// Costs: AddObject is O(size of the object); Finalize is linear in objects + relationships.
// Threads: build on one thread; a finalized KnowledgeBase is immutable and may be read by many.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"

namespace entente::attribute {

inline constexpr std::uint32_t kNone = 0xffffffffu;

struct Technique {
  std::string stix_id;
  std::string external_id;  // "T1566.001"
  std::string name;
  bool is_subtechnique = false;
  std::uint32_t parent = kNone;         // index of the parent technique for sub-techniques
  std::vector<std::uint32_t> children;  // sub-techniques of a parent technique
};

struct Software {
  std::string stix_id;
  std::string external_id;  // "S0002"
  std::string name;
  std::vector<std::string> aliases;
  bool is_malware = false;                // malware (often custom) vs tool (often public)
  std::vector<std::uint32_t> techniques;  // what the software is documented to do
  std::vector<std::uint32_t> groups;      // groups documented to use it
};

// Facts from one incident (or report, grouping, campaign) attributed to groups before.
struct HistoricIncident {
  std::string stix_id;
  std::string name;
  std::vector<std::uint32_t> groups;  // attributed-to
  std::vector<std::uint32_t> techniques;
  std::vector<std::uint32_t> software;
  std::vector<std::string> infrastructure;  // normalised "ipv4-addr:1.2.3.4", "domain-name:x"
  std::vector<std::string> sectors;         // identity sectors, lower case
  std::vector<std::string> countries;       // ISO 3166-1 alpha-2, upper case
  std::vector<int> activity_hours;          // UTC hours 0-23 of observed activity
  std::vector<std::string> artefacts;       // tooling artefacts (mutexes, PDB paths, ...)
};

struct Group {
  std::string stix_id;
  std::string external_id;  // "G0016"
  std::string name;
  std::vector<std::string> aliases;
  std::vector<std::uint32_t> techniques;  // used directly (sorted, unique)
  std::vector<std::uint32_t> software;    // used (sorted, unique)
  std::vector<std::uint32_t> incidents;   // attributed historic incidents
};

// Limits on what one knowledge base may hold (hostile or runaway input).
struct KbLimits {
  std::size_t max_objects = 2'000'000;
  std::size_t max_aliases = 256;        // per object
  std::size_t max_refs = 100'000;       // object_refs of one report/grouping
  std::size_t max_string_bytes = 4096;  // names, aliases, values kept
};

class KnowledgeBase {
 public:
  KnowledgeBase() = default;
  explicit KnowledgeBase(KbLimits limits) : limits_(limits) {}

  // Builds from a STIX bundle ({"type":"bundle","objects":[...]}) or a plain array of objects,
  // then finalizes. Fails with kInvalidArgument naming the object index and id when an object
  // of a type it reads is malformed, kLimitExceeded over the limits.
  static Result<KnowledgeBase> FromBundle(json::Node bundle_or_object_array, KbLimits limits = {});
  // Reads and parses a bundle file (kIoError if unreadable).
  static Result<KnowledgeBase> FromFile(const std::string& path, KbLimits limits = {});

  // Adds one STIX object. Objects of other types are ignored (Ok). Revoked or deprecated
  // objects (revoked, x_mitre_deprecated) are skipped. After AddObject, call Finalize().
  Status AddObject(json::Node object);
  // Resolves relationships and references; idempotent. Dangling references are skipped (the
  // count is in dangling_references()).
  Status Finalize();

  const std::vector<Group>& groups() const noexcept { return groups_; }
  const std::vector<Technique>& techniques() const noexcept { return techniques_; }
  const std::vector<Software>& software() const noexcept { return software_; }
  const std::vector<HistoricIncident>& incidents() const noexcept { return incidents_; }
  std::size_t dangling_references() const noexcept { return dangling_; }

  // Lookups, case-insensitive. Technique: "T1566.001", STIX id or name. Software: "S0002",
  // STIX id, name or alias. Group: "G0016", STIX id, name or alias. nullopt if unknown.
  std::optional<std::uint32_t> FindTechnique(std::string_view key) const;
  std::optional<std::uint32_t> FindSoftware(std::string_view key) const;
  std::optional<std::uint32_t> FindGroup(std::string_view key) const;

  // Like the Find* functions but with a kNotFound error that says what was looked for and, when
  // a close name exists, suggests it.
  Result<std::uint32_t> ResolveTechnique(std::string_view key) const;
  Result<std::uint32_t> ResolveSoftware(std::string_view key) const;
  Result<std::uint32_t> ResolveGroup(std::string_view key) const;

 private:
  struct PendingRelationship {
    std::string type, source, target;
  };
  struct PendingIncident {
    std::string stix_id, name;
    std::vector<std::string> refs;  // object_refs of reports/groupings
    std::vector<int> activity_hours;
    std::vector<std::string> artefacts;
  };
  struct Linked {  // objects an incident may link to, by id
    std::string type;
    std::string value;  // infrastructure value, country code, ...
    std::vector<std::string> sectors;
    std::vector<int> hours;
    std::vector<std::string> artefacts;
  };

  KbLimits limits_;
  std::vector<Group> groups_;
  std::vector<Technique> techniques_;
  std::vector<Software> software_;
  std::vector<HistoricIncident> incidents_;
  std::vector<PendingRelationship> relationships_;
  std::vector<PendingIncident> pending_incidents_;
  std::unordered_map<std::string, Linked> linked_;
  std::unordered_map<std::string, std::uint32_t> technique_keys_, software_keys_, group_keys_;
  std::size_t objects_ = 0;
  std::size_t dangling_ = 0;
  bool finalized_ = false;
};

// Lower-cases ASCII letters (ids and names compare case-insensitively).
std::string AsciiLower(std::string_view s);

// Reads the infrastructure value of a cyber-observable or infrastructure object as the
// normalised key the engine compares ("ipv4-addr:203.0.113.7", "domain-name:example.org",
// "x509-certificate:sha256:...", "autonomous-system:AS64500"); nullopt for other objects.
std::optional<std::string> InfrastructureKey(json::Node object);

}  // namespace entente::attribute

namespace entente::attribute {

// Where tools look for the ATT&CK bundle when none is given, in order: $ENTENTE_KB;
// <exe_dir>/../share/entente/attack/attack-enterprise-kb.json (installed);
// <exe_dir>/data/attack/attack-enterprise-kb.json; the source tree's data/attack (compiled in).
std::vector<std::string> DefaultKnowledgeBasePaths(std::string_view exe_dir);

// The model file that belongs to a knowledge base file: <kb dir>/../attribute/model.json.
std::string ModelPathFor(std::string_view kb_path);

}  // namespace entente::attribute
