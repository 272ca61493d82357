#include "entente/identity/trust_list.h"

#include <set>
#include <string>
#include <utility>

#include "entente/base/uuid.h"
#include "entente/stix/validate.h"

namespace entente::identity {
namespace {

namespace hybrid = crypto::hybrid;
constexpr std::string_view kType = "entente-trust-list";
constexpr std::size_t kMaxField = 16384;  // base64 of the largest key or signature fits

Result<hybrid::SigSuite> ParseSigSuite(std::string_view name, std::string_view where) {
  for (hybrid::SigSuite s : {hybrid::SigSuite::kMlDsa65Ed25519, hybrid::SigSuite::kMlDsa87Ed25519,
                             hybrid::SigSuite::kMlDsa44Ed25519}) {
    if (hybrid::Name(s) == name) return s;
  }
  return Status::InvalidArgument(std::string(where) + ": unknown signature suite '" +
                                 std::string(name.substr(0, 64)) + "'");
}

Result<hybrid::KemSuite> ParseKemSuite(std::string_view name, std::string_view where) {
  for (hybrid::KemSuite s : {hybrid::KemSuite::kXWing, hybrid::KemSuite::kMlKem1024X25519}) {
    if (hybrid::Name(s) == name) return s;
  }
  return Status::InvalidArgument(std::string(where) + ": unknown KEM suite '" +
                                 std::string(name.substr(0, 64)) + "'");
}

bool IsIdentityId(std::string_view s) noexcept {
  constexpr std::string_view kPrefix = "identity--";
  return s.size() == kPrefix.size() + 36 && s.substr(0, kPrefix.size()) == kPrefix &&
         IsUuid(s.substr(kPrefix.size()));
}

bool IsMemberState(std::string_view s) noexcept {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

bool IsNodeId(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool IsEndpoint(std::string_view s) noexcept {
  constexpr std::string_view kScheme = "https://";
  if (s.size() <= kScheme.size() || s.size() > 512 || s.substr(0, kScheme.size()) != kScheme) {
    return false;
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return false;
  }
  return true;
}

Status CheckCommon(std::string_view where, std::string_view state, std::string_view org,
                   std::string_view node_id, hybrid::SigSuite suite, const Bytes& sig_pk) {
  std::string w(where);
  if (!IsMemberState(state)) {
    return Status::InvalidArgument(w + " member_state: two upper-case letters (ISO 3166-1, EU)");
  }
  if (!IsIdentityId(org)) {
    return Status::InvalidArgument(w + " organization_ref: not identity--<uuid>");
  }
  if (!IsNodeId(node_id)) {
    return Status::InvalidArgument(w + " node_id: 1-64 characters of a-z 0-9 . _ -");
  }
  if (sig_pk.size() != hybrid::SizesOf(suite).pk) {
    return Status::InvalidArgument(w + " sig_public_key: " + std::to_string(sig_pk.size()) +
                                   " bytes, " + std::string(hybrid::Name(suite)) + " needs " +
                                   std::to_string(hybrid::SizesOf(suite).pk));
  }
  return Status::Ok();
}

json::Value ToJson(const TrustList& list, bool with_signature) {
  json::Value doc = json::Value::MakeObject();
  doc.set("type", kType);
  doc.set("version", 1);
  doc.set("sequence", static_cast<std::uint64_t>(list.sequence));
  doc.set("issued", FormatTimestamp(list.issued, 3));
  doc.set("next_update", FormatTimestamp(list.next_update, 3));
  json::Value issuer = json::Value::MakeObject();
  issuer.set("member_state", list.issuer.member_state);
  issuer.set("organization_ref", list.issuer.organization_ref);
  issuer.set("node_id", list.issuer.node_id);
  issuer.set("sig_suite", hybrid::Name(list.issuer.sig_suite));
  issuer.set("sig_public_key", Base64Encode(list.issuer.sig_public_key));
  doc.set("issuer", std::move(issuer));
  json::Value members = json::Value::MakeArray();
  for (const TrustMember& m : list.members) {
    json::Value v = json::Value::MakeObject();
    v.set("member_state", m.member_state);
    v.set("organization_ref", m.organization_ref);
    v.set("node_id", m.node_id);
    v.set("endpoint", m.endpoint);
    v.set("sig_suite", hybrid::Name(m.sig_suite));
    v.set("sig_public_key", Base64Encode(m.sig_public_key));
    v.set("kem_suite", hybrid::Name(m.kem_suite));
    v.set("kem_public_key", Base64Encode(m.kem_public_key));
    members.push_back(std::move(v));
  }
  doc.set("members", std::move(members));
  if (with_signature && !list.signature.empty()) {
    json::Value sig = json::Value::MakeObject();
    sig.set("suite", hybrid::Name(list.issuer.sig_suite));
    sig.set("value", Base64Encode(list.signature));
    doc.set("signature", std::move(sig));
  }
  return doc;
}

// Field readers that name the path in their errors.
Result<std::string_view> Str(json::Node obj, std::string_view key, std::string_view where) {
  json::Node n = obj[key];
  if (!n.is_string()) {
    return Status::InvalidArgument(std::string(where) + "." + std::string(key) +
                                   (n.missing() ? ": missing" : ": not a string"));
  }
  if (n.str().size() > kMaxField) {
    return Status::LimitExceeded(std::string(where) + "." + std::string(key) + ": too long");
  }
  return n.str();
}

Result<Bytes> B64(json::Node obj, std::string_view key, std::string_view where) {
  ENTENTE_ASSIGN_OR_RETURN(std::string_view text, Str(obj, key, where));
  Result<Bytes> b = Base64Decode(text);
  if (!b.ok()) {
    return Status::InvalidArgument(std::string(where) + "." + std::string(key) + ": " +
                                   b.status().message());
  }
  return b;
}

Status OnlyKeys(json::Node obj, std::initializer_list<std::string_view> keys,
                std::string_view where) {
  for (auto [k, v] : obj) {
    bool known = false;
    for (std::string_view allowed : keys) known = known || k == allowed;
    if (!known) {
      return Status::InvalidArgument(std::string(where) + ": unknown member '" +
                                     std::string(k.substr(0, 64)) + "'");
    }
  }
  return Status::Ok();
}

}  // namespace

const TrustMember* TrustList::FindNode(std::string_view node_id) const noexcept {
  for (const TrustMember& m : members) {
    if (m.node_id == node_id) return &m;
  }
  return nullptr;
}

Status CheckTrustList(const TrustList& list) {
  ENTENTE_RETURN_IF_ERROR(CheckCommon("trust list issuer", list.issuer.member_state,
                                      list.issuer.organization_ref, list.issuer.node_id,
                                      list.issuer.sig_suite, list.issuer.sig_public_key));
  // Compared at the millisecond precision the document is written with.
  if (list.next_update.nanos / 1'000'000 <= list.issued.nanos / 1'000'000) {
    return Status::InvalidArgument("trust list: next_update is not after issued");
  }
  if (list.members.size() > kMaxMembers) {
    return Status::LimitExceeded("trust list: more than " + std::to_string(kMaxMembers) +
                                 " members");
  }
  std::set<std::string> node_ids, endpoints;
  std::set<Bytes> sig_keys, kem_keys;
  for (std::size_t i = 0; i < list.members.size(); ++i) {
    const TrustMember& m = list.members[i];
    std::string where = "trust list member " + std::to_string(i) +
                        (IsNodeId(m.node_id) ? " (" + m.node_id + ")" : std::string());
    ENTENTE_RETURN_IF_ERROR(CheckCommon(where, m.member_state, m.organization_ref, m.node_id,
                                        m.sig_suite, m.sig_public_key));
    if (!IsEndpoint(m.endpoint)) {
      return Status::InvalidArgument(where + " endpoint: not an https:// URL");
    }
    if (m.kem_public_key.size() != hybrid::SizesOf(m.kem_suite).pk) {
      return Status::InvalidArgument(where + " kem_public_key: wrong length for " +
                                     std::string(hybrid::Name(m.kem_suite)));
    }
    if (!node_ids.insert(m.node_id).second) {
      return Status::InvalidArgument(where + ": duplicate node_id");
    }
    if (!endpoints.insert(m.endpoint).second) {
      return Status::InvalidArgument(where + ": duplicate endpoint " + m.endpoint);
    }
    if (!sig_keys.insert(m.sig_public_key).second) {
      return Status::InvalidArgument(where + ": duplicate sig_public_key");
    }
    if (!kem_keys.insert(m.kem_public_key).second) {
      return Status::InvalidArgument(where + ": duplicate kem_public_key");
    }
  }
  return Status::Ok();
}

Result<std::string> EncodeTrustList(const TrustList& list) {
  ENTENTE_RETURN_IF_ERROR(CheckTrustList(list));
  return ToJson(list, true).Pretty();
}

Result<std::string> TrustListSigningInput(const TrustList& list) {
  ENTENTE_RETURN_IF_ERROR(CheckTrustList(list));
  return stix::CanonicalJson(ToJson(list, false));
}

Result<TrustList> ParseTrustList(std::string_view text) {
  if (text.size() > kMaxTrustListBytes) {
    return Status::LimitExceeded("trust list: larger than " + std::to_string(kMaxTrustListBytes) +
                                 " bytes");
  }
  json::Document doc;
  json::ParseLimits limits;
  limits.max_bytes = kMaxTrustListBytes;
  limits.max_depth = 8;
  limits.max_container_size = kMaxMembers + 16;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, limits).WithContext("trust list"));
  json::Node root = doc.root();
  if (!root.is_object()) return Status::InvalidArgument("trust list: not a JSON object");
  ENTENTE_RETURN_IF_ERROR(OnlyKeys(
      root,
      {"type", "version", "sequence", "issued", "next_update", "issuer", "members", "signature"},
      "trust list"));
  if (root["type"].str() != kType) {
    return Status::InvalidArgument("trust list: type is not \"entente-trust-list\"");
  }
  if (root["version"].as_int64() != std::optional<std::int64_t>(1)) {
    return Status::Unsupported("trust list: version is not 1");
  }
  TrustList list;
  std::optional<std::int64_t> seq = root["sequence"].as_int64();
  if (!seq || *seq < 0) {
    return Status::InvalidArgument("trust list: sequence is not a non-negative integer");
  }
  list.sequence = static_cast<std::uint64_t>(*seq);
  ENTENTE_ASSIGN_OR_RETURN(std::string_view issued, Str(root, "issued", "trust list"));
  ENTENTE_ASSIGN_OR_RETURN(list.issued, ParseTimestamp(issued, "trust list issued"));
  ENTENTE_ASSIGN_OR_RETURN(std::string_view next, Str(root, "next_update", "trust list"));
  ENTENTE_ASSIGN_OR_RETURN(list.next_update, ParseTimestamp(next, "trust list next_update"));
  // One spelling per instant (milliseconds, "Z"), so the signed JCS form is the document.
  if (FormatTimestamp(list.issued, 3) != issued || FormatTimestamp(list.next_update, 3) != next) {
    return Status::InvalidArgument(
        "trust list: issued and next_update must be written YYYY-MM-DDTHH:MM:SS.sssZ");
  }

  json::Node issuer = root["issuer"];
  if (!issuer.is_object()) return Status::InvalidArgument("trust list: issuer is not an object");
  ENTENTE_RETURN_IF_ERROR(OnlyKeys(
      issuer, {"member_state", "organization_ref", "node_id", "sig_suite", "sig_public_key"},
      "trust list issuer"));
  {
    constexpr std::string_view w = "trust list issuer";
    ENTENTE_ASSIGN_OR_RETURN(std::string_view state, Str(issuer, "member_state", w));
    ENTENTE_ASSIGN_OR_RETURN(std::string_view org, Str(issuer, "organization_ref", w));
    ENTENTE_ASSIGN_OR_RETURN(std::string_view node, Str(issuer, "node_id", w));
    ENTENTE_ASSIGN_OR_RETURN(std::string_view suite, Str(issuer, "sig_suite", w));
    list.issuer.member_state = std::string(state);
    list.issuer.organization_ref = std::string(org);
    list.issuer.node_id = std::string(node);
    ENTENTE_ASSIGN_OR_RETURN(list.issuer.sig_suite, ParseSigSuite(suite, w));
    ENTENTE_ASSIGN_OR_RETURN(list.issuer.sig_public_key, B64(issuer, "sig_public_key", w));
  }

  json::Node members = root["members"];
  if (!members.is_array()) return Status::InvalidArgument("trust list: members is not an array");
  if (members.size() > kMaxMembers) {
    return Status::LimitExceeded("trust list: more than " + std::to_string(kMaxMembers) +
                                 " members");
  }
  std::size_t i = 0;
  for (auto [unused, m] : members) {
    std::string w = "trust list member " + std::to_string(i++);
    if (!m.is_object()) return Status::InvalidArgument(w + ": not an object");
    ENTENTE_RETURN_IF_ERROR(OnlyKeys(m,
                                     {"member_state", "organization_ref", "node_id", "endpoint",
                                      "sig_suite", "sig_public_key", "kem_suite", "kem_public_key"},
                                     w));
    TrustMember t;
    ENTENTE_ASSIGN_OR_RETURN(std::string_view state, Str(m, "member_state", w));
    ENTENTE_ASSIGN_OR_RETURN(std::string_view org, Str(m, "organization_ref", w));
    ENTENTE_ASSIGN_OR_RETURN(std::string_view node, Str(m, "node_id", w));
    ENTENTE_ASSIGN_OR_RETURN(std::string_view endpoint, Str(m, "endpoint", w));
    ENTENTE_ASSIGN_OR_RETURN(std::string_view sig_suite, Str(m, "sig_suite", w));
    ENTENTE_ASSIGN_OR_RETURN(std::string_view kem_suite, Str(m, "kem_suite", w));
    t.member_state = std::string(state);
    t.organization_ref = std::string(org);
    t.node_id = std::string(node);
    t.endpoint = std::string(endpoint);
    ENTENTE_ASSIGN_OR_RETURN(t.sig_suite, ParseSigSuite(sig_suite, w));
    ENTENTE_ASSIGN_OR_RETURN(t.kem_suite, ParseKemSuite(kem_suite, w));
    ENTENTE_ASSIGN_OR_RETURN(t.sig_public_key, B64(m, "sig_public_key", w));
    ENTENTE_ASSIGN_OR_RETURN(t.kem_public_key, B64(m, "kem_public_key", w));
    list.members.push_back(std::move(t));
  }

  json::Node sig = root["signature"];
  if (!sig.missing()) {
    constexpr std::string_view w = "trust list signature";
    if (!sig.is_object()) return Status::InvalidArgument("trust list: signature is not an object");
    ENTENTE_RETURN_IF_ERROR(OnlyKeys(sig, {"suite", "value"}, w));
    ENTENTE_ASSIGN_OR_RETURN(std::string_view suite_name, Str(sig, "suite", w));
    ENTENTE_ASSIGN_OR_RETURN(hybrid::SigSuite suite, ParseSigSuite(suite_name, w));
    if (suite != list.issuer.sig_suite) {
      return Status::InvalidArgument("trust list signature: suite differs from the issuer's");
    }
    ENTENTE_ASSIGN_OR_RETURN(list.signature, B64(sig, "value", w));
    if (list.signature.empty()) return Status::InvalidArgument("trust list signature: empty");
  }
  ENTENTE_RETURN_IF_ERROR(CheckTrustList(list));
  return list;
}

Status SignTrustList(TrustList& list, const hybrid::SigPrivateKey& key) {
  if (key.suite() != list.issuer.sig_suite || key.public_key() != list.issuer.sig_public_key) {
    return Status::InvalidArgument(
        "trust list: the signing key is not the issuer key the list names");
  }
  ENTENTE_ASSIGN_OR_RETURN(std::string input, TrustListSigningInput(list));
  ENTENTE_ASSIGN_OR_RETURN(list.signature, key.Sign(AsBytes(input), AsBytes(kTrustListContext)));
  return Status::Ok();
}

Result<TrustList> VerifyTrustList(std::string_view document, hybrid::SigSuite suite,
                                  ByteView issuer_public_key, const TrustVerifyOptions& options) {
  ENTENTE_ASSIGN_OR_RETURN(TrustList list, ParseTrustList(document));
  if (list.signature.empty()) return Status::CryptoError("trust list: not signed");
  if (list.issuer.sig_suite != suite ||
      !ConstantTimeEqual(list.issuer.sig_public_key, issuer_public_key)) {
    return Status::CryptoError("trust list: issuer key is not the pinned issuer key");
  }
  ENTENTE_ASSIGN_OR_RETURN(std::string input, TrustListSigningInput(list));
  if (!hybrid::SigVerify(suite, issuer_public_key, AsBytes(input), list.signature,
                         AsBytes(kTrustListContext))) {
    return Status::CryptoError("trust list: bad signature");
  }
  if (options.now >= list.next_update) {
    return Status::PermissionDenied("trust list: expired at " +
                                    FormatTimestamp(list.next_update, 3));
  }
  if (list.issued.nanos > options.now.nanos + options.clock_skew_seconds * 1'000'000'000) {
    return Status::PermissionDenied("trust list: issued in the future (" +
                                    FormatTimestamp(list.issued, 3) + ")");
  }
  if (list.sequence < options.min_sequence) {
    return Status::PermissionDenied("trust list: sequence " + std::to_string(list.sequence) +
                                    " is older than the accepted " +
                                    std::to_string(options.min_sequence) + " (rollback)");
  }
  return list;
}

}  // namespace entente::identity
