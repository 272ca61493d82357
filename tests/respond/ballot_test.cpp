// Proposals and signed votes: signing, verification and the tamper cases (forged, altered,
// replayed, cast twice, changed by another state, late).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "entente/respond/ballot.h"
#include "entente/respond/board.h"
#include "entente/respond/measures.h"
#include "entente/respond/statement.h"
#include "entente/stix/validate.h"

namespace entente::respond {
namespace {

using crypto::keys::Identity;

struct Node {
  Identity id;
  std::unique_ptr<crypto::hybrid::SigPrivateKey> key;
};

const Node& NodeFor(const std::string& state) {
  static std::map<std::string, Node> nodes;
  auto it = nodes.find(state);
  if (it == nodes.end()) {
    auto id = crypto::keys::Generate(crypto::keys::Profile::kLevel3, "node", "authority " + state);
    EXPECT_TRUE(id.ok());
    Node n{std::move(id).value(), nullptr};
    n.key = std::move(n.id.SigKey()).value();
    it = nodes.emplace(state, std::move(n)).first;
  }
  return it->second;
}

TrustList Trust(std::initializer_list<const char*> states) {
  // Built through the file format, as a node receives it.
  std::string text = "{";
  for (const char* s : states) {
    if (text.size() > 1) text += ",";
    text += "\"" + std::string(s) + "\":" + crypto::keys::EncodePublicKeyFile(NodeFor(s).id.pub);
  }
  text += "}";
  auto t = TrustList::Parse(text);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

const Timestamp kT0 = *ParseTimestamp("2026-11-23T10:00:00Z");
const Timestamp kDeadline = *ParseTimestamp("2026-11-30T10:00:00Z");

Proposal MakeProposal() {
  Proposal p;
  p.proposer = "DE";
  p.measure = "asset-freeze";
  p.rule = Rule::kUnanimity;
  p.targets.push_back({"Main Centre for Special Technologies (GTsST)", ""});
  p.grounds = "Destructive attack on logistics in 12 member states";
  p.incident_ref = "incident--0b6a1f7e-5d4c-4b1e-9d7e-1f2a3b4c5d6e";
  p.attribution_confidence = Confidence::kModerate;
  p.deadline = "2026-11-30T10:00:00Z";
  auto r = NewProposal(p, kT0);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

std::string SignedVote(const Proposal& p, const std::string& state, Choice c, std::uint64_t seq = 1,
                       Timestamp at = kT0, const std::string& signer = "",
                       std::string_view declaration = "") {
  auto v = MakeSignedVote(p, state, c, declaration, seq, at,
                          *NodeFor(signer.empty() ? state : signer).key);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v->Serialize();
}

std::string Edit(const std::string& text, const char* key, json::Value value) {
  auto v = json::Value::Parse(text);
  EXPECT_TRUE(v.ok());
  v->set(key, std::move(value));
  return v->Serialize();
}

TEST(Proposal, RoundTripsAsAStixExtensionObject) {
  Proposal p = MakeProposal();
  json::Value o = p.ToStix();
  EXPECT_EQ(o.find("type")->str(), "x-entente-proposal");
  EXPECT_EQ(o.find("extensions")->find(kProposalExtensionId)->find("extension_type")->str(),
            "new-sdo");
  auto back = ParseProposalText(o.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, p.id);
  EXPECT_EQ(back->targets.size(), 1u);
  EXPECT_EQ(back->deadline_ts, kDeadline);
  EXPECT_EQ(ProposalExtensionDefinition().find("extension_types")->array()[0].str(), "new-sdo");
  // Strict: an unknown property is named.
  auto bad = ParseProposalText(Edit(o.Serialize(), "colour", "red"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("colour"), std::string::npos);
  // A deadline in the past is refused when opening.
  Proposal late = p;
  late.deadline = "2026-11-01T00:00:00Z";
  EXPECT_FALSE(NewProposal(late, kT0).ok());
}

TEST(Proposal, SignedByProposerAndTamperEvident) {
  Proposal p = MakeProposal();
  json::Value o = p.ToStix();
  ASSERT_TRUE(SignObject(o, kProposalDomain, *NodeFor("DE").key).ok());
  std::string text = o.Serialize();
  json::Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  EXPECT_TRUE(VerifyObject(doc.root(), kProposalDomain, NodeFor("DE").id.pub).ok());
  EXPECT_EQ(VerifyObject(doc.root(), kProposalDomain, NodeFor("FR").id.pub).code(),
            ErrorCode::kCryptoError);
  EXPECT_EQ(VerifyObject(doc.root(), kVoteDomain, NodeFor("DE").id.pub).code(),
            ErrorCode::kCryptoError);
  TrustList trust = Trust({"DE", "FR"});
  auto signed_ok = ParseSignedProposal(text, trust);
  ASSERT_TRUE(signed_ok.ok()) << signed_ok.status().ToString();
  EXPECT_EQ(signed_ok->id, p.id);
  EXPECT_EQ(ParseSignedProposal(text, Trust({"FR"})).status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(ParseSignedProposal(Edit(text, "grounds", "other"), trust).status().code(),
            ErrorCode::kCryptoError);
  EXPECT_EQ(ParseSignedProposal(p.ToStix().Serialize(), trust).status().code(),
            ErrorCode::kCryptoError);  // unsigned
  MemorySink sink;
  ASSERT_TRUE(RecordSigned(sink, "proposal", doc.root(), kProposalDomain).ok());
  ASSERT_EQ(sink.events().size(), 1u);
  EXPECT_EQ(sink.events()[0].subject, p.id);
  std::string altered = Edit(text, "measure", "travel-ban");
  json::Document doc2;
  ASSERT_TRUE(doc2.Parse(altered).ok());
  EXPECT_EQ(VerifyObject(doc2.root(), kProposalDomain, NodeFor("DE").id.pub).code(),
            ErrorCode::kCryptoError);
}

TEST(Ballot, AcceptsSignedVotesAndTallies) {
  Proposal p = MakeProposal();
  TrustList trust = Trust({"DE", "FR", "IT"});
  MemorySink sink;
  BallotBox box(p, &trust, &sink);
  EXPECT_TRUE(box.Cast(SignedVote(p, "DE", Choice::kYes), kT0).ok());
  EXPECT_TRUE(box.Cast(SignedVote(p, "FR", Choice::kYes), kT0).ok());
  Status s =
      box.Cast(SignedVote(p, "IT", Choice::kConstructive, 1, kT0, "", "we will not apply it"), kT0);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(box.Current().size(), 3u);
  EXPECT_EQ(box.Current().at("IT"), Choice::kConstructive);
  ASSERT_EQ(sink.events().size(), 3u);
  EXPECT_EQ(sink.events()[0].kind, "vote");
  EXPECT_EQ(sink.events()[0].payload_hash.size(), 32u);
}

TEST(Ballot, ForgedVoteIsRejected) {
  Proposal p = MakeProposal();
  TrustList trust = Trust({"DE", "FR"});
  BallotBox box(p, &trust);
  // FR's node signs a vote that claims to be DE's.
  Status s = box.Cast(SignedVote(p, "DE", Choice::kNo, 1, kT0, "FR"), kT0);
  EXPECT_EQ(s.code(), ErrorCode::kCryptoError) << s.ToString();
  // A state that is not in the trust list, even with a valid self-signature.
  s = box.Cast(SignedVote(p, "PL", Choice::kNo), kT0);
  EXPECT_EQ(s.code(), ErrorCode::kPermissionDenied);
  // A signature copied from another vote.
  auto a = json::Value::Parse(SignedVote(p, "DE", Choice::kYes));
  auto b = json::Value::Parse(SignedVote(p, "DE", Choice::kNo));
  b->set("signature", *a->find("signature"));
  EXPECT_EQ(box.Cast(b->Serialize(), kT0).code(), ErrorCode::kCryptoError);
  EXPECT_TRUE(box.Current().empty());
}

TEST(Ballot, AlteredVoteIsRejected) {
  Proposal p = MakeProposal();
  TrustList trust = Trust({"DE"});
  BallotBox box(p, &trust);
  std::string v = SignedVote(p, "DE", Choice::kNo);
  EXPECT_EQ(box.Cast(Edit(v, "choice", "yes"), kT0).code(), ErrorCode::kCryptoError);
  EXPECT_EQ(box.Cast(Edit(v, "sequence", 7), kT0).code(), ErrorCode::kCryptoError);
  EXPECT_EQ(box.Cast(Edit(v, "created", "2026-11-23T09:00:00.000Z"), kT0).code(),
            ErrorCode::kCryptoError);
  // Re-ordering members or whitespace does not matter: the signed form is canonical.
  auto parsed = json::Value::Parse(v);
  EXPECT_TRUE(box.Cast(parsed->Pretty(), kT0).ok());
}

TEST(Ballot, ReplayedVoteIsRejected) {
  Proposal p = MakeProposal();
  Proposal other = MakeProposal();
  TrustList trust = Trust({"DE"});
  BallotBox box(p, &trust);
  std::string v = SignedVote(p, "DE", Choice::kYes);
  ASSERT_TRUE(box.Cast(v, kT0).ok());
  EXPECT_EQ(box.Cast(v, kT0).code(), ErrorCode::kAlreadyExists);
  // The same vote offered to another proposal's box.
  BallotBox box2(other, &trust);
  EXPECT_EQ(box2.Cast(v, kT0).code(), ErrorCode::kInvalidArgument);
  // Re-pointed at the other proposal: the signature breaks.
  EXPECT_EQ(box2.Cast(Edit(v, "proposal_ref", other.id), kT0).code(), ErrorCode::kCryptoError);
}

TEST(Ballot, CastTwiceAndChangesByOwnStateOnly) {
  Proposal p = MakeProposal();
  TrustList trust = Trust({"DE", "FR"});
  BallotBox box(p, &trust);
  ASSERT_TRUE(box.Cast(SignedVote(p, "DE", Choice::kYes, 1), kT0).ok());
  // A second vote with the same sequence: cast twice.
  EXPECT_EQ(box.Cast(SignedVote(p, "DE", Choice::kNo, 1), kT0).code(), ErrorCode::kConflict);
  EXPECT_EQ(box.Current().at("DE"), Choice::kYes);
  // FR cannot change DE's vote, even with a higher sequence.
  EXPECT_EQ(box.Cast(SignedVote(p, "DE", Choice::kNo, 2, kT0, "FR"), kT0).code(),
            ErrorCode::kCryptoError);
  // DE can: the latest sequence wins; an older one afterwards is stale.
  ASSERT_TRUE(box.Cast(SignedVote(p, "DE", Choice::kNo, 2), kT0).ok());
  EXPECT_EQ(box.Current().at("DE"), Choice::kNo);
  EXPECT_EQ(box.Cast(SignedVote(p, "DE", Choice::kAbstain, 1), kT0).code(), ErrorCode::kConflict);
  EXPECT_EQ(box.Current().at("DE"), Choice::kNo);
}

TEST(Ballot, NoVoteOrChangeAfterTheDeadline) {
  Proposal p = MakeProposal();
  TrustList trust = Trust({"DE"});
  BallotBox box(p, &trust);
  Timestamp late{kDeadline.nanos + 1'000'000};
  EXPECT_EQ(box.Cast(SignedVote(p, "DE", Choice::kYes, 1, kT0), late).code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(box.Cast(SignedVote(p, "DE", Choice::kYes, 1, late), kT0).code(),
            ErrorCode::kPermissionDenied);
  EXPECT_TRUE(box.Cast(SignedVote(p, "DE", Choice::kYes, 1, kT0), kDeadline).ok());
}

TEST(Ballot, ConstructiveAbstentionNeedsDeclaration) {
  Proposal p = MakeProposal();
  EXPECT_FALSE(MakeSignedVote(p, "DE", Choice::kConstructive, "", 1, kT0, *NodeFor("DE").key).ok());
  EXPECT_FALSE(MakeSignedVote(p, "DE", Choice::kYes, "why", 1, kT0, *NodeFor("DE").key).ok());
  // Dropping the declaration from a signed constructive vote is caught by the parser.
  TrustList trust = Trust({"DE"});
  BallotBox box(p, &trust);
  auto v = json::Value::Parse(SignedVote(p, "DE", Choice::kConstructive, 1, kT0, "", "declared"));
  v->erase("declaration");
  EXPECT_EQ(box.Cast(v->Serialize(), kT0).code(), ErrorCode::kInvalidArgument);
}

TEST(Ballot, TallyIsReproducibleFromSignedVotes) {
  Proposal p = MakeProposal();
  TrustList trust = Trust({"DE", "FR", "IT", "PL"});
  auto table = LoadPopulationTable(std::string(ENTENTE_DATA_DIR) + "/respond/population-2025.json");
  ASSERT_TRUE(table.ok());
  Timestamp t1{kT0.nanos + 1'000'000'000};
  std::string votes =
      "[" + SignedVote(p, "DE", Choice::kYes) + "," + SignedVote(p, "FR", Choice::kNo, 1) + "," +
      SignedVote(p, "FR", Choice::kYes, 2, t1) + "," + SignedVote(p, "IT", Choice::kAbstain) + "," +
      Edit(SignedVote(p, "PL", Choice::kYes), "choice", "no") + "]";
  auto r = TallySignedVotes(p, trust, *table, votes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 4);
  ASSERT_EQ(r->rejected.size(), 1u);  // PL's altered vote
  EXPECT_EQ(r->outcome.yes, 2);
  EXPECT_EQ(r->outcome.no, 0);
  EXPECT_EQ(r->outcome.abstain, 1);
  EXPECT_TRUE(r->outcome.adopted);  // unanimity: nobody against
  // Same answer whatever the order of the file.
  std::string reordered = "[" + std::string(votes.substr(1, votes.size() - 2)) + "]";
  auto again = TallySignedVotes(p, trust, *table, reordered);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome.ToJson().Serialize(), r->outcome.ToJson().Serialize());
}

Outcome AdoptedOutcome(const Proposal& p, const TrustList& trust) {
  auto table = LoadPopulationTable(std::string(ENTENTE_DATA_DIR) + "/respond/population-2025.json");
  EXPECT_TRUE(table.ok());
  std::string votes =
      "[" + SignedVote(p, "DE", Choice::kYes) + "," + SignedVote(p, "FR", Choice::kYes) + "]";
  auto r = TallySignedVotes(p, trust, *table, votes);
  EXPECT_TRUE(r.ok());
  return r->outcome;
}

TEST(Statement, SignedFromAnAdoptedDecisionAndVerifiable) {
  Proposal p = MakeProposal();
  TrustList trust = Trust({"DE", "FR"});
  Outcome o = AdoptedOutcome(p, trust);
  ASSERT_TRUE(o.adopted);
  auto s = MakeJointStatement(p, o, "Freezing of funds", "FR", kT0, *NodeFor("FR").key);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::string text = s->Serialize();
  Status v = VerifyJointStatement(text, trust);
  EXPECT_TRUE(v.ok()) << v.ToString();
  const std::string& body = s->find("text")->str();
  EXPECT_NE(body.find("moderate confidence"), std::string::npos) << body;
  EXPECT_NE(body.find("Main Centre for Special Technologies (GTsST)"), std::string::npos);
  EXPECT_NE(body.find("Freezing of funds (asset-freeze)"), std::string::npos);
  EXPECT_NE(body.find("Destructive attack on logistics"), std::string::npos);
  EXPECT_NE(body.find("2 in favour"), std::string::npos);
  // The report is valid STIX and carries the same text.
  json::Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  Status rs = stix::Validator().Check(doc.root()["report"]);
  EXPECT_TRUE(rs.ok()) << rs.ToString();
  EXPECT_EQ(doc.root()["report"]["description"].str(), body);
}

TEST(Statement, TamperedOrUnknownSignerFails) {
  Proposal p = MakeProposal();
  TrustList trust = Trust({"DE", "FR"});
  Outcome o = AdoptedOutcome(p, trust);
  auto s = MakeJointStatement(p, o, "Freezing of funds", "FR", kT0, *NodeFor("FR").key);
  ASSERT_TRUE(s.ok());
  std::string text = s->Serialize();
  EXPECT_EQ(VerifyJointStatement(Edit(text, "text", "something else"), trust).code(),
            ErrorCode::kCryptoError);
  EXPECT_EQ(VerifyJointStatement(Edit(text, "signer", "DE"), trust).code(),
            ErrorCode::kCryptoError);
  EXPECT_EQ(VerifyJointStatement(text, Trust({"DE"})).code(), ErrorCode::kPermissionDenied);
  // Signed by DE's node but claiming FR.
  auto forged = MakeJointStatement(p, o, "Freezing of funds", "FR", kT0, *NodeFor("DE").key);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(VerifyJointStatement(forged->Serialize(), trust).code(), ErrorCode::kCryptoError);
  // No statement from a decision that was not adopted.
  Outcome rejected = o;
  rejected.adopted = false;
  EXPECT_FALSE(MakeJointStatement(p, rejected, "x", "FR", kT0, *NodeFor("FR").key).ok());
}

TEST(TrustList, RejectsBadInput) {
  EXPECT_FALSE(TrustList::Parse(R"({"de":{}})").ok());
  EXPECT_FALSE(TrustList::Parse(R"({"DE":{"kind":"node"}})").ok());
  EXPECT_FALSE(TrustList::Parse(R"([])").ok());
}

// ---- the board a node shows (board.h) ----

TEST(Board, OpenProposalAppliesTheCatalogueConditions) {
  auto cat = Catalogue::Load(std::string(ENTENTE_DATA_DIR) + "/respond/measures.json");
  ASSERT_TRUE(cat.ok()) << cat.status().ToString();
  Proposal fields;
  fields.proposer = "FR";
  fields.measure = "asset-freeze";
  fields.grounds = "Attacks on energy networks";
  fields.deadline = "2026-11-30T10:00:00Z";
  fields.attribution_confidence = Confidence::kLow;
  fields.targets.push_back({"GRU unit 74455", ""});
  auto low = OpenProposal(*cat, fields, std::nullopt, kT0);
  ASSERT_FALSE(low.ok());
  EXPECT_NE(low.status().message().find("needs attribution confidence moderate, got low"),
            std::string::npos);
  fields.attribution_confidence = Confidence::kModerate;
  auto no_target = fields;
  no_target.targets.clear();
  EXPECT_FALSE(OpenProposal(*cat, no_target, std::nullopt, kT0).ok());
  auto opened = OpenProposal(*cat, fields, std::nullopt, kT0);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->rule, Rule::kUnanimity);  // the measure's rule
  auto qmv = OpenProposal(*cat, fields, Rule::kQmv, kT0);
  ASSERT_TRUE(qmv.ok());
  EXPECT_EQ(qmv->rule, Rule::kQmv);
  fields.measure = "no-such-measure";
  EXPECT_EQ(OpenProposal(*cat, fields, std::nullopt, kT0).status().code(), ErrorCode::kNotFound);
}

TEST(Board, ReplayCountsTrustedVotesInOrderAndShowsEveryState) {
  auto table = LoadPopulationTable(std::string(ENTENTE_DATA_DIR) + "/respond/population-2025.json");
  ASSERT_TRUE(table.ok());
  Proposal p = MakeProposal();
  TrustList trust = Trust({"DE", "FR", "EE"});
  const Timestamp t1 = *ParseTimestamp("2026-11-24T10:00:00Z");
  // Given newest first: the replay must order them (DE's change counts, not its first vote).
  std::vector<std::string> votes = {
      SignedVote(p, "DE", Choice::kYes, 2, t1),
      SignedVote(p, "DE", Choice::kNo, 1, kT0),
      SignedVote(p, "FR", Choice::kYes),
      SignedVote(p, "EE", Choice::kConstructive, 1, kT0, "", "EE will not apply the measure"),
      SignedVote(p, "PL", Choice::kNo),                // PL is not trusted
      SignedVote(p, "FR", Choice::kNo, 1, kT0, "DE"),  // signed by DE's key for FR
      Edit(SignedVote(p, "EE", Choice::kYes), "id",
           "x-entente-vote--00000000-0000-4000-8000-000000000000"),
  };
  Proposal other = MakeProposal();
  votes.push_back(SignedVote(other, "FR", Choice::kNo));  // another proposal: skipped
  Replay replay = ReplayVotes(p, trust, votes);
  EXPECT_EQ(replay.accepted, 4);  // DE twice, FR, EE
  EXPECT_EQ(replay.rejected.size(), 3u);
  json::Value board = VoteBoard(replay.box, *table);
  ASSERT_EQ(board.size(), 27u);
  auto row = [&](std::string_view state) -> const json::Value& {
    for (const auto& r : board.array()) {
      if (r.find("state")->str() == state) return r;
    }
    ADD_FAILURE() << "no row for " << state;
    return board;
  };
  EXPECT_EQ(row("DE").find("choice")->str(), "yes");
  EXPECT_EQ(row("DE").find("sequence")->as_int64(), 2);
  EXPECT_EQ(row("FR").find("choice")->str(), "yes");
  EXPECT_EQ(row("EE").find("choice")->str(), "constructive");
  EXPECT_EQ(row("PL").find("choice")->str(), "none");
  EXPECT_EQ(row("AT").find("choice")->str(), "none");
  Outcome o = replay.box.Tally(*table);
  EXPECT_TRUE(o.adopted);
  EXPECT_EQ(o.yes, 2);
  EXPECT_EQ(o.constructive, 1);
  // The status document carries the latest signed vote of each counted state.
  json::Value status = ProposalStatus(p.ToStix().Serialize(), replay, votes, *table, kT0);
  EXPECT_TRUE(status.find("open")->boolean());
  EXPECT_EQ(status.find("votes")->size(), 3u);
  EXPECT_EQ(status.find("rejected_votes")->size(), 3u);
  EXPECT_FALSE(ProposalStatus(p.ToStix().Serialize(), replay, votes, *table, kDeadline)
                   .find("open")
                   ->boolean());
}

}  // namespace
}  // namespace entente::respond
