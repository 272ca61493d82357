// Tables and helpers shared by the two MISP conversion directions (private to the module).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/base/uuid.h"

namespace entente::formats::misp_internal {

// The UUIDv5 namespace misp-stix uses for the ids it derives (relationships, markings).
inline constexpr std::string_view kMispStixNamespace = "76beed5f-7251-457e-8c2a-b45f7b589d3d";

// UUIDv5 under kMispStixNamespace, as "8-4-4-4-12".
std::string MispUuid5(std::string_view name);

// A hash attribute type (md5, sha1, ..., filename|<hash>'s second half) and how misp-stix
// spells it: the key inside an SCO's "hashes" and the path component inside a pattern.
struct HashName {
  std::string_view misp;     // "sha1"
  std::string_view sco_key;  // "SHA-1"
  std::string_view pattern;  // "'SHA-1'"
};
const HashName* FindHash(std::string_view misp_type) noexcept;
// Reverse: the MISP hash type for an SCO hashes key (first match in table order).
const HashName* FindHashBySco(std::string_view sco_key) noexcept;

// Kinds of attribute mapping (see the table in misp_attributes.cpp and docs/MISP.md).
enum class AttrKind {
  kSimple,            // one SCO, one property: domain, url, mutex, ...
  kAs,                // autonomous-system number
  kHash,              // file hashes
  kX509Hash,          // x509-certificate hashes
  kFilenameHash,      // file name + hashes
  kIp,                // network-traffic + ipv4/ipv6 (src or dst)
  kIpPort,            // same with a port
  kDomainIp,          // domain-name resolving to an address
  kHostnamePort,      // domain-name + network-traffic dst_port
  kEmailAddress,      // email-message from_ref / to_refs + email-addr
  kEmailProperty,     // email-message with one property
  kEmailHeaderField,  // email-message additional_header_fields
  kEmailAttachment,   // email-message body_multipart + file
  kAttachment,        // file + artifact
  kMalwareSample,     // file + artifact (zip, password "infected")
  kRegkey,            // windows-registry-key key
  kRegkeyValue,       // windows-registry-key key + values.data
  kGithubUser,        // user-account github
  kPatternOnly,       // only an indicator pattern (port, size-in-bytes, ...)
  kRule,              // indicator whose pattern_type is the rule language (yara, snort, ...)
  kCampaign,          // campaign SDO
  kVulnerability,     // vulnerability SDO
};

struct AttrSpec {
  std::string_view misp_type;
  AttrKind kind;
  std::string_view a;  // kind-specific: SCO type / side ("src"/"dst") / property / path
  std::string_view b;  // kind-specific: SCO property
};
const AttrSpec* FindAttrSpec(std::string_view misp_type) noexcept;

// "ipv6-addr" when the text holds a ':', else "ipv4-addr" (misp-stix's rule).
std::string_view AddressType(std::string_view ip) noexcept;

// Pattern literal body: backslash and quote escaped.
std::string PatternEscape(std::string_view value);
// Reverse of PatternEscape.
std::string PatternUnescape(std::string_view value);

// One comparison "path = 'value'" of a STIX pattern as misp-stix writes them (AND-joined, with
// optional parentheses). Enough to read back what MispToStix wrote; not a pattern parser.
struct Comparison {
  std::string path;   // "file:hashes.'SHA-1'"
  std::string value;  // unescaped
};
std::vector<Comparison> SplitSimplePattern(std::string_view pattern);

// Timestamps: MISP uses unix seconds (string or number) and ISO 8601 with offsets.
std::optional<Timestamp> ParseMispTime(const json::Node& node);
std::optional<Timestamp> ParseMispTimeText(std::string_view text);
// STIX forms: "2020-10-25T16:22:00.000Z" (created/modified) and "2020-10-25T16:22:00Z"
// (observation and validity times, fraction only when not whole seconds).
std::string StixMillis(Timestamp t);
std::string StixSeconds(Timestamp t);

// The text of a scalar node: strings as they are, numbers as written, booleans as "1"/"0".
std::string ScalarText(const json::Node& node);
// MISP booleans come as true/false, 1/0, "1"/"0", "true"/"True".
bool Truthy(const json::Node& node) noexcept;

// TLP marking-definitions (TLP 2.0, OASIS extension ids) by MISP tag name; nullptr if the tag
// is not a TLP tag we know. tlp:white maps to TLP:CLEAR, tlp:ex:* are not TLP 2.0 levels.
struct TlpMarking {
  std::string_view tag;    // "tlp:amber+strict"
  std::string_view id;     // "marking-definition--939a9414-..."
  std::string_view name;   // "TLP:AMBER+STRICT"
  std::string_view level;  // "amber+strict"
};
const TlpMarking* FindTlpByTag(std::string_view tag) noexcept;
const TlpMarking* FindTlpById(std::string_view id) noexcept;
inline constexpr std::string_view kTlp2ExtensionId =
    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
json::Value TlpMarkingObject(const TlpMarking& tlp);

// Distribution levels 0-5 with MISP's names.
std::string_view DistributionName(int level) noexcept;

// Label helpers: misp:type="domain" <-> ("type", "domain").
std::string MispLabel(std::string_view key, std::string_view value);
std::optional<std::pair<std::string, std::string>> ParseMispLabel(std::string_view label);

}  // namespace entente::formats::misp_internal
