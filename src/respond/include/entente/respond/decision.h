// Council decision rules, computed exactly in integers.
//
//   kUnanimity  Art. 31(1) TEU: adopted when no member votes against and at least one votes in
//               favour; abstentions (and absences) do not prevent adoption. Constructive
//               abstention: not adopted if the members abstaining with a formal declaration
//               make up at least one third of the members AND at least one third of the
//               population.
//   kQmv        Art. 16(4) TEU: at least 55 % of the members, and at least 15, in favour,
//               representing at least 65 % of the population. A blocking minority must include
//               at least 4 members, failing which the qualified majority is deemed attained: so
//               if the population criterion fails but fewer than 4 members did not vote in
//               favour, the proposal is adopted.
//   kRqmv       Art. 238(2) TFEU (Council not acting on a proposal of the Commission or the High
//               Representative): at least 72 % of the members representing at least 65 % of the
//               population. No blocking-minority clause applies.
// Absent members count as not voting: under QMV and RQMV that is the same as not voting in
// favour. Population shares come from a PopulationTable (data/respond/population-2025.json by
// default: the 2025 figures; docs/RESPOND.md says what is verified).
// All functions are pure and reentrant.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"

namespace entente::respond {

enum class Rule : std::uint8_t { kUnanimity, kQmv, kRqmv };
std::string_view RuleName(Rule rule) noexcept;  // "unanimity", "qmv", "rqmv"
Result<Rule> ParseRule(std::string_view text);

enum class Choice : std::uint8_t { kYes, kNo, kAbstain, kConstructive };
std::string_view ChoiceName(Choice c) noexcept;  // "yes", "no", "abstain", "constructive"
Result<Choice> ParseChoice(std::string_view text, std::string_view where);

// Member states and their population weights. Weights are integers in `unit` (persons, or basis
// points of the EU population); a member's share is weight / total.
struct PopulationTable {
  struct Member {
    std::string iso2;
    std::string name;
    std::int64_t weight = 0;
  };
  int year = 0;
  std::string unit;             // "persons" or "basis_points"
  std::int64_t total = 0;       // the denominator of shares
  std::vector<Member> members;  // sorted by iso2

  const Member* Find(std::string_view iso2) const noexcept;
};

// Parses a population file ({"year", "unit", "total", "member_states": [{iso2, name,
// share_bp | population}]}). Rejects duplicates, bad codes, non-positive weights, more than 64
// members, and weights summing to more than 101 % of the total.
Result<PopulationTable> ParsePopulationTable(std::string_view text);
Result<PopulationTable> LoadPopulationTable(const std::string& path);

// One state's vote.
using Votes = std::map<std::string, Choice>;  // iso2 -> choice

// Parses VOTES.json: an object mapping ISO codes to "yes" / "no" / "abstain" / "constructive".
// Every code must be a member of `table`; at most 64 entries, 64 KiB.
Result<Votes> ParseVotes(std::string_view text, const PopulationTable& table);

struct Outcome {
  Rule rule = Rule::kUnanimity;
  bool adopted = false;
  int members = 0;
  int yes = 0, no = 0, abstain = 0, constructive = 0, absent = 0;
  // Population weights (in the table's unit) per group; shares are weight / table.total.
  std::int64_t pop_yes = 0, pop_no = 0, pop_abstain = 0, pop_constructive = 0, pop_absent = 0;
  std::int64_t pop_total = 0;
  int population_year = 0;
  // Each criterion checked, in words ("yes states 15 >= 55 % of 27 (14.85): met").
  std::vector<std::string> reasons;

  // {"rule","adopted","members","counts":{...},"population_share":{...}, "population_year",
  //  "thresholds":{...},"reasons":[...]}. Shares are percentages with 4 decimals.
  json::Value ToJson() const;
};

Outcome Decide(Rule rule, const Votes& votes, const PopulationTable& table);

}  // namespace entente::respond
