// A proposal's life on a node: opening it against the measures catalogue, replaying the signed
// votes a node holds into a ballot box, and the vote board the officials look at.
//
// A node keeps proposals and votes as ordinary STIX objects in its store (they travel between
// nodes like any other object, and every stored version is a transparency-log leaf). Nothing is
// trusted because it is stored: the board is recomputed from the signed objects each time, with
// the same rules as TallySignedVotes, so any node (or anyone with the votes and the trust list)
// reaches the same outcome. All functions are reentrant.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/base/time.h"
#include "entente/respond/ballot.h"
#include "entente/respond/decision.h"
#include "entente/respond/measures.h"

namespace entente::respond {

// Checks `fields` against the catalogue and opens the proposal (NewProposal): the measure must
// exist; the rule is `rule` if given, else the measure's; the attribution confidence must reach
// the measure's minimum and a measure that needs a responsible party needs a target. Errors are
// kNotFound (unknown measure) or kInvalidArgument naming what is missing.
Result<Proposal> OpenProposal(const Catalogue& catalogue, Proposal fields, std::optional<Rule> rule,
                              Timestamp now);

// The votes of one proposal replayed in (created, sequence) order, each cast at its own
// created time; refused votes are listed "<vote id>: <reason>" and do not count.
struct Replay {
  BallotBox box;
  int accepted = 0;
  std::vector<std::string> rejected;
};
// `votes` are vote objects' JSON texts (any order; votes for other proposals are skipped
// without being listed). The returned box refers to `trust`, which must outlive it.
Replay ReplayVotes(const Proposal& proposal, const TrustList& trust,
                   const std::vector<std::string>& votes);

// The board: one row per member of `table`, in the table's order:
//   {"state","name","population_share" (percent, 4 decimals),"choice" ("none" if the state has
//    not voted),"declaration","created","sequence","vote_ref"}
json::Value VoteBoard(const BallotBox& box, const PopulationTable& table);

// Everything the API answers about one proposal:
//   {"proposal": <the signed object>, "open": now < deadline, "outcome": Outcome::ToJson(),
//    "votes": [the latest accepted vote object per state], "board": VoteBoard(...),
//    "rejected_votes": [...]}
// `proposal_json` is the stored signed proposal; `vote_texts` the stored votes' texts.
json::Value ProposalStatus(std::string_view proposal_json, const Replay& replay,
                           const std::vector<std::string>& vote_texts, const PopulationTable& table,
                           Timestamp now);

}  // namespace entente::respond
