#include "entente/federation/distribution.h"

#include <algorithm>

#include "entente/base/uuid.h"
#include "entente/crypto/envelope.h"
#include "entente/stix/markings.h"

namespace entente::federation {
namespace {

bool IsRecipient(const identity::AccessLabel& label, const identity::TrustMember& m) {
  return std::find(label.recipients.begin(), label.recipients.end(), m.organization_ref) !=
         label.recipients.end();
}

bool Restricted(stix::Tlp tlp) { return tlp != stix::Tlp::kClear && tlp != stix::Tlp::kGreen; }

const Uuid& SealedNamespace() {
  static const Uuid ns = [] {
    Uuid u{};
    ParseUuid("6c0b7f9e-2f0e-5d4a-8a57-0c1d5e3f2b19", u);
    return u;
  }();
  return ns;
}

}  // namespace

Result<Reach> ReachOf(std::string_view object_json) {
  // Most objects do not say: skip the parse for them.
  if (object_json.find("\"x_entente_distribution\"") == std::string_view::npos) {
    return Reach::kAllHops;
  }
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(object_json));
  json::Node d = doc.root()["x_entente_distribution"];
  if (d.missing()) return Reach::kAllHops;  // the name appeared inside another value
  std::string_view v = d.str();
  if (v == "all") return Reach::kAllHops;
  if (v == "connected") return Reach::kOneHop;
  if (v == "organisation" || v == "community") return Reach::kLocal;
  return Status::InvalidArgument(std::string(doc.root()["id"].str()) +
                                 ": x_entente_distribution must be organisation, community, "
                                 "connected or all");
}

Decision Decide(const identity::AccessLabel& label, const identity::TrustList& trust,
                const identity::TrustMember& peer) {
  Decision d;
  if (label.scope != identity::kCommunityScope) return d;
  if (!Restricted(label.tlp)) {
    d.route = Route::kPlain;
    return d;
  }
  if (IsRecipient(label, peer)) {
    d.route = Route::kPlain;
    return d;
  }
  for (const auto& m : trust.members) {
    if (IsRecipient(label, m)) d.recipients.push_back(&m);
  }
  if (!d.recipients.empty()) d.route = Route::kSealed;
  return d;
}

bool MayHoldPlain(const identity::AccessLabel& label, const identity::TrustMember& self) {
  return !Restricted(label.tlp) || IsRecipient(label, self) ||
         (!label.creator.empty() && label.creator == self.organization_ref);
}

Result<std::string> SealObject(std::string_view object_json, std::string_view id,
                               std::string_view version, const identity::AccessLabel& label,
                               const std::vector<const identity::TrustMember*>& recipients,
                               std::string_view sealed_by,
                               const crypto::hybrid::SigPrivateKey& sender, Reach reach) {
  if (version.empty()) return Status::InvalidArgument(std::string(id) + ": no version to seal");
  if (recipients.empty()) return Status::InvalidArgument(std::string(id) + ": no recipients");
  if (object_json.size() > kMaxSealedObjectBytes) {
    return Status::LimitExceeded(std::string(id) + ": too large to seal");
  }
  std::vector<crypto::envelope::Recipient> to;
  for (const auto* m : recipients) {
    crypto::envelope::Recipient r;
    r.suite = m->kem_suite;
    r.public_key = m->kem_public_key;
    to.push_back(std::move(r));
  }
  crypto::envelope::Metadata meta;
  meta.content_type = "application/stix+json;version=2.1";
  meta.tlp = std::string(stix::TlpName(label.tlp));
  meta.object_ids = {std::string(id)};
  ENTENTE_ASSIGN_OR_RETURN(Bytes envelope,
                           crypto::envelope::Seal(sender, to, meta, AsBytes(object_json)));
  json::Value out = json::Value::MakeObject();
  out.set("type", std::string(kSealedType));
  out.set("spec_version", "2.1");
  out.set("id", std::string(kSealedType) + "--" +
                    UuidToString(
                        UuidV5(SealedNamespace(), std::string(id) + "|" + std::string(version))));
  out.set("created", std::string(version));
  out.set("modified", std::string(version));
  json::Value marks = json::Value::MakeArray();
  marks.push_back(std::string(stix::Tlp2MarkingId(label.tlp)));
  out.set("object_marking_refs", std::move(marks));
  json::Value rec = json::Value::MakeArray();
  for (const auto& r : label.recipients) rec.push_back(r);
  out.set("x_entente_recipients", std::move(rec));
  out.set("x_entente_sealed_ref", std::string(id));
  out.set("x_entente_sealed_by", std::string(sealed_by));
  out.set("x_entente_envelope", Base64Encode(envelope));
  if (reach == Reach::kOneHop) out.set("x_entente_distribution", "connected");
  if (reach == Reach::kLocal) out.set("x_entente_distribution", "organisation");
  return out.Serialize();
}

Result<SealedObject> ParseSealed(json::Node object) {
  SealedObject s;
  if (object["type"].str() != kSealedType) {
    return Status::InvalidArgument("not an " + std::string(kSealedType) + " object");
  }
  s.id = std::string(object["id"].str());
  s.sealed_ref = std::string(object["x_entente_sealed_ref"].str());
  s.version = std::string(object["modified"].str());
  s.sealed_by = std::string(object["x_entente_sealed_by"].str());
  if (s.sealed_ref.empty() || s.sealed_ref.size() > 256 || s.version.empty() ||
      s.sealed_by.empty() || s.sealed_by.size() > 64) {
    return Status::InvalidArgument(s.id.substr(0, 256) +
                                   ": x_entente_sealed_ref, modified or x_entente_sealed_by "
                                   "missing or too long");
  }
  auto env = Base64Decode(object["x_entente_envelope"].str());
  if (!env.ok() || env->empty()) {
    return Status::InvalidArgument(s.id.substr(0, 256) + ": x_entente_envelope is not base64");
  }
  s.envelope = std::move(*env);
  return s;
}

Result<std::string> OpenSealed(const SealedObject& sealed, const crypto::hybrid::KemPrivateKey& key,
                               const identity::TrustMember& sealed_by) {
  Bytes plain;
  Bytes sender_id = crypto::envelope::SigKeyId(sealed_by.sig_suite, sealed_by.sig_public_key);
  std::size_t written = 0;
  crypto::envelope::Sink sink = [&plain, &written](ByteView b) {
    written += b.size();
    if (written > kMaxSealedObjectBytes) {
      return Status::LimitExceeded("sealed object over the size limit");
    }
    plain.insert(plain.end(), b.begin(), b.end());
    return Status::Ok();
  };
  auto info = crypto::envelope::Open(key, crypto::envelope::BytesSource(sealed.envelope), sink, {},
                                     ByteView(sender_id));
  if (!info.ok()) {
    SecureWipe(plain.data(), plain.size());
    return info.status();
  }
  std::string text(plain.begin(), plain.end());
  SecureWipe(plain.data(), plain.size());
  if (info->metadata.object_ids.size() != 1 || info->metadata.object_ids[0] != sealed.sealed_ref) {
    return Status::InvalidArgument(sealed.id + ": the envelope holds another object than " +
                                   sealed.sealed_ref);
  }
  return text;
}

}  // namespace entente::federation
