// The STIX 2.1 object types, their properties and the rules the validator applies to them.
//
// The table is data, not code: one TypeSpec per type of the specification, each listing its
// properties with their kind (string, timestamp, reference to which types, ...). Types not in
// the table are custom types and are validated by the common rules only.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace entente::stix {

enum class ObjectClass : std::uint8_t {
  kSdo,   // STIX Domain Object
  kSco,   // STIX Cyber-observable Object
  kSro,   // relationship, sighting
  kMeta,  // marking-definition, extension-definition, language-content
  kBundle,
};

std::string_view ObjectClassName(ObjectClass c) noexcept;

enum class PropKind : std::uint8_t {
  kString,
  kNonEmptyString,
  kTimestamp,
  kTimestampMillis,  // created/modified: at least millisecond precision
  kBoolean,
  kInteger,  // with min/max below
  kNumber,
  kRef,         // one identifier, of the types in `refs`
  kRefList,     // non-empty list of identifiers
  kStringList,  // non-empty list of strings
  kHashes,      // dictionary of hash algorithm -> string
  kDictionary,  // object
  kObject,      // any object (validated by a type rule if needed)
  kList,        // non-empty list of anything (validated by a type rule if needed)
  kKillChainPhases,
  kExternalReferences,
  kGranularMarkings,
  kExtensions,
  kBinary,  // base64
  kHex,
  kOpenVocab,      // string; the vocabulary is advisory
  kClosedVocab,    // string from `vocab` only
  kOpenVocabList,  // list of strings
};

struct PropertySpec {
  std::string_view name;
  PropKind kind;
  bool required = false;
  // For kRef/kRefList: '|' separated allowed target types; "" = any; "sco" = any SCO type;
  // "sdo" = any SDO type. For kClosedVocab: '|' separated allowed values.
  std::string_view refs_or_vocab = {};
  std::int64_t min = 0;  // kInteger range (inclusive) when max > min
  std::int64_t max = 0;
};

struct TypeSpec {
  std::string_view type;
  ObjectClass object_class;
  std::span<const PropertySpec> properties;
  // SCOs: properties whose values form the deterministic UUIDv5 (spec section 6).
  std::span<const std::string_view> id_contributing = {};
  // At least one of these must be present (e.g. file: hashes or name); empty = no rule.
  std::span<const std::string_view> at_least_one_of = {};
};

// The spec type with this name, or nullptr for a custom (or misspelt) type.
const TypeSpec* FindType(std::string_view type) noexcept;
// All types of the specification, SDOs first.
std::span<const TypeSpec> AllTypes() noexcept;
// The property of a type (its own or the common ones of its class), or nullptr.
const PropertySpec* FindProperty(const TypeSpec& type, std::string_view name) noexcept;
// The properties every object of a class has in common (id, type, created, ...).
std::span<const PropertySpec> CommonProperties(ObjectClass c) noexcept;

// Whether `type` names an SCO of the spec; custom types are classified by the validator.
bool IsScoType(std::string_view type) noexcept;

}  // namespace entente::stix
