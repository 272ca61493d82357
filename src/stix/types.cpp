#include "entente/stix/types.h"

#include <array>
#include <cstdint>
#include <iterator>

namespace entente::stix {
namespace {

using K = PropKind;
using P = PropertySpec;
using Names = std::string_view;

constexpr std::int64_t kMaxCount = 999999999;

// Common properties (STIX 2.1 sections 3.2, 6.1, 7.1, 7.2, 7.3).
constexpr P kSdoCommon[] = {
    {"type", K::kNonEmptyString, true},
    {"spec_version", K::kClosedVocab, true, "2.1"},
    {"id", K::kNonEmptyString, true},
    {"created_by_ref", K::kRef, false, "identity"},
    {"created", K::kTimestampMillis, true},
    {"modified", K::kTimestampMillis, true},
    {"revoked", K::kBoolean},
    {"labels", K::kStringList},
    {"confidence", K::kInteger, false, {}, 0, 100},
    {"lang", K::kNonEmptyString},
    {"external_references", K::kExternalReferences},
    {"object_marking_refs", K::kRefList, false, "marking-definition"},
    {"granular_markings", K::kGranularMarkings},
    {"extensions", K::kExtensions},
};
constexpr P kScoCommon[] = {
    {"type", K::kNonEmptyString, true},
    {"spec_version", K::kClosedVocab, false, "2.1"},
    {"id", K::kNonEmptyString, true},
    {"object_marking_refs", K::kRefList, false, "marking-definition"},
    {"granular_markings", K::kGranularMarkings},
    {"defanged", K::kBoolean},
    {"extensions", K::kExtensions},
};
constexpr P kMarkingCommon[] = {
    {"type", K::kNonEmptyString, true},
    {"spec_version", K::kClosedVocab, true, "2.1"},
    {"id", K::kNonEmptyString, true},
    {"created_by_ref", K::kRef, false, "identity"},
    {"created", K::kTimestampMillis, true},
    {"external_references", K::kExternalReferences},
    {"object_marking_refs", K::kRefList, false, "marking-definition"},
    {"granular_markings", K::kGranularMarkings},
    {"extensions", K::kExtensions},
};
constexpr P kBundleCommon[] = {
    {"type", K::kNonEmptyString, true},
    {"id", K::kNonEmptyString, true},
    {"objects", K::kList},
};

// ---- SDOs ----
constexpr P kAttackPattern[] = {{"name", K::kNonEmptyString, true},
                                {"description", K::kString},
                                {"aliases", K::kStringList},
                                {"kill_chain_phases", K::kKillChainPhases}};
constexpr P kCampaign[] = {{"name", K::kNonEmptyString, true}, {"description", K::kString},
                           {"aliases", K::kStringList},        {"first_seen", K::kTimestamp},
                           {"last_seen", K::kTimestamp},       {"objective", K::kString}};
constexpr P kCourseOfAction[] = {{"name", K::kNonEmptyString, true}, {"description", K::kString}};
constexpr P kGrouping[] = {{"name", K::kString},
                           {"description", K::kString},
                           {"context", K::kOpenVocab, true},
                           {"object_refs", K::kRefList, true}};
constexpr P kIdentity[] = {{"name", K::kNonEmptyString, true}, {"description", K::kString},
                           {"roles", K::kStringList},          {"identity_class", K::kOpenVocab},
                           {"sectors", K::kOpenVocabList},     {"contact_information", K::kString}};
constexpr P kIncident[] = {{"name", K::kNonEmptyString, true},
                           {"description", K::kString},
                           {"kill_chain_phases", K::kKillChainPhases}};
constexpr P kIndicator[] = {{"name", K::kString},
                            {"description", K::kString},
                            {"indicator_types", K::kOpenVocabList},
                            {"pattern", K::kNonEmptyString, true},
                            {"pattern_type", K::kOpenVocab, true},
                            {"pattern_version", K::kString},
                            {"valid_from", K::kTimestamp, true},
                            {"valid_until", K::kTimestamp},
                            {"kill_chain_phases", K::kKillChainPhases}};
constexpr P kInfrastructure[] = {{"name", K::kNonEmptyString, true},
                                 {"description", K::kString},
                                 {"infrastructure_types", K::kOpenVocabList},
                                 {"aliases", K::kStringList},
                                 {"kill_chain_phases", K::kKillChainPhases},
                                 {"first_seen", K::kTimestamp},
                                 {"last_seen", K::kTimestamp}};
constexpr P kIntrusionSet[] = {{"name", K::kNonEmptyString, true},
                               {"description", K::kString},
                               {"aliases", K::kStringList},
                               {"first_seen", K::kTimestamp},
                               {"last_seen", K::kTimestamp},
                               {"goals", K::kStringList},
                               {"resource_level", K::kOpenVocab},
                               {"primary_motivation", K::kOpenVocab},
                               {"secondary_motivations", K::kOpenVocabList}};
constexpr P kLocation[] = {{"name", K::kString},
                           {"description", K::kString},
                           {"latitude", K::kNumber},
                           {"longitude", K::kNumber},
                           {"precision", K::kNumber},
                           {"region", K::kOpenVocab},
                           {"country", K::kNonEmptyString},
                           {"administrative_area", K::kString},
                           {"city", K::kString},
                           {"street_address", K::kString},
                           {"postal_code", K::kString}};
constexpr P kMalware[] = {{"name", K::kNonEmptyString},
                          {"description", K::kString},
                          {"malware_types", K::kOpenVocabList},
                          {"is_family", K::kBoolean, true},
                          {"aliases", K::kStringList},
                          {"kill_chain_phases", K::kKillChainPhases},
                          {"first_seen", K::kTimestamp},
                          {"last_seen", K::kTimestamp},
                          {"operating_system_refs", K::kRefList, false, "software"},
                          {"architecture_execution_envs", K::kOpenVocabList},
                          {"implementation_languages", K::kOpenVocabList},
                          {"capabilities", K::kOpenVocabList},
                          {"sample_refs", K::kRefList, false, "file|artifact"}};
constexpr P kMalwareAnalysis[] = {
    {"product", K::kNonEmptyString, true},
    {"version", K::kString},
    {"host_vm_ref", K::kRef, false, "software"},
    {"operating_system_ref", K::kRef, false, "software"},
    {"installed_software_refs", K::kRefList, false, "software"},
    {"configuration_version", K::kString},
    {"modules", K::kStringList},
    {"analysis_engine_version", K::kString},
    {"analysis_definition_version", K::kString},
    {"submitted", K::kTimestamp},
    {"analysis_started", K::kTimestamp},
    {"analysis_ended", K::kTimestamp},
    {"result_name", K::kString},
    {"result", K::kClosedVocab, false, "malicious|suspicious|benign|unknown"},
    {"analysis_sco_refs", K::kRefList, false, "sco"},
    {"sample_ref", K::kRef, false, "file|network-traffic|artifact"}};
constexpr P kNote[] = {{"abstract", K::kString},
                       {"content", K::kNonEmptyString, true},
                       {"authors", K::kStringList},
                       {"object_refs", K::kRefList, true}};
constexpr P kObservedData[] = {{"first_observed", K::kTimestamp, true},
                               {"last_observed", K::kTimestamp, true},
                               {"number_observed", K::kInteger, true, {}, 1, kMaxCount},
                               {"objects", K::kDictionary},
                               {"object_refs", K::kRefList, false, "sco|relationship"}};
constexpr P kOpinion[] = {
    {"explanation", K::kString},
    {"authors", K::kStringList},
    {"opinion", K::kClosedVocab, true, "strongly-disagree|disagree|neutral|agree|strongly-agree"},
    {"object_refs", K::kRefList, true}};
constexpr P kReport[] = {{"name", K::kNonEmptyString, true},
                         {"description", K::kString},
                         {"report_types", K::kOpenVocabList},
                         {"published", K::kTimestamp, true},
                         {"object_refs", K::kRefList, true}};
constexpr P kThreatActor[] = {{"name", K::kNonEmptyString, true},
                              {"description", K::kString},
                              {"threat_actor_types", K::kOpenVocabList},
                              {"aliases", K::kStringList},
                              {"first_seen", K::kTimestamp},
                              {"last_seen", K::kTimestamp},
                              {"roles", K::kOpenVocabList},
                              {"goals", K::kStringList},
                              {"sophistication", K::kOpenVocab},
                              {"resource_level", K::kOpenVocab},
                              {"primary_motivation", K::kOpenVocab},
                              {"secondary_motivations", K::kOpenVocabList},
                              {"personal_motivations", K::kOpenVocabList}};
constexpr P kTool[] = {{"name", K::kNonEmptyString, true},         {"description", K::kString},
                       {"tool_types", K::kOpenVocabList},          {"aliases", K::kStringList},
                       {"kill_chain_phases", K::kKillChainPhases}, {"tool_version", K::kString}};
constexpr P kVulnerability[] = {{"name", K::kNonEmptyString, true}, {"description", K::kString}};

// ---- SROs ----
constexpr P kRelationship[] = {{"relationship_type", K::kNonEmptyString, true},
                               {"description", K::kString},
                               {"source_ref", K::kRef, true, "sdo|sco"},
                               {"target_ref", K::kRef, true, "sdo|sco"},
                               {"start_time", K::kTimestamp},
                               {"stop_time", K::kTimestamp}};
constexpr P kSighting[] = {{"description", K::kString},
                           {"first_seen", K::kTimestamp},
                           {"last_seen", K::kTimestamp},
                           {"count", K::kInteger, false, {}, 0, kMaxCount},
                           {"sighting_of_ref", K::kRef, true, "sdo"},
                           {"observed_data_refs", K::kRefList, false, "observed-data"},
                           {"where_sighted_refs", K::kRefList, false, "identity|location"},
                           {"summary", K::kBoolean}};

// ---- meta objects ----
constexpr P kMarkingDefinition[] = {
    {"name", K::kString}, {"definition_type", K::kOpenVocab}, {"definition", K::kDictionary}};
constexpr P kExtensionDefinition[] = {
    {"name", K::kNonEmptyString, true},           {"description", K::kString},
    {"schema", K::kNonEmptyString, true},         {"version", K::kNonEmptyString, true},
    {"extension_types", K::kOpenVocabList, true}, {"extension_properties", K::kStringList}};
constexpr P kLanguageContent[] = {{"object_ref", K::kRef, true, ""},
                                  {"object_modified", K::kTimestamp},
                                  {"contents", K::kDictionary, true}};

// ---- SCOs ----
constexpr P kArtifact[] = {{"mime_type", K::kString},
                           {"payload_bin", K::kBinary},
                           {"url", K::kNonEmptyString},
                           {"hashes", K::kHashes},
                           {"encryption_algorithm", K::kClosedVocab, false,
                            "AES-256-GCM|ChaCha20-Poly1305|mime-type-indicated"},
                           {"decryption_key", K::kString}};
constexpr P kAutonomousSystem[] = {
    {"number", K::kInteger, true, {}, 0, 4294967295}, {"name", K::kString}, {"rir", K::kString}};
constexpr P kDirectory[] = {
    {"path", K::kNonEmptyString, true}, {"path_enc", K::kString},
    {"ctime", K::kTimestamp},           {"mtime", K::kTimestamp},
    {"atime", K::kTimestamp},           {"contains_refs", K::kRefList, false, "file|directory"}};
constexpr P kDomainName[] = {
    {"value", K::kNonEmptyString, true},
    {"resolves_to_refs", K::kRefList, false, "ipv4-addr|ipv6-addr|domain-name"}};
constexpr P kEmailAddr[] = {{"value", K::kNonEmptyString, true},
                            {"display_name", K::kString},
                            {"belongs_to_ref", K::kRef, false, "user-account"}};
constexpr P kEmailMessage[] = {{"is_multipart", K::kBoolean, true},
                               {"date", K::kTimestamp},
                               {"content_type", K::kString},
                               {"from_ref", K::kRef, false, "email-addr"},
                               {"sender_ref", K::kRef, false, "email-addr"},
                               {"to_refs", K::kRefList, false, "email-addr"},
                               {"cc_refs", K::kRefList, false, "email-addr"},
                               {"bcc_refs", K::kRefList, false, "email-addr"},
                               {"message_id", K::kString},
                               {"subject", K::kString},
                               {"received_lines", K::kStringList},
                               {"additional_header_fields", K::kDictionary},
                               {"body", K::kString},
                               {"body_multipart", K::kList},
                               {"raw_email_ref", K::kRef, false, "artifact"}};
constexpr P kFile[] = {{"hashes", K::kHashes},
                       {"size", K::kInteger, false, {}, 0, INT64_MAX},
                       {"name", K::kString},
                       {"name_enc", K::kString},
                       {"magic_number_hex", K::kHex},
                       {"mime_type", K::kString},
                       {"ctime", K::kTimestamp},
                       {"mtime", K::kTimestamp},
                       {"atime", K::kTimestamp},
                       {"parent_directory_ref", K::kRef, false, "directory"},
                       {"contains_refs", K::kRefList, false, "sco"},
                       {"content_ref", K::kRef, false, "artifact"}};
constexpr P kIpv4[] = {{"value", K::kNonEmptyString, true},
                       {"resolves_to_refs", K::kRefList, false, "mac-addr"},
                       {"belongs_to_refs", K::kRefList, false, "autonomous-system"}};
constexpr P kMacAddr[] = {{"value", K::kNonEmptyString, true}};
constexpr P kMutex[] = {{"name", K::kNonEmptyString, true}};
constexpr P kNetworkTraffic[] = {
    {"start", K::kTimestamp},
    {"end", K::kTimestamp},
    {"is_active", K::kBoolean},
    {"src_ref", K::kRef, false, "ipv4-addr|ipv6-addr|mac-addr|domain-name"},
    {"dst_ref", K::kRef, false, "ipv4-addr|ipv6-addr|mac-addr|domain-name"},
    {"src_port", K::kInteger, false, {}, 0, 65535},
    {"dst_port", K::kInteger, false, {}, 0, 65535},
    {"protocols", K::kStringList, true},
    {"src_byte_count", K::kInteger, false, {}, 0, INT64_MAX},
    {"dst_byte_count", K::kInteger, false, {}, 0, INT64_MAX},
    {"src_packets", K::kInteger, false, {}, 0, INT64_MAX},
    {"dst_packets", K::kInteger, false, {}, 0, INT64_MAX},
    {"ipfix", K::kDictionary},
    {"src_payload_ref", K::kRef, false, "artifact"},
    {"dst_payload_ref", K::kRef, false, "artifact"},
    {"encapsulates_refs", K::kRefList, false, "network-traffic"},
    {"encapsulated_by_ref", K::kRef, false, "network-traffic"}};
constexpr P kProcess[] = {{"is_hidden", K::kBoolean},
                          {"pid", K::kInteger, false, {}, 0, INT64_MAX},
                          {"created_time", K::kTimestamp},
                          {"cwd", K::kString},
                          {"command_line", K::kString},
                          {"environment_variables", K::kDictionary},
                          {"opened_connection_refs", K::kRefList, false, "network-traffic"},
                          {"creator_user_ref", K::kRef, false, "user-account"},
                          {"image_ref", K::kRef, false, "file"},
                          {"parent_ref", K::kRef, false, "process"},
                          {"child_refs", K::kRefList, false, "process"}};
constexpr P kSoftware[] = {
    {"name", K::kNonEmptyString, true}, {"cpe", K::kString},    {"swid", K::kString},
    {"languages", K::kStringList},      {"vendor", K::kString}, {"version", K::kString}};
constexpr P kUrl[] = {{"value", K::kNonEmptyString, true}};
constexpr P kUserAccount[] = {{"user_id", K::kString},
                              {"credential", K::kString},
                              {"account_login", K::kString},
                              {"account_type", K::kOpenVocab},
                              {"display_name", K::kString},
                              {"is_service_account", K::kBoolean},
                              {"is_privileged", K::kBoolean},
                              {"can_escalate_privs", K::kBoolean},
                              {"is_disabled", K::kBoolean},
                              {"account_created", K::kTimestamp},
                              {"account_expires", K::kTimestamp},
                              {"credential_last_changed", K::kTimestamp},
                              {"account_first_login", K::kTimestamp},
                              {"account_last_login", K::kTimestamp}};
constexpr P kRegistryKey[] = {{"key", K::kString},
                              {"values", K::kList},
                              {"modified_time", K::kTimestamp},
                              {"creator_user_ref", K::kRef, false, "user-account"},
                              {"number_of_subkeys", K::kInteger, false, {}, 0, INT64_MAX}};
constexpr P kX509[] = {{"is_self_signed", K::kBoolean},
                       {"hashes", K::kHashes},
                       {"version", K::kString},
                       {"serial_number", K::kString},
                       {"signature_algorithm", K::kString},
                       {"issuer", K::kString},
                       {"validity_not_before", K::kTimestamp},
                       {"validity_not_after", K::kTimestamp},
                       {"subject", K::kString},
                       {"subject_public_key_algorithm", K::kString},
                       {"subject_public_key_modulus", K::kString},
                       {"subject_public_key_exponent", K::kInteger, false, {}, 0, INT64_MAX},
                       {"x509_v3_extensions", K::kDictionary}};

// Id-contributing properties (STIX 2.1 section 6, per SCO).
constexpr Names kIdArtifact[] = {"hashes", "payload_bin"};
constexpr Names kIdNumber[] = {"number"};
constexpr Names kIdPath[] = {"path"};
constexpr Names kIdValue[] = {"value"};
constexpr Names kIdEmailMessage[] = {"from_ref", "subject", "body"};
constexpr Names kIdFile[] = {"hashes", "name", "extensions", "parent_directory_ref"};
constexpr Names kIdName[] = {"name"};
constexpr Names kIdNetworkTraffic[] = {"start",    "end",      "src_ref",   "dst_ref",
                                       "src_port", "dst_port", "protocols", "extensions"};
constexpr Names kIdSoftware[] = {"name", "cpe", "swid", "vendor", "version"};
constexpr Names kIdUserAccount[] = {"account_type", "user_id", "account_login"};
constexpr Names kIdRegistryKey[] = {"key", "values"};
constexpr Names kIdX509[] = {"hashes", "serial_number"};

constexpr Names kOneOfFile[] = {"hashes", "name"};
constexpr Names kOneOfArtifact[] = {"payload_bin", "url"};
constexpr Names kOneOfNetworkTraffic[] = {"src_ref", "dst_ref"};
constexpr Names kOneOfObservedData[] = {"object_refs", "objects"};
constexpr Names kOneOfMalwareAnalysis[] = {"result", "analysis_sco_refs"};
constexpr Names kOneOfLocation[] = {"region", "country", "latitude"};
constexpr Names kOneOfProcess[] = {"is_hidden",
                                   "pid",
                                   "created_time",
                                   "cwd",
                                   "command_line",
                                   "environment_variables",
                                   "opened_connection_refs",
                                   "creator_user_ref",
                                   "image_ref",
                                   "parent_ref",
                                   "child_refs",
                                   "extensions"};
constexpr Names kOneOfUserAccount[] = {"user_id",
                                       "credential",
                                       "account_login",
                                       "account_type",
                                       "display_name",
                                       "is_service_account",
                                       "is_privileged",
                                       "can_escalate_privs",
                                       "is_disabled",
                                       "account_created",
                                       "account_expires",
                                       "credential_last_changed",
                                       "account_first_login",
                                       "account_last_login",
                                       "extensions"};
constexpr Names kOneOfRegistryKey[] = {
    "key", "values", "modified_time", "creator_user_ref", "number_of_subkeys", "extensions"};
constexpr Names kOneOfX509[] = {"is_self_signed",
                                "hashes",
                                "version",
                                "serial_number",
                                "signature_algorithm",
                                "issuer",
                                "validity_not_before",
                                "validity_not_after",
                                "subject",
                                "subject_public_key_algorithm",
                                "subject_public_key_modulus",
                                "subject_public_key_exponent",
                                "x509_v3_extensions",
                                "extensions"};

using C = ObjectClass;
constexpr TypeSpec kTypes[] = {
    {"attack-pattern", C::kSdo, kAttackPattern},
    {"campaign", C::kSdo, kCampaign},
    {"course-of-action", C::kSdo, kCourseOfAction},
    {"grouping", C::kSdo, kGrouping},
    {"identity", C::kSdo, kIdentity},
    {"incident", C::kSdo, kIncident},
    {"indicator", C::kSdo, kIndicator},
    {"infrastructure", C::kSdo, kInfrastructure},
    {"intrusion-set", C::kSdo, kIntrusionSet},
    {"location", C::kSdo, kLocation, {}, kOneOfLocation},
    {"malware", C::kSdo, kMalware},
    {"malware-analysis", C::kSdo, kMalwareAnalysis, {}, kOneOfMalwareAnalysis},
    {"note", C::kSdo, kNote},
    {"observed-data", C::kSdo, kObservedData, {}, kOneOfObservedData},
    {"opinion", C::kSdo, kOpinion},
    {"report", C::kSdo, kReport},
    {"threat-actor", C::kSdo, kThreatActor},
    {"tool", C::kSdo, kTool},
    {"vulnerability", C::kSdo, kVulnerability},
    {"relationship", C::kSro, kRelationship},
    {"sighting", C::kSro, kSighting},
    {"marking-definition", C::kMeta, kMarkingDefinition},
    {"extension-definition", C::kMeta, kExtensionDefinition},
    {"language-content", C::kMeta, kLanguageContent},
    {"artifact", C::kSco, kArtifact, kIdArtifact, kOneOfArtifact},
    {"autonomous-system", C::kSco, kAutonomousSystem, kIdNumber},
    {"directory", C::kSco, kDirectory, kIdPath},
    {"domain-name", C::kSco, kDomainName, kIdValue},
    {"email-addr", C::kSco, kEmailAddr, kIdValue},
    {"email-message", C::kSco, kEmailMessage, kIdEmailMessage},
    {"file", C::kSco, kFile, kIdFile, kOneOfFile},
    {"ipv4-addr", C::kSco, kIpv4, kIdValue},
    {"ipv6-addr", C::kSco, kIpv4, kIdValue},
    {"mac-addr", C::kSco, kMacAddr, kIdValue},
    {"mutex", C::kSco, kMutex, kIdName},
    {"network-traffic", C::kSco, kNetworkTraffic, kIdNetworkTraffic, kOneOfNetworkTraffic},
    {"process", C::kSco, kProcess, {}, kOneOfProcess},
    {"software", C::kSco, kSoftware, kIdSoftware},
    {"url", C::kSco, kUrl, kIdValue},
    {"user-account", C::kSco, kUserAccount, kIdUserAccount, kOneOfUserAccount},
    {"windows-registry-key", C::kSco, kRegistryKey, kIdRegistryKey, kOneOfRegistryKey},
    {"x509-certificate", C::kSco, kX509, kIdX509, kOneOfX509},
    {"bundle", C::kBundle, {}},
};

}  // namespace

std::string_view ObjectClassName(ObjectClass c) noexcept {
  switch (c) {
    case ObjectClass::kSdo:
      return "sdo";
    case ObjectClass::kSco:
      return "sco";
    case ObjectClass::kSro:
      return "sro";
    case ObjectClass::kMeta:
      return "meta";
    case ObjectClass::kBundle:
      return "bundle";
  }
  return "unknown";
}

namespace {

// FindType runs for every object: a small hash on length, first and last letters picks a
// bucket of at most kBucketSlots candidates instead of comparing against all types. A bucket
// that would overflow is marked with kScanAll and searched linearly (correct, just slower).
constexpr std::size_t kTypeBuckets = 128;
constexpr std::size_t kBucketSlots = 4;
constexpr std::uint8_t kScanAll = 0xFF;

std::size_t TypeBucket(std::string_view t) noexcept {
  return (t.size() * 7u + static_cast<unsigned char>(t[0]) * 3u +
          static_cast<unsigned char>(t.back())) %
         kTypeBuckets;
}

using TypeIndex = std::array<std::array<std::uint8_t, kBucketSlots>, kTypeBuckets>;

TypeIndex BuildTypeIndex() noexcept {
  static_assert(std::size(kTypes) < kScanAll);
  TypeIndex index{};
  for (std::size_t i = 0; i < std::size(kTypes); ++i) {
    auto& bucket = index[TypeBucket(kTypes[i].type)];
    std::size_t k = 0;
    while (k < kBucketSlots && bucket[k] != 0) ++k;
    if (k == kBucketSlots) {
      bucket[0] = kScanAll;
    } else {
      bucket[k] = static_cast<std::uint8_t>(i + 1);
    }
  }
  return index;
}

}  // namespace

const TypeSpec* FindType(std::string_view type) noexcept {
  if (type.empty()) return nullptr;
  static const TypeIndex index = BuildTypeIndex();
  const auto& bucket = index[TypeBucket(type)];
  if (bucket[0] != kScanAll) {
    for (std::uint8_t v : bucket) {
      if (v == 0) return nullptr;
      if (kTypes[v - 1].type == type) return &kTypes[v - 1];
    }
    return nullptr;
  }
  for (const TypeSpec& t : kTypes) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

std::span<const TypeSpec> AllTypes() noexcept { return kTypes; }

std::span<const PropertySpec> CommonProperties(ObjectClass c) noexcept {
  switch (c) {
    case ObjectClass::kSco:
      return kScoCommon;
    case ObjectClass::kBundle:
      return kBundleCommon;
    default:
      return kSdoCommon;
  }
}

const PropertySpec* FindProperty(const TypeSpec& type, std::string_view name) noexcept {
  for (const PropertySpec& p : type.properties) {
    if (p.name == name) return &p;
  }
  std::span<const PropertySpec> common = type.type == "marking-definition"
                                             ? std::span<const PropertySpec>(kMarkingCommon)
                                             : CommonProperties(type.object_class);
  for (const PropertySpec& p : common) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool IsScoType(std::string_view type) noexcept {
  const TypeSpec* t = FindType(type);
  return t != nullptr && t->object_class == ObjectClass::kSco;
}

}  // namespace entente::stix
