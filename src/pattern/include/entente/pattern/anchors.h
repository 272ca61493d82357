// The anchor compiler: which values of a pattern an exact-match index can look up.
//
// Contract (soundness): for an anchored pattern, whenever the pattern matches a set of
// observations, at least one of its anchors occurs in them: an SCO of the anchor's scope holds
// the anchor's value (after the normalisation below), or, for a CIDR anchor, an address inside
// the block. So a detector may look up only anchors in its index and run the full evaluator
// (evaluator.h) on the candidates; the evaluator, not the anchors, decides the match.
//
// How anchors are chosen:
//  - a leaf `scope = 'v'` or `scope IN ('a', 'b')` on an indexed property (table below) gives one
//    anchor per value; `ipv4-addr:value ISSUBSET '10.0.0.0/8'` (and `= '10.0.0.0/8'`, as MISP
//    writes networks) gives a CIDR anchor;
//  - any other leaf (NOT, !=, <, LIKE, MATCHES, EXISTS, an unindexed property) has no anchor;
//  - AND (inside [ ] or between observation expressions, FOLLOWEDBY too): every side must hold,
//    so the anchors of the most selective anchored side suffice (fewest anchors; exact values
//    before CIDRs; ties go to the first); unanchored if no side is anchored;
//  - OR: the union of the sides' anchors; unanchored if any side is unanchored;
//  - qualifiers (WITHIN, REPEATS, START/STOP) keep their operand's anchors.
// An unanchored pattern cannot be served by the index: the caller must evaluate it against
// every observation (or refuse it); `reason` says which leaf prevented anchoring.
//
// Indexed properties (scope -> kind). Hash algorithms are normalised ("sha256", SHA256 and
// 'SHA-256' all give "file:hashes.'SHA-256'"). Every scope is a canonical object path (as
// ObjectPath::ToString prints it), so `[<scope> = '<value>']` is a valid pattern:
//   ipv4-addr:value, ipv6-addr:value                    kIpv4 / kIpv6 (CIDR when the value has '/')
//   domain-name:value                                   kDomain
//   url:value                                           kUrl
//   email-addr:value, email-message:from_ref.value, email-message:sender_ref.value  kEmail
//   file:hashes.<ALG>, artifact:hashes.<ALG>            kHash
//   x509-certificate:hashes.<ALG>                       kHash
//   x509-certificate:serial_number                      kX509Serial
//   network-traffic:dst_ref.value, network-traffic:src_ref.value   kind from the value's syntax
//   windows-registry-key:key                            kRegistryKey
//   mutex:name                                          kMutex
//   network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'  kUserAgent
// Values are normalised for lookup: hashes, domain names and registry keys lower-cased; IP
// addresses and CIDRs in canonical text form (inet_ntop; "10.0.0.0/8"); others unchanged.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/pattern/ast.h"

namespace entente::pattern {

enum class AnchorKind : std::uint8_t {
  kIpv4,
  kIpv6,
  kDomain,
  kUrl,
  kEmail,
  kHash,
  kX509Serial,
  kRegistryKey,
  kMutex,
  kUserAgent,
};
// "ipv4", "ipv6", "domain", "url", "email", "hash", "x509-serial", "registry-key", "mutex",
// "user-agent".
std::string_view AnchorKindName(AnchorKind kind) noexcept;

struct Anchor {
  std::string scope;  // canonical object path, e.g. "ipv4-addr:value", "file:hashes.'SHA-256'"
  std::string value;  // normalised value (see above); for CIDRs "10.0.0.0/8"
  bool is_cidr = false;
  AnchorKind kind = AnchorKind::kDomain;
  friend bool operator==(const Anchor&, const Anchor&) = default;
};

struct AnchorSet {
  bool anchored = false;
  std::vector<Anchor> anchors;  // deduplicated; empty when !anchored
  std::string reason;           // when !anchored: the leaf and why, e.g. "column 2: file:name ..."
};

// Computes the anchors of a parsed pattern. Never fails; an anchor count over `max_anchors`
// (an enormous IN set or OR) makes the pattern unanchored with that reason.
AnchorSet CompileAnchors(const Pattern& pattern, std::size_t max_anchors = 100'000);

// The anchor of one leaf, if it has one (exposed for tests and for the correlation of pattern
// leaves across members). Empty when the leaf cannot be indexed.
std::vector<Anchor> LeafAnchors(const Comparison& leaf);

}  // namespace entente::pattern
