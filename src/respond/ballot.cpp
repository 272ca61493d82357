#include "entente/respond/ballot.h"

#include <algorithm>
#include <cstring>

#include "entente/base/uuid.h"
#include "entente/crypto/envelope.h"
#include "entente/crypto/sha3.h"
#include "entente/crypto/symmetric.h"
#include "entente/respond/board.h"
#include "entente/stix/validate.h"
#include "json_util.h"

namespace entente::respond {

using detail::CheckKeys;
using detail::FieldError;

namespace {

constexpr std::size_t kMaxTrustBytes = 1u << 20;
constexpr std::size_t kMaxObjectBytes = 256u << 10;
constexpr std::size_t kMaxVotesBytes = 64u << 20;
constexpr std::size_t kMaxVotes = 100'000;

const char* const kExtensionCreated = "2026-11-01T00:00:00.000Z";

bool IsIso2(std::string_view s) noexcept {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

bool IsLowerHex(std::string_view s, std::size_t n) noexcept {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

json::ParseLimits ObjectLimits(std::size_t bytes) {
  json::ParseLimits l;
  l.max_bytes = bytes;
  l.max_depth = 32;
  l.max_container_size = kMaxVotes;
  return l;
}

json::Value ExtensionDefinition(std::string_view id, std::string_view name,
                                std::string_view description) {
  json::Value v = json::Value::MakeObject();
  v.set("type", "extension-definition");
  v.set("spec_version", "2.1");
  v.set("id", id);
  v.set("created_by_ref", kEntenteIdentity);
  v.set("created", kExtensionCreated);
  v.set("modified", kExtensionCreated);
  v.set("name", name);
  v.set("description", description);
  v.set("schema", "docs/RESPOND.md");
  v.set("version", "1.0.0");
  v.set("extension_types", json::Value::MakeArray({json::Value("new-sdo")}));
  return v;
}

json::Value ExtensionsMember(std::string_view ext_id) {
  json::Value inner = json::Value::MakeObject();
  inner.set("extension_type", "new-sdo");
  json::Value ext = json::Value::MakeObject();
  ext.set(ext_id, std::move(inner));
  return ext;
}

Result<std::string> RandomHex(std::size_t bytes) {
  Bytes b(bytes);
  ENTENTE_RETURN_IF_ERROR(crypto::RandomBytes(b));
  return HexEncode(b);
}

Status CheckStixId(json::Node o, std::string_view field, std::string_view type,
                   std::string_view where, bool required) {
  json::Node v = o[field];
  if (v.missing() && !required) return Status::Ok();
  if (!v.is_string() || !stix::IsIdentifier(v.str()) ||
      (!type.empty() && stix::IdentifierType(v.str()) != type)) {
    return FieldError(where, field,
                      type.empty() ? std::string("expected a STIX identifier")
                                   : "expected an identifier " + std::string(type) + "--<uuid>");
  }
  return Status::Ok();
}

Status CheckTimestamp(json::Node o, std::string_view field, std::string_view where) {
  if (!o[field].is_string() || !IsValidTimestamp(o[field].str())) {
    return FieldError(where, field, "expected an RFC 3339 UTC timestamp");
  }
  return Status::Ok();
}

}  // namespace

json::Value ProposalExtensionDefinition() {
  return ExtensionDefinition(kProposalExtensionId, "Entente response proposal",
                             "A proposal for a joint response measure, voted on by member states");
}
json::Value VoteExtensionDefinition() {
  return ExtensionDefinition(kVoteExtensionId, "Entente signed vote",
                             "A member state's signed vote on an Entente response proposal");
}
json::Value StatementExtensionDefinition() {
  return ExtensionDefinition(kStatementExtensionId, "Entente joint statement",
                             "A signed joint statement issued after an adopted decision");
}
json::Value EntenteIdentity() {
  json::Value v = json::Value::MakeObject();
  v.set("type", "identity");
  v.set("spec_version", "2.1");
  v.set("id", kEntenteIdentity);
  v.set("created", kExtensionCreated);
  v.set("modified", kExtensionCreated);
  v.set("name", "Entente");
  v.set("identity_class", "organization");
  return v;
}

// --- trust list -----------------------------------------------------------------------------

Result<TrustList> TrustList::Parse(std::string_view text) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, ObjectLimits(kMaxTrustBytes)).WithContext("trust list"));
  if (!doc.root().is_object()) {
    return Status::InvalidArgument(
        "trust list: expected an object mapping state codes to public keys");
  }
  if (doc.root().size() > 64) return Status::LimitExceeded("trust list: more than 64 states");
  TrustList t;
  for (auto [state, key] : doc.root()) {
    std::string where = "trust list: " + std::string(state.substr(0, 16));
    if (!IsIso2(state)) return Status::InvalidArgument(where + ": not an ISO 3166 alpha-2 code");
    if (!key.is_object()) return Status::InvalidArgument(where + ": expected a public key object");
    auto pub = crypto::keys::ParsePublic(key.raw());
    if (!pub.ok()) return pub.status().WithContext(where);
    t.Add(std::string(state), std::move(pub).value());
  }
  return t;
}

Result<TrustList> TrustList::Load(const std::string& path) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(path, kMaxTrustBytes));
  auto t = Parse(text);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

void TrustList::Add(std::string state, crypto::keys::PublicIdentity identity) {
  states_[std::move(state)] = std::move(identity);
}

const crypto::keys::PublicIdentity* TrustList::Find(std::string_view state) const noexcept {
  auto it = states_.find(state);
  return it == states_.end() ? nullptr : &it->second;
}

// --- signatures -----------------------------------------------------------------------------

std::string SignedBytes(const json::Value& object, std::string_view domain) {
  json::Value copy = object;
  copy.erase("signature");
  std::string out(domain);
  out.push_back('\0');
  out += stix::CanonicalJson(copy);
  return out;
}

Status SignObject(json::Value& object, std::string_view domain,
                  const crypto::hybrid::SigPrivateKey& key) {
  object.erase("signature");
  std::string bytes = SignedBytes(object, domain);
  ENTENTE_ASSIGN_OR_RETURN(Bytes sig, key.Sign(AsBytes(bytes), AsBytes(kSignatureContext)));
  json::Value s = json::Value::MakeObject();
  s.set("suite", crypto::hybrid::Name(key.suite()));
  s.set("key_id", HexEncode(crypto::envelope::SigKeyId(key.suite(), key.public_key())));
  s.set("value", Base64Encode(sig));
  object.set("signature", std::move(s));
  return Status::Ok();
}

Status VerifyObject(json::Node object, std::string_view domain,
                    const crypto::keys::PublicIdentity& identity) {
  json::Node sig = object["signature"];
  if (!sig.is_object()) return Status::CryptoError("object is not signed (no \"signature\")");
  if (sig["suite"].str() != crypto::hybrid::Name(identity.sig_suite)) {
    return Status::CryptoError(
        "signature suite \"" + std::string(sig["suite"].str().substr(0, 64)) +
        "\" is not the signer's (" + std::string(crypto::hybrid::Name(identity.sig_suite)) + ")");
  }
  if (sig["key_id"].str() != HexEncode(identity.sig_key_id())) {
    return Status::CryptoError("signature key id is not the signer's key in the trust list");
  }
  auto value = Base64Decode(sig["value"].str());
  if (!value.ok() || value->size() != crypto::hybrid::SizesOf(identity.sig_suite).sig) {
    return Status::CryptoError("signature value is not base64 of the suite's length");
  }
  std::string bytes = SignedBytes(json::Value::From(object), domain);
  if (!crypto::hybrid::SigVerify(identity.sig_suite, identity.sig_public_key, AsBytes(bytes),
                                 *value, AsBytes(kSignatureContext))) {
    return Status::CryptoError("signature does not verify");
  }
  return Status::Ok();
}

// --- proposals ------------------------------------------------------------------------------

json::Value Proposal::ToStix() const {
  json::Value v = json::Value::MakeObject();
  v.set("type", "x-entente-proposal");
  v.set("spec_version", "2.1");
  v.set("id", id);
  v.set("created", created);
  v.set("modified", created);
  v.set("proposer", proposer);
  v.set("measure", measure);
  v.set("decision_rule", RuleName(rule));
  json::Value ts = json::Value::MakeArray();
  for (const auto& t : targets) {
    json::Value o = json::Value::MakeObject();
    o.set("name", t.name);
    if (!t.ref.empty()) o.set("ref", t.ref);
    ts.push_back(std::move(o));
  }
  v.set("targets", std::move(ts));
  v.set("grounds", grounds);
  if (!incident_ref.empty()) v.set("incident_ref", incident_ref);
  if (!attribution_case_ref.empty()) v.set("attribution_case_ref", attribution_case_ref);
  v.set("attribution_confidence", ConfidenceName(attribution_confidence));
  v.set("deadline", deadline);
  v.set("extensions", ExtensionsMember(kProposalExtensionId));
  return v;
}

Result<Proposal> NewProposal(Proposal p, Timestamp now) {
  p.id = "x-entente-proposal--" + UuidToString(UuidV4());
  p.created = FormatTimestamp(now);
  json::Value v = p.ToStix();
  auto text = v.Serialize();
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text));
  ENTENTE_ASSIGN_OR_RETURN(Proposal checked, ParseProposal(doc.root()));
  if (checked.deadline_ts <= now) {
    return Status::InvalidArgument("proposal: deadline " + p.deadline + " is not after now");
  }
  return checked;
}

Result<Proposal> ParseProposal(json::Node o) {
  std::string where = "proposal";
  if (!o.is_object()) return Status::InvalidArgument("proposal: expected an object");
  if (o["type"].str() != "x-entente-proposal") {
    return FieldError(where, "type", "expected \"x-entente-proposal\"");
  }
  ENTENTE_RETURN_IF_ERROR(
      CheckKeys(o,
                {"type", "spec_version", "id", "created", "modified", "proposer", "measure",
                 "decision_rule", "targets", "grounds", "incident_ref", "attribution_case_ref",
                 "attribution_confidence", "deadline", "extensions", "signature"},
                where));
  ENTENTE_RETURN_IF_ERROR(CheckStixId(o, "id", "x-entente-proposal", where, true));
  Proposal p;
  p.id = std::string(o["id"].str());
  where = "proposal " + p.id;
  if (o["spec_version"].str() != "2.1")
    return FieldError(where, "spec_version", "expected \"2.1\"");
  ENTENTE_RETURN_IF_ERROR(CheckTimestamp(o, "created", where));
  ENTENTE_RETURN_IF_ERROR(CheckTimestamp(o, "modified", where));
  ENTENTE_RETURN_IF_ERROR(CheckTimestamp(o, "deadline", where));
  p.created = std::string(o["created"].str());
  p.deadline = std::string(o["deadline"].str());
  p.deadline_ts = *ParseTimestamp(p.deadline);
  if (!IsIso2(o["proposer"].str())) return FieldError(where, "proposer", "expected an ISO code");
  p.proposer = std::string(o["proposer"].str());
  ENTENTE_RETURN_IF_ERROR(detail::RequireString(o, "measure", where, p.measure, 64));
  auto rule = ParseRule(o["decision_rule"].str());
  if (!rule.ok()) return FieldError(where, "decision_rule", "expected unanimity|qmv|rqmv");
  p.rule = *rule;
  json::Node ts = o["targets"];
  if (!ts.is_array() || ts.size() > 100)
    return FieldError(where, "targets", "expected an array of at most 100");
  for (auto [i, t] : ts) {
    (void)i;
    Target target;
    if (!t.is_object()) return FieldError(where, "targets", "expected objects {name, ref}");
    ENTENTE_RETURN_IF_ERROR(CheckKeys(t, {"name", "ref"}, where + " targets[]"));
    ENTENTE_RETURN_IF_ERROR(
        detail::RequireString(t, "name", where + " targets[]", target.name, 500));
    ENTENTE_RETURN_IF_ERROR(CheckStixId(t, "ref", "", where + " targets[]", false));
    target.ref = std::string(t["ref"].str());
    p.targets.push_back(std::move(target));
  }
  ENTENTE_RETURN_IF_ERROR(detail::RequireString(o, "grounds", where, p.grounds, 20000));
  ENTENTE_RETURN_IF_ERROR(CheckStixId(o, "incident_ref", "", where, false));
  p.incident_ref = std::string(o["incident_ref"].str());
  ENTENTE_RETURN_IF_ERROR(CheckStixId(o, "attribution_case_ref", "", where, false));
  p.attribution_case_ref = std::string(o["attribution_case_ref"].str());
  auto conf =
      ParseConfidence(o["attribution_confidence"].str(), where + " field 'attribution_confidence'");
  if (!conf.ok()) return conf.status();
  p.attribution_confidence = *conf;
  if (o["extensions"][kProposalExtensionId]["extension_type"].str() != "new-sdo") {
    return FieldError(where, "extensions", "must name the proposal extension-definition");
  }
  return p;
}

Result<Proposal> ParseProposalText(std::string_view text) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, ObjectLimits(kMaxObjectBytes)).WithContext("proposal"));
  return ParseProposal(doc.root());
}

Result<Proposal> ParseSignedProposal(std::string_view text, const TrustList& trust) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, ObjectLimits(kMaxObjectBytes)).WithContext("proposal"));
  ENTENTE_ASSIGN_OR_RETURN(Proposal p, ParseProposal(doc.root()));
  const crypto::keys::PublicIdentity* key = trust.Find(p.proposer);
  if (!key) {
    return Status::PermissionDenied("proposal " + p.id + ": proposer " + p.proposer +
                                    " is not in the trust list");
  }
  ENTENTE_RETURN_IF_ERROR(
      VerifyObject(doc.root(), kProposalDomain, *key).WithContext("proposal " + p.id));
  return p;
}

Status RecordSigned(RecordSink& sink, std::string_view kind, json::Node object,
                    std::string_view domain) {
  std::string bytes = SignedBytes(json::Value::From(object), domain);
  std::uint8_t hash[32];
  crypto::Sha3_256(AsBytes(bytes), hash);
  return sink.Append(kind, object["id"].str(), ByteView(hash, 32));
}

// --- votes ----------------------------------------------------------------------------------

Result<json::Value> MakeSignedVote(const Proposal& proposal, std::string_view state, Choice choice,
                                   std::string_view declaration, std::uint64_t sequence,
                                   Timestamp now, const crypto::hybrid::SigPrivateKey& key) {
  if (!IsIso2(state)) return Status::InvalidArgument("vote: state must be an ISO code");
  if ((choice == Choice::kConstructive) == declaration.empty()) {
    return Status::InvalidArgument(
        "vote: a constructive abstention needs a declaration, and other choices take none");
  }
  if (sequence == 0 || sequence > (std::uint64_t{1} << 53)) {
    return Status::InvalidArgument("vote: sequence must be 1 to 2^53");
  }
  json::Value v = json::Value::MakeObject();
  v.set("type", "x-entente-vote");
  v.set("spec_version", "2.1");
  v.set("id", "x-entente-vote--" + UuidToString(UuidV4()));
  std::string created = FormatTimestamp(now);
  v.set("created", created);
  v.set("modified", created);
  v.set("proposal_ref", proposal.id);
  v.set("state", state);
  v.set("choice", ChoiceName(choice));
  if (!declaration.empty()) v.set("declaration", declaration);
  v.set("sequence", static_cast<std::uint64_t>(sequence));
  ENTENTE_ASSIGN_OR_RETURN(std::string nonce, RandomHex(16));
  v.set("nonce", nonce);
  v.set("extensions", ExtensionsMember(kVoteExtensionId));
  ENTENTE_RETURN_IF_ERROR(SignObject(v, kVoteDomain, key));
  return v;
}

Result<Vote> ParseVote(json::Node o) {
  std::string where = "vote";
  if (!o.is_object()) return Status::InvalidArgument("vote: expected an object");
  if (o["type"].str() != "x-entente-vote")
    return FieldError(where, "type", "expected \"x-entente-vote\"");
  ENTENTE_RETURN_IF_ERROR(
      CheckKeys(o,
                {"type", "spec_version", "id", "created", "modified", "proposal_ref", "state",
                 "choice", "declaration", "sequence", "nonce", "extensions", "signature"},
                where));
  ENTENTE_RETURN_IF_ERROR(CheckStixId(o, "id", "x-entente-vote", where, true));
  Vote v;
  v.id = std::string(o["id"].str());
  where = "vote " + v.id;
  if (o["spec_version"].str() != "2.1")
    return FieldError(where, "spec_version", "expected \"2.1\"");
  ENTENTE_RETURN_IF_ERROR(CheckTimestamp(o, "created", where));
  ENTENTE_RETURN_IF_ERROR(CheckTimestamp(o, "modified", where));
  v.created = std::string(o["created"].str());
  v.created_ts = *ParseTimestamp(v.created);
  ENTENTE_RETURN_IF_ERROR(CheckStixId(o, "proposal_ref", "x-entente-proposal", where, true));
  v.proposal_ref = std::string(o["proposal_ref"].str());
  if (!IsIso2(o["state"].str())) return FieldError(where, "state", "expected an ISO code");
  v.state = std::string(o["state"].str());
  if (!o["choice"].is_string()) return FieldError(where, "choice", "expected a string");
  ENTENTE_ASSIGN_OR_RETURN(v.choice, ParseChoice(o["choice"].str(), where + " field 'choice'"));
  if (!o["declaration"].missing()) {
    ENTENTE_RETURN_IF_ERROR(detail::RequireString(o, "declaration", where, v.declaration, 20000));
  }
  if ((v.choice == Choice::kConstructive) == v.declaration.empty()) {
    return FieldError(where, "declaration",
                      "required for a constructive abstention and only for it");
  }
  auto seq = o["sequence"].as_int64();
  if (!seq || *seq < 1 || *seq > (std::int64_t{1} << 53)) {
    return FieldError(where, "sequence", "expected an integer from 1 to 2^53");
  }
  v.sequence = static_cast<std::uint64_t>(*seq);
  if (!IsLowerHex(o["nonce"].str(), 32))
    return FieldError(where, "nonce", "expected 32 lower-case hex digits");
  v.nonce = std::string(o["nonce"].str());
  if (o["extensions"][kVoteExtensionId]["extension_type"].str() != "new-sdo") {
    return FieldError(where, "extensions", "must name the vote extension-definition");
  }
  return v;
}

// --- ballot box -----------------------------------------------------------------------------

BallotBox::BallotBox(Proposal proposal, const TrustList* trust, RecordSink* sink)
    : proposal_(std::move(proposal)), trust_(trust), sink_(sink) {}

Status BallotBox::Cast(std::string_view vote_json, Timestamp now) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(vote_json, ObjectLimits(kMaxObjectBytes)).WithContext("vote"));
  ENTENTE_ASSIGN_OR_RETURN(Vote v, ParseVote(doc.root()));
  const std::string where = "vote " + v.id + " (" + v.state + ")";
  if (v.proposal_ref != proposal_.id) {
    return Status::InvalidArgument(where + ": is for " + v.proposal_ref + ", not " + proposal_.id);
  }
  const crypto::keys::PublicIdentity* key = trust_ ? trust_->Find(v.state) : nullptr;
  if (!key) return Status::PermissionDenied(where + ": state not in the trust list");
  ENTENTE_RETURN_IF_ERROR(VerifyObject(doc.root(), kVoteDomain, *key).WithContext(where));
  if (seen_ids_.count(v.id)) return Status::AlreadyExists(where + ": replayed (id already seen)");
  if (seen_nonces_.count(v.nonce))
    return Status::AlreadyExists(where + ": replayed (nonce already seen)");
  if (now > proposal_.deadline_ts || v.created_ts > proposal_.deadline_ts) {
    return Status::PermissionDenied(where + ": the deadline " + proposal_.deadline + " has passed");
  }
  auto it = latest_.find(v.state);
  if (it != latest_.end() && v.sequence <= it->second.sequence) {
    return Status::Conflict(where + ": sequence " + std::to_string(v.sequence) +
                            " is not above the state's current " +
                            std::to_string(it->second.sequence) + " (cast twice or stale)");
  }
  if (sink_) {
    ENTENTE_RETURN_IF_ERROR(
        RecordSigned(*sink_, "vote", doc.root(), kVoteDomain).WithContext(where));
  }
  seen_ids_.insert(v.id);
  seen_nonces_.insert(v.nonce);
  latest_[v.state] = std::move(v);
  return Status::Ok();
}

Votes BallotBox::Current() const {
  Votes out;
  for (const auto& [state, v] : latest_) out[state] = v.choice;
  return out;
}

json::Value TallyReport::ToJson() const {
  json::Value v = outcome.ToJson();
  v.set("votes_accepted", accepted);
  json::Value r = json::Value::MakeArray();
  for (const auto& s : rejected) r.push_back(s);
  v.set("votes_rejected", std::move(r));
  return v;
}

Result<TallyReport> TallySignedVotes(const Proposal& proposal, const TrustList& trust,
                                     const PopulationTable& table, std::string_view votes_text) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(
      doc.Parse(votes_text, ObjectLimits(kMaxVotesBytes)).WithContext("signed votes"));
  json::Node list = doc.root();
  if (list["type"].str() == "bundle") list = list["objects"];
  if (!list.is_array()) {
    return Status::InvalidArgument("signed votes: expected an array of votes or a STIX bundle");
  }
  TallyReport report;
  std::vector<std::string> votes;
  for (auto [i, o] : list) {
    (void)i;
    if (o["type"].str() != "x-entente-vote") continue;
    if (o["proposal_ref"].str() != proposal.id) {
      // Listed (a tally over a file should say what it ignored), unlike ReplayVotes.
      report.rejected.push_back(std::string(o["id"].str().substr(0, 120)) + ": is for " +
                                std::string(o["proposal_ref"].str().substr(0, 120)) + ", not " +
                                proposal.id);
      continue;
    }
    votes.emplace_back(o.raw());
  }
  Replay replay = ReplayVotes(proposal, trust, votes);
  report.accepted = replay.accepted;
  report.rejected.insert(report.rejected.end(), replay.rejected.begin(), replay.rejected.end());
  report.outcome = replay.box.Tally(table);
  return report;
}

}  // namespace entente::respond
