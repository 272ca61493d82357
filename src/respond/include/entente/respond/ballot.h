// Proposals and signed votes on a response measure, and the ballot box that accepts them.
//
// A proposal is a STIX 2.1 object of the custom type "x-entente-proposal", defined by the
// extension-definition ProposalExtensionDefinition() (extension_type "new-sdo"); a vote is an
// "x-entente-vote" object under VoteExtensionDefinition(). Both are signed by a member state's
// node with its composite key (ML-DSA-65+Ed25519 by default; docs/CRYPTO.md):
//
//   signed bytes = domain || 0x00 || JCS(object without its "signature" member)
//   signature    = composite Sign(signed bytes, ctx = "entente-respond")
//   "signature": {"suite": <suite name>, "key_id": <hex signature key id>, "value": <base64>}
//
// with domain "entente/respond/proposal/v1", ".../vote/v1" or ".../statement/v1", so that a
// signature on one kind of object never verifies as another. The signer is the state named in
// the object ("proposer" / "state" / "signer"); its key must be the one the TrustList holds for
// that state. docs/RESPOND.md gives the full property lists.
//
// Vote rules enforced by BallotBox: a vote verifies against its state's key (not forged, not
// altered); it names this proposal (not replayed from another); its id and nonce were never
// seen before (not replayed); its sequence is above the state's current one (not cast twice;
// changes need a higher sequence, and only the state's own key can sign one); it was created
// and is received by the deadline. The latest accepted sequence per state counts.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/base/time.h"
#include "entente/crypto/hybrid.h"
#include "entente/crypto/keys.h"
#include "entente/respond/common.h"
#include "entente/respond/decision.h"

namespace entente::respond {

inline constexpr std::string_view kProposalDomain = "entente/respond/proposal/v1";
inline constexpr std::string_view kVoteDomain = "entente/respond/vote/v1";
inline constexpr std::string_view kStatementDomain = "entente/respond/statement/v1";
inline constexpr std::string_view kSignatureContext = "entente-respond";

inline constexpr std::string_view kProposalExtensionId =
    "extension-definition--84d5108c-a843-4dbf-bb0f-c2907748392f";
inline constexpr std::string_view kVoteExtensionId =
    "extension-definition--13d22140-29b3-4640-ad2a-a23f8c011852";
inline constexpr std::string_view kStatementExtensionId =
    "extension-definition--f39207e4-6236-4874-afac-e15e6f3f4068";
// The identity that authors the extension definitions.
inline constexpr std::string_view kEntenteIdentity =
    "identity--9589d8a9-0c49-4f2d-963e-3ffd3103d497";

// The STIX extension-definition objects (and the identity that creates them) to ship alongside
// proposals, votes and statements.
json::Value ProposalExtensionDefinition();
json::Value VoteExtensionDefinition();
json::Value StatementExtensionDefinition();
json::Value EntenteIdentity();

// Member state -> public identity. Parsed from {"DE": <public key file object>, ...}
// (crypto::keys public key files, docs/CRYPTO.md). At most 64 states, 1 MiB.
class TrustList {
 public:
  static Result<TrustList> Parse(std::string_view text);
  static Result<TrustList> Load(const std::string& path);
  void Add(std::string state, crypto::keys::PublicIdentity identity);
  const crypto::keys::PublicIdentity* Find(std::string_view state) const noexcept;
  std::size_t size() const noexcept { return states_.size(); }

 private:
  std::map<std::string, crypto::keys::PublicIdentity, std::less<>> states_;
};

// Adds "signature" to `object` (replacing any) over the domain-separated canonical form.
Status SignObject(json::Value& object, std::string_view domain,
                  const crypto::hybrid::SigPrivateKey& key);
// Verifies the "signature" of `object` with `identity`: suite and key id must match it and
// the composite signature must verify. kCryptoError otherwise.
Status VerifyObject(json::Node object, std::string_view domain,
                    const crypto::keys::PublicIdentity& identity);
// The exact bytes signed for `object` (domain || 0 || JCS without "signature").
std::string SignedBytes(const json::Value& object, std::string_view domain);

struct Target {
  std::string name;
  std::string ref;  // STIX id or ""
};

struct Proposal {
  std::string id;        // x-entente-proposal--<uuid>
  std::string created;   // RFC 3339
  std::string proposer;  // ISO code of the proposing state
  std::string measure;   // measure id from the catalogue
  Rule rule = Rule::kUnanimity;
  std::vector<Target> targets;
  std::string grounds;
  std::string incident_ref;
  std::string attribution_case_ref;
  Confidence attribution_confidence = Confidence::kNone;
  std::string deadline;  // RFC 3339
  Timestamp deadline_ts;

  // The STIX object (without signature).
  json::Value ToStix() const;
};

// A new proposal with a fresh id and created = now; validates the fields (non-empty measure,
// ISO proposer, deadline after created, at most 100 targets).
Result<Proposal> NewProposal(Proposal fields, Timestamp now);
// Reads a proposal object (signed or not; verification is separate). Strict: unknown
// properties, wrong types or ids are errors naming the property. 256 KiB.
Result<Proposal> ParseProposal(json::Node object);
Result<Proposal> ParseProposalText(std::string_view text);
// Reads a signed proposal and verifies its signature with the proposer's key in `trust`
// (kPermissionDenied when the proposer is not in it, kCryptoError when it does not verify).
Result<Proposal> ParseSignedProposal(std::string_view text, const TrustList& trust);

// Hands a signed object to `sink` as (kind, id, SHA3-256 of its signed bytes under `domain`).
Status RecordSigned(RecordSink& sink, std::string_view kind, json::Node object,
                    std::string_view domain);

struct Vote {
  std::string id;  // x-entente-vote--<uuid>
  std::string created;
  Timestamp created_ts;
  std::string proposal_ref;
  std::string state;
  Choice choice = Choice::kAbstain;
  std::string declaration;  // required for kConstructive, forbidden otherwise
  std::uint64_t sequence = 1;
  std::string nonce;  // 32 lower-case hex digits
};

// Builds and signs a vote as `state` at time `now` with a fresh id and nonce.
Result<json::Value> MakeSignedVote(const Proposal& proposal, std::string_view state, Choice choice,
                                   std::string_view declaration, std::uint64_t sequence,
                                   Timestamp now, const crypto::hybrid::SigPrivateKey& key);
// Reads a vote object strictly (does not verify the signature).
Result<Vote> ParseVote(json::Node object);

class BallotBox {
 public:
  // `trust` must outlive the box; `sink` (optional) receives one "vote" event per accepted
  // vote. Not thread-safe: one caller at a time.
  BallotBox(Proposal proposal, const TrustList* trust, RecordSink* sink = nullptr);

  // Accepts one signed vote (its JSON text) received at `now`. Errors: kInvalidArgument
  // (malformed, other proposal), kPermissionDenied (state not in the trust list, deadline
  // passed), kCryptoError (signature), kAlreadyExists (id or nonce replayed), kConflict
  // (sequence not above the state's current one). A refused vote changes nothing.
  Status Cast(std::string_view vote_json, Timestamp now);

  // Current choice per state (latest sequence).
  Votes Current() const;
  const std::map<std::string, Vote>& latest() const noexcept { return latest_; }
  const Proposal& proposal() const noexcept { return proposal_; }
  Outcome Tally(const PopulationTable& table) const {
    return Decide(proposal_.rule, Current(), table);
  }

 private:
  Proposal proposal_;
  const TrustList* trust_;
  RecordSink* sink_;
  std::map<std::string, Vote> latest_;
  std::set<std::string> seen_ids_;
  std::set<std::string> seen_nonces_;
};

// Recomputes a decision from a set of signed votes (a JSON array of vote objects, or a STIX
// bundle holding them) as anyone can: each vote is cast in (created, sequence) order with
// now = its created time; refused votes are listed with the reason and do not count.
struct TallyReport {
  Outcome outcome;
  int accepted = 0;
  std::vector<std::string> rejected;  // "<vote id>: <reason>"
  json::Value ToJson() const;
};
Result<TallyReport> TallySignedVotes(const Proposal& proposal, const TrustList& trust,
                                     const PopulationTable& table, std::string_view votes_text);

}  // namespace entente::respond
