#include "entente/respond/board.h"

#include <algorithm>
#include <cstdio>

namespace entente::respond {

Result<Proposal> OpenProposal(const Catalogue& catalogue, Proposal fields, std::optional<Rule> rule,
                              Timestamp now) {
  const Measure* m = catalogue.Find(fields.measure);
  if (m == nullptr) {
    return Status::NotFound("measure '" + fields.measure + "' is not in the catalogue");
  }
  fields.rule = rule.value_or(m->decision_rule);
  if (fields.attribution_confidence < m->min_confidence) {
    return Status::InvalidArgument("measure '" + m->id + "' needs attribution confidence " +
                                   std::string(ConfidenceName(m->min_confidence)) + ", got " +
                                   std::string(ConfidenceName(fields.attribution_confidence)));
  }
  if (m->needs_responsible_party && fields.targets.empty()) {
    return Status::InvalidArgument("measure '" + m->id +
                                   "' needs a named responsible person, group or entity "
                                   "as its target");
  }
  return NewProposal(std::move(fields), now);
}

Replay ReplayVotes(const Proposal& proposal, const TrustList& trust,
                   const std::vector<std::string>& votes) {
  struct Item {
    Timestamp created;
    std::uint64_t sequence;
    const std::string* raw;
    std::string id;
  };
  Replay replay{BallotBox(proposal, &trust), 0, {}};
  std::vector<Item> items;
  for (const auto& text : votes) {
    json::Document doc;
    if (!doc.Parse(text).ok()) {
      replay.rejected.push_back("(unparsable vote): not JSON");
      continue;
    }
    json::Node o = doc.root();
    if (o["type"].str() != "x-entente-vote" || o["proposal_ref"].str() != proposal.id) continue;
    auto v = ParseVote(o);
    if (!v.ok()) {
      replay.rejected.push_back(std::string(o["id"].str().substr(0, 120)) + ": " +
                                v.status().message());
      continue;
    }
    items.push_back({v->created_ts, v->sequence, &text, v->id});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.created != b.created ? a.created < b.created : a.sequence < b.sequence;
  });
  for (const auto& item : items) {
    Status s = replay.box.Cast(*item.raw, item.created);
    if (s.ok()) {
      ++replay.accepted;
    } else {
      replay.rejected.push_back(item.id + ": " + s.ToString());
    }
  }
  return replay;
}

namespace {

json::Value Share(std::int64_t part, std::int64_t total) {
  if (total <= 0) return json::Value::NumberFromText("0");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f",
                100.0 * static_cast<double>(part) / static_cast<double>(total));
  return json::Value::NumberFromText(buf);
}

}  // namespace

json::Value VoteBoard(const BallotBox& box, const PopulationTable& table) {
  json::Value rows = json::Value::MakeArray();
  const auto& latest = box.latest();
  for (const auto& m : table.members) {
    json::Value row = json::Value::MakeObject();
    row.set("state", m.iso2);
    row.set("name", m.name);
    row.set("population_share", Share(m.weight, table.total));
    auto it = latest.find(m.iso2);
    if (it == latest.end()) {
      row.set("choice", "none");
    } else {
      const Vote& v = it->second;
      row.set("choice", ChoiceName(v.choice));
      row.set("declaration", v.declaration);
      row.set("created", v.created);
      row.set("sequence", v.sequence);
      row.set("vote_ref", v.id);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

json::Value ProposalStatus(std::string_view proposal_json, const Replay& replay,
                           const std::vector<std::string>& vote_texts, const PopulationTable& table,
                           Timestamp now) {
  json::Value out = json::Value::MakeObject();
  auto proposal = json::Value::Parse(proposal_json);
  out.set("proposal", proposal.ok() ? std::move(*proposal) : json::Value());
  out.set("open", now < replay.box.proposal().deadline_ts);
  out.set("outcome", replay.box.Tally(table).ToJson());
  // The latest accepted vote object of each state, as stored (signature included), so that a
  // client can check the tally itself.
  json::Value votes = json::Value::MakeArray();
  for (const auto& [state, vote] : replay.box.latest()) {
    (void)state;
    for (const auto& text : vote_texts) {
      if (text.find(vote.id) == std::string::npos) continue;
      auto v = json::Value::Parse(text);
      if (v.ok() && v->find("id") && v->find("id")->str() == vote.id) {
        votes.push_back(std::move(*v));
        break;
      }
    }
  }
  out.set("votes", std::move(votes));
  out.set("board", VoteBoard(replay.box, table));
  json::Value rejected = json::Value::MakeArray();
  for (const auto& r : replay.rejected) rejected.push_back(r);
  out.set("rejected_votes", std::move(rejected));
  return out;
}

}  // namespace entente::respond
