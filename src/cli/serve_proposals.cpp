// Proposals and votes over the node's REST API (docs/RESPOND.md, "On a node").
//
// A node speaks for one member state (node.json "member_state", set by `entente init --state`)
// and signs with its node key. Proposals and votes are stored as ordinary STIX objects, so the
// transparency-log hook records each one and federation carries them to the other members; the
// board is recomputed from the signed objects on every read (respond::ReplayVotes), never kept
// as separate state that could drift from them.
//
// Which keys count: the node's own (for its state) and the states listed in
// HOME/voting-trust.json ({"DE": <public key file>, ...}, respond::TrustList). A vote or proposal
// signed by anyone else is stored if it arrives (storage is transport) but never counts: it is
// listed under "rejected_votes" or shown as unverified.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/crypto/keys.h"
#include "entente/respond/ballot.h"
#include "entente/respond/board.h"
#include "entente/respond/common.h"
#include "entente/respond/decision.h"
#include "entente/respond/measures.h"
#include "entente/respond/statement.h"
#include "entente/stix/validate.h"
#include "node_home.h"
#include "serve_federation.h"
#include "serve_routes.h"

namespace entente::cli {
namespace {

using server::http::status;
using server::http::verb;

constexpr std::size_t kMaxProposals = 10000;
constexpr std::size_t kMaxVotes = 100000;
constexpr std::string_view kProposalPrefix = "x-entente-proposal--";

struct Chamber {
  std::string state;  // the member state this node speaks for; "" if none
  std::shared_ptr<const crypto::hybrid::SigPrivateKey> key;
  std::string key_note;  // why the node cannot sign, if it cannot
  respond::TrustList trust;
  std::optional<respond::PopulationTable> population;
  std::optional<respond::Catalogue> catalogue;
  std::mutex write_mu;  // one proposal or vote at a time: sequence numbers stay in order
};

// The latest version of every stored object of `type` (at most `cap`).
Result<std::vector<store::StoredObject>> AllOfType(store::Store& store, std::string type,
                                                   std::size_t cap) {
  std::vector<store::StoredObject> out;
  store::Query q;
  q.types = {std::move(type)};
  q.limit = 1000;
  for (;;) {
    ENTENTE_ASSIGN_OR_RETURN(store::Page page, store.Find(q));
    for (auto& o : page.objects) {
      if (out.size() >= cap) return Status::LimitExceeded("more than " + std::to_string(cap));
      out.push_back(std::move(o));
    }
    if (!page.more) return out;
    q.cursor = page.next;
  }
}

// Vote texts grouped by the proposal they name.
Result<std::map<std::string, std::vector<std::string>>> VotesByProposal(store::Store& store) {
  ENTENTE_ASSIGN_OR_RETURN(auto votes, AllOfType(store, "x-entente-vote", kMaxVotes));
  std::map<std::string, std::vector<std::string>> out;
  for (auto& v : votes) {
    json::Document doc;
    if (!doc.Parse(v.json).ok()) continue;
    std::string ref(doc.root()["proposal_ref"].str());
    if (!ref.empty()) out[ref].push_back(std::move(v.json));
  }
  return out;
}

server::HttpResponse Unavailable(const Chamber& c, unsigned v) {
  if (c.state.empty()) {
    return server::RestError(Status::Unavailable("this node speaks for no member state "
                                                 "(entente init --state XX)"),
                             v);
  }
  return server::RestError(Status::Unavailable("this node cannot sign: " + c.key_note), v);
}

// Only an account of the node's own state may propose or vote through it.
Status SameState(const Chamber& c, const server::Principal& caller) {
  if (caller.member_state == c.state) return Status::Ok();
  return Status::PermissionDenied(
      "this node speaks for " + c.state + "; your account is for " +
      (caller.member_state.empty() ? std::string("no member state") : caller.member_state));
}

std::string StringField(json::Node body, std::string_view key) {
  return std::string(body[key].str());
}

// POST /api/v1/proposals body -> the proposal fields (not yet opened).
Result<std::pair<respond::Proposal, std::optional<respond::Rule>>> ParseProposalRequest(
    std::string_view text, const std::string& proposer) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text).WithContext("proposal request"));
  json::Node body = doc.root();
  if (!body.is_object()) return Status::InvalidArgument("proposal request: expected an object");
  static constexpr std::string_view kKnown[] = {"measure",
                                                "targets",
                                                "grounds",
                                                "incident_ref",
                                                "attribution_case_ref",
                                                "attribution_confidence",
                                                "deadline",
                                                "rule"};
  for (auto [key, value] : body) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return Status::InvalidArgument("proposal request: unknown field '" + std::string(key) + "'");
    }
    if (key != "targets" && !value.is_string()) {
      return Status::InvalidArgument("proposal request: '" + std::string(key) +
                                     "' must be a string");
    }
  }
  respond::Proposal p;
  p.proposer = proposer;
  p.measure = StringField(body, "measure");
  p.grounds = StringField(body, "grounds");
  p.incident_ref = StringField(body, "incident_ref");
  p.attribution_case_ref = StringField(body, "attribution_case_ref");
  p.deadline = StringField(body, "deadline");
  if (p.measure.empty()) return Status::InvalidArgument("proposal request: 'measure' is required");
  if (p.grounds.empty()) return Status::InvalidArgument("proposal request: 'grounds' is required");
  if (p.deadline.empty()) {
    return Status::InvalidArgument("proposal request: 'deadline' is required (RFC 3339)");
  }
  for (std::string_view ref :
       {std::string_view(p.incident_ref), std::string_view(p.attribution_case_ref)}) {
    if (!ref.empty() && !stix::IsIdentifier(ref)) {
      return Status::InvalidArgument("proposal request: '" + std::string(ref) +
                                     "' is not a STIX identifier");
    }
  }
  std::string confidence = StringField(body, "attribution_confidence");
  ENTENTE_ASSIGN_OR_RETURN(
      p.attribution_confidence,
      respond::ParseConfidence(confidence.empty() ? "none" : confidence, "attribution_confidence"));
  if (json::Node targets = body["targets"]; !targets.missing() && !targets.is_null()) {
    if (!targets.is_array()) {
      return Status::InvalidArgument("proposal request: 'targets' must be an array");
    }
    std::size_t i = 0;
    for (auto [unused, t] : targets) {
      (void)unused;
      std::string where = "proposal request: targets[" + std::to_string(i++) + "]";
      if (!t.is_object() || t["name"].str().empty()) {
        return Status::InvalidArgument(where + ": expected {\"name\": ..., \"ref\": ...}");
      }
      std::string ref(t["ref"].str());
      if (!ref.empty() && !stix::IsIdentifier(ref)) {
        return Status::InvalidArgument(where + ": 'ref' is not a STIX identifier");
      }
      p.targets.push_back({std::string(t["name"].str()), ref});
    }
  }
  std::optional<respond::Rule> rule;
  if (std::string r = StringField(body, "rule"); !r.empty()) {
    ENTENTE_ASSIGN_OR_RETURN(rule, respond::ParseRule(r));
  }
  return std::make_pair(std::move(p), rule);
}

// The stored proposal `id` if `caller` may read it and its signature verifies.
struct Loaded {
  store::StoredObject stored;
  respond::Proposal proposal;
};
Result<Loaded> LoadProposal(Chamber& c, store::Store& store, server::NodeService& service,
                            const server::Principal& caller, std::string_view id) {
  if (!id.starts_with(kProposalPrefix) || !stix::IsIdentifier(id)) {
    return Status::InvalidArgument("'" + std::string(id.substr(0, 100)) +
                                   "' is not a proposal id (x-entente-proposal--<uuid>)");
  }
  if (!service.Readable(caller, id)) return Status::NotFound("no proposal " + std::string(id));
  ENTENTE_ASSIGN_OR_RETURN(store::StoredObject stored, store.Get(id));
  auto proposal = respond::ParseSignedProposal(stored.json, c.trust);
  if (!proposal.ok()) return proposal.status().WithContext("proposal " + std::string(id));
  return Loaded{std::move(stored), std::move(*proposal)};
}

// POST /api/v1/proposals/{id}/statement: once the decision is final (the deadline has passed,
// or every member state has voted) and adopted, the node signs the joint statement for its
// state and stores it. Refused (409) while the decision can still change or if not adopted.
server::HttpResponse IssueStatement(Chamber& c, store::Store& store, server::NodeService& service,
                                    const server::RestRequest& r, std::string_view id) {
  const unsigned v = r.http.version();
  if (!c.population || !c.catalogue) {
    return server::RestError(Status::Unavailable("no population table or measures catalogue"), v);
  }
  std::lock_guard lock(c.write_mu);
  auto loaded = LoadProposal(c, store, service, r.caller, id);
  if (!loaded.ok()) return server::RestError(loaded.status(), v);
  auto votes = VotesByProposal(store);
  if (!votes.ok()) return server::RestError(votes.status(), v);
  respond::Replay replay =
      respond::ReplayVotes(loaded->proposal, c.trust, (*votes)[loaded->proposal.id]);
  respond::Outcome outcome = replay.box.Tally(*c.population);
  Timestamp now = Now();
  bool final = !(now < loaded->proposal.deadline_ts) || outcome.absent == 0;
  if (!final) {
    return server::RestError(
        Status::Conflict("the decision is not final: the deadline " + loaded->proposal.deadline +
                         " has not passed and " + std::to_string(outcome.absent) +
                         " member states have not voted"),
        v);
  }
  if (!outcome.adopted) {
    return server::RestError(Status::Conflict("the proposal was not adopted"), v);
  }
  const respond::Measure* m = c.catalogue->Find(loaded->proposal.measure);
  auto statement = respond::MakeJointStatement(
      loaded->proposal, outcome, m ? m->name : loaded->proposal.measure, c.state, now, *c.key);
  if (!statement.ok()) return server::RestError(statement.status(), v);
  if (Status s = service.StoreObject(r.caller, statement->Serialize()); !s.ok()) {
    return server::RestError(s, v);
  }
  json::Value out = json::Value::MakeObject();
  out.set("statement", std::move(*statement));
  out.set("outcome", outcome.ToJson());
  return server::RestJson(status::created, out.Serialize(), v);
}

}  // namespace

Status AddProposalRoutes(const std::string& home, store::Store& store,
                         server::NodeService& service) {
  auto c = std::make_shared<Chamber>();
  c->state = NodeMemberState(home);
  if (auto id = NodeKey(home); id.ok()) {
    if (auto key = id->SigKey(); key.ok()) {
      c->key = std::shared_ptr<const crypto::hybrid::SigPrivateKey>(std::move(*key));
      if (!c->state.empty()) c->trust.Add(c->state, id->pub);
    } else {
      c->key_note = key.status().message();
    }
  } else {
    c->key_note = id.status().message();
  }
  std::string voting_trust = home + "/voting-trust.json";
  if (std::error_code ec; std::filesystem::exists(voting_trust, ec)) {
    ENTENTE_ASSIGN_OR_RETURN(respond::TrustList listed, respond::TrustList::Load(voting_trust));
    // The node's own key was added first; a listed key for the same state does not replace it.
    // (TrustList::Add replaces, so re-add the node's own afterwards.)
    auto own = c->state.empty() ? nullptr : c->trust.Find(c->state);
    std::optional<crypto::keys::PublicIdentity> own_copy;
    if (own) own_copy = *own;
    c->trust = std::move(listed);
    if (own_copy) c->trust.Add(c->state, *own_copy);
  }
  // Member states' node keys from the federation trust list: a proposal or vote signed by a
  // member node counts on every node of the federation. The list is authoritative over
  // voting-trust.json for the states it names; this node's own key stays its own.
  if (auto list = FederationTrustList(home); list.ok()) {
    for (const auto& m : list->members) {
      if (m.member_state.empty() || m.member_state == c->state) continue;
      crypto::keys::PublicIdentity pub;
      pub.label = m.node_id;
      pub.sig_suite = m.sig_suite;
      pub.sig_public_key = m.sig_public_key;
      pub.kem_suite = m.kem_suite;
      pub.kem_public_key = m.kem_public_key;
      c->trust.Add(m.member_state, std::move(pub));
    }
  } else if (list.status().code() != ErrorCode::kNotFound) {
    std::string why;
    json::AppendQuoted(why, list.status().ToString());
    std::fprintf(stderr,
                 "{\"level\":\"error\",\"msg\":\"proposals: the federation trust list does "
                 "not verify; only this node's key and voting-trust.json count\",\"why\":%s}\n",
                 why.c_str());
  }
  if (auto table = respond::LoadPopulationTable(respond::FindDataFile("population-2025.json"));
      table.ok()) {
    c->population = std::move(*table);
  }
  if (auto cat = respond::Catalogue::Load(respond::FindDataFile("measures.json")); cat.ok()) {
    c->catalogue = std::move(*cat);
  }

  // GET /api/v1/proposals: every proposal the caller may read, newest first, with its outcome.
  // GET /api/v1/proposals/{id}: the proposal, its votes, outcome and board of the 27.
  service.AddRoute(
      verb::get, "/proposals", server::Operation::kRead,
      [c, &store, &service](const server::RestRequest& r) {
        const unsigned v = r.http.version();
        if (!c->population) {
          return server::RestError(Status::Unavailable("no population table"), v);
        }
        std::string_view rest = r.path.substr(std::string_view("/proposals").size());
        if (!rest.empty() && rest != "/") {
          auto loaded = LoadProposal(*c, store, service, r.caller, rest.substr(1));
          if (!loaded.ok()) return server::RestError(loaded.status(), v);
          auto votes = VotesByProposal(store);
          if (!votes.ok()) return server::RestError(votes.status(), v);
          const auto& texts = (*votes)[loaded->proposal.id];
          respond::Replay replay = respond::ReplayVotes(loaded->proposal, c->trust, texts);
          json::Value out =
              respond::ProposalStatus(loaded->stored.json, replay, texts, *c->population, Now());
          // The joint statements issued on it (by any node), as stored.
          auto statements = AllOfType(store, "x-entente-statement", kMaxProposals);
          if (!statements.ok()) return server::RestError(statements.status(), v);
          json::Value issued = json::Value::MakeArray();
          for (const auto& st : *statements) {
            auto parsed = json::Value::Parse(st.json);
            if (!parsed.ok()) continue;
            const json::Value* ref = parsed->find("proposal_ref");
            if (ref && ref->is_string() && ref->str() == loaded->proposal.id &&
                service.Readable(r.caller, st.id)) {
              issued.push_back(std::move(*parsed));
            }
          }
          out.set("statements", std::move(issued));
          return server::RestJson(status::ok, out.Serialize(), v);
        }
        auto proposals = AllOfType(store, "x-entente-proposal", kMaxProposals);
        if (!proposals.ok()) return server::RestError(proposals.status(), v);
        auto votes = VotesByProposal(store);
        if (!votes.ok()) return server::RestError(votes.status(), v);
        std::vector<std::pair<std::string, json::Value>> rows;  // (created, row)
        Timestamp now = Now();
        for (const auto& stored : *proposals) {
          if (!service.Readable(r.caller, stored.id)) continue;
          json::Value row = json::Value::MakeObject();
          auto object = json::Value::Parse(stored.json);
          if (!object.ok()) continue;
          auto proposal = respond::ParseSignedProposal(stored.json, c->trust);
          row.set("verified", proposal.ok());
          if (!proposal.ok()) {
            row.set("error", proposal.status().message());
          } else {
            const auto& texts = (*votes)[proposal->id];
            respond::Replay replay = respond::ReplayVotes(*proposal, c->trust, texts);
            row.set("open", now < proposal->deadline_ts);
            row.set("votes_cast", static_cast<std::uint64_t>(replay.box.latest().size()));
            row.set("outcome", replay.box.Tally(*c->population).ToJson());
          }
          const json::Value* created = object->find("created");
          std::string key = created && created->is_string() ? created->str() : "";
          row.set("proposal", std::move(*object));
          rows.emplace_back(std::move(key), std::move(row));
        }
        std::stable_sort(rows.begin(), rows.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        json::Value list = json::Value::MakeArray();
        for (auto& row : rows) list.push_back(std::move(row.second));
        json::Value out = json::Value::MakeObject();
        out.set("proposals", std::move(list));
        return server::RestJson(status::ok, out.Serialize(), v);
      });

  // POST /api/v1/proposals: open a proposal, signed by this node for its member state.
  // POST /api/v1/proposals/{id}/votes: cast (or change) this node's state's vote.
  service.AddRoute(
      verb::post, "/proposals", server::Operation::kPropose,
      [c, &store, &service](const server::RestRequest& r) {
        const unsigned v = r.http.version();
        if (c->state.empty() || !c->key) return Unavailable(*c, v);
        if (Status same = SameState(*c, r.caller); !same.ok()) return server::RestError(same, v);
        std::string_view rest = r.path.substr(std::string_view("/proposals").size());
        if (rest.empty() || rest == "/") {
          if (!c->catalogue) {
            return server::RestError(Status::Unavailable("no measures catalogue"), v);
          }
          auto request = ParseProposalRequest(r.http.body(), c->state);
          if (!request.ok()) return server::RestError(request.status(), v);
          auto opened = respond::OpenProposal(*c->catalogue, std::move(request->first),
                                              request->second, Now());
          if (!opened.ok()) return server::RestError(opened.status(), v);
          json::Value object = opened->ToStix();
          if (Status s = respond::SignObject(object, respond::kProposalDomain, *c->key); !s.ok()) {
            return server::RestError(s, v);
          }
          std::lock_guard lock(c->write_mu);
          if (Status s = service.StoreObject(r.caller, object.Serialize()); !s.ok()) {
            return server::RestError(s, v);
          }
          json::Value out = json::Value::MakeObject();
          out.set("proposal", std::move(object));
          return server::RestJson(status::created, out.Serialize(), v);
        }
        // /{id}/statement: the joint statement of an adopted, final decision.
        constexpr std::string_view kStatement = "/statement";
        if (rest.ends_with(kStatement)) {
          if (!identity::Allowed(r.caller, server::Operation::kVote)) {
            return server::RestError(
                Status::PermissionDenied("issuing a joint statement needs the authority role"), v);
          }
          return IssueStatement(*c, store, service, r,
                                rest.substr(1, rest.size() - 1 - kStatement.size()));
        }
        // /{id}/votes: votes are cast by authorities only (the route's operation is
        // kPropose, which analysts hold too, so check kVote here).
        constexpr std::string_view kVotes = "/votes";
        if (!rest.ends_with(kVotes)) {
          return server::RestError(Status::NotFound("no such route"), v);
        }
        if (!identity::Allowed(r.caller, server::Operation::kVote)) {
          return server::RestError(Status::PermissionDenied("voting needs the authority role"), v);
        }
        std::string_view id = rest.substr(1, rest.size() - 1 - kVotes.size());
        if (!c->population) {
          return server::RestError(Status::Unavailable("no population table"), v);
        }
        json::Document doc;
        if (Status s = doc.Parse(r.http.body()).WithContext("vote request"); !s.ok()) {
          return server::RestError(s, v);
        }
        json::Node body = doc.root();
        for (auto [key, value] : body) {
          if ((key != "choice" && key != "declaration") || !value.is_string()) {
            return server::RestError(
                Status::InvalidArgument("vote request: unknown field '" + std::string(key) + "'"),
                v);
          }
        }
        auto choice = respond::ParseChoice(body["choice"].str(), "choice");
        if (!choice.ok()) return server::RestError(choice.status(), v);
        std::lock_guard lock(c->write_mu);
        auto loaded = LoadProposal(*c, store, service, r.caller, id);
        if (!loaded.ok()) return server::RestError(loaded.status(), v);
        auto votes = VotesByProposal(store);
        if (!votes.ok()) return server::RestError(votes.status(), v);
        auto& texts = (*votes)[loaded->proposal.id];
        respond::Replay replay = respond::ReplayVotes(loaded->proposal, c->trust, texts);
        std::uint64_t sequence = 1;
        if (auto it = replay.box.latest().find(c->state); it != replay.box.latest().end()) {
          sequence = it->second.sequence + 1;
        }
        Timestamp now = Now();
        auto vote = respond::MakeSignedVote(loaded->proposal, c->state, *choice,
                                            body["declaration"].str(), sequence, now, *c->key);
        if (!vote.ok()) return server::RestError(vote.status(), v);
        std::string text = vote->Serialize();
        // The ballot box decides first (deadline, sequence); a refused vote is not stored.
        if (Status s = replay.box.Cast(text, now); !s.ok()) return server::RestError(s, v);
        if (Status s = service.StoreObject(r.caller, text); !s.ok()) {
          return server::RestError(s, v);
        }
        texts.push_back(text);
        json::Value out = json::Value::MakeObject();
        out.set("vote", std::move(*vote));
        out.set("outcome", replay.box.Tally(*c->population).ToJson());
        out.set("board", respond::VoteBoard(replay.box, *c->population));
        return server::RestJson(status::created, out.Serialize(), v);
      });
  return Status::Ok();
}

}  // namespace entente::cli
