// Validation of STIX 2.1 objects against the specification's MUST rules.
//
// What is checked: identifier syntax and type prefix, required properties, property kinds
// (timestamps, integers and their ranges, booleans, lists, dictionaries, hashes, binary, hex),
// closed vocabularies, reference target types (`*_ref` / `*_refs`), custom property names,
// granular markings, external references, kill chain phases, extensions, and per-type rules
// (modified >= created, valid_until > valid_from, location coordinates, artifact payload/url,
// ...). Deterministic SCO ids (UUIDv5 over the id-contributing properties, section 2.9) are
// recomputed; a v5 id that does not match is reported as a warning, because the spec makes
// v5 a SHOULD.
//
// Cost: one pass over the object's members with a hashed property lookup; no allocation on
// the success path. Thread-safe: Validator is immutable after construction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/stix/types.h"

namespace entente::stix {

struct Issue {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string object_id;  // "" if the object has no usable id
  std::string
      property;  // "" for object-level rules; a path such as "external_references[2].source_name"
  std::string rule;     // stable short name, e.g. "required", "timestamp", "ref-type"
  std::string message;  // for people

  // "indicator--...: valid_from: timestamp: '2016-13-01T00:00:00Z' has a month outside 01-12"
  std::string ToString() const;
};

// Facts of a validated object, as views into the parsed document (valid while it is).
struct ObjectHeader {
  std::string_view id;
  std::string_view type;
  std::string_view spec_version;  // "" for SCOs without one
  std::string_view created;       // "" when absent
  std::string_view modified;      // "" when absent (SCOs, marking-definitions)
  std::string_view created_by_ref;
  std::string_view name;   // name, or value for SCOs with one, for search
  std::string_view value;  // SCO `value`, when it has one
  std::string_view description;
  bool revoked = false;
  bool custom_type = false;
  ObjectClass object_class = ObjectClass::kSdo;
  json::Node labels;               // array or missing
  json::Node object_marking_refs;  // array or missing
  json::Node node;                 // the object itself
};

struct ValidateOptions {
  bool allow_custom_types = true;       // types not in the spec (x-foo, extension-defined)
  bool allow_custom_properties = true;  // properties not in the spec (x_foo, ...)
  bool check_sco_ids = true;            // recompute v5 SCO ids (a warning if they differ)
};

class Validator {
 public:
  explicit Validator(ValidateOptions options = {});

  // Checks one object. Returns the first error as InvalidArgument (message: Issue::ToString())
  // and fills `header` on success. Warnings do not fail the check.
  Status Check(json::Node object, ObjectHeader* header = nullptr) const;

  // All errors and warnings of one object, for reports.
  std::vector<Issue> CheckAll(json::Node object) const;

 private:
  ValidateOptions options_;
};

// The deterministic id of an SCO per STIX 2.1 section 2.9: "<type>--" + UUIDv5 (STIX
// namespace) over the JCS-canonical JSON of its id-contributing properties. Returns "" for
// types without id-contributing properties or when none is present.
std::string ComputeScoId(json::Node sco);

// RFC 8785 JSON Canonicalization Scheme (sorted keys, minimal escapes, ES6 numbers).
std::string CanonicalJson(const json::Value& value);
std::string CanonicalJson(json::Node node);

// Whether text has the form "<type>--<RFC 4122 uuid>" with a valid type name.
bool IsIdentifier(std::string_view text) noexcept;
// The type part of an identifier ("indicator" for "indicator--...").
std::string_view IdentifierType(std::string_view id) noexcept;
// Whether a type name is well formed (3-250 chars, [a-z0-9] words joined by single hyphens).
bool IsValidTypeName(std::string_view type) noexcept;

}  // namespace entente::stix
