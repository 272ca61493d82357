#include "entente/respond/decision.h"

#include <algorithm>
#include <cstdio>

#include "entente/respond/common.h"

namespace entente::respond {

namespace {

constexpr std::size_t kMaxMembers = 64;
constexpr std::size_t kMaxPopulationFile = 256 * 1024;
constexpr std::size_t kMaxVotesFile = 64 * 1024;

bool IsIso2(std::string_view s) noexcept {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

// Percentage with 4 decimals of part / total, as text (exact enough for display; decisions use
// integer comparisons).
std::string Percent(std::int64_t part, std::int64_t total) {
  if (total <= 0) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f",
                100.0 * static_cast<double>(part) / static_cast<double>(total));
  return buf;
}

json::Value PercentValue(std::int64_t part, std::int64_t total) {
  return json::Value::NumberFromText(Percent(part, total));
}

}  // namespace

std::string_view RuleName(Rule rule) noexcept {
  switch (rule) {
    case Rule::kUnanimity:
      return "unanimity";
    case Rule::kQmv:
      return "qmv";
    case Rule::kRqmv:
      return "rqmv";
  }
  return "unanimity";
}

Result<Rule> ParseRule(std::string_view text) {
  for (Rule r : {Rule::kUnanimity, Rule::kQmv, Rule::kRqmv}) {
    if (text == RuleName(r)) return r;
  }
  return Status::InvalidArgument("decision rule: expected unanimity|qmv|rqmv, got \"" +
                                 std::string(text.substr(0, 40)) + "\"");
}

std::string_view ChoiceName(Choice c) noexcept {
  switch (c) {
    case Choice::kYes:
      return "yes";
    case Choice::kNo:
      return "no";
    case Choice::kAbstain:
      return "abstain";
    case Choice::kConstructive:
      return "constructive";
  }
  return "abstain";
}

Result<Choice> ParseChoice(std::string_view text, std::string_view where) {
  for (Choice c : {Choice::kYes, Choice::kNo, Choice::kAbstain, Choice::kConstructive}) {
    if (text == ChoiceName(c)) return c;
  }
  return Status::InvalidArgument(std::string(where) +
                                 ": expected yes|no|abstain|constructive, got \"" +
                                 std::string(text.substr(0, 40)) + "\"");
}

const PopulationTable::Member* PopulationTable::Find(std::string_view iso2) const noexcept {
  auto it = std::lower_bound(members.begin(), members.end(), iso2,
                             [](const Member& m, std::string_view k) { return m.iso2 < k; });
  return it != members.end() && it->iso2 == iso2 ? &*it : nullptr;
}

Result<PopulationTable> ParsePopulationTable(std::string_view text) {
  json::ParseLimits limits;
  limits.max_bytes = kMaxPopulationFile;
  limits.max_depth = 8;
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, limits).WithContext("population table"));
  json::Node root = doc.root();
  if (!root.is_object()) return Status::InvalidArgument("population table: expected an object");
  PopulationTable t;
  auto year = root["year"].as_int64();
  if (!year || *year < 1950 || *year > 2200) {
    return Status::InvalidArgument("population table: \"year\" must be an integer year");
  }
  t.year = static_cast<int>(*year);
  t.unit = std::string(root["unit"].str());
  if (t.unit != "persons" && t.unit != "basis_points") {
    return Status::InvalidArgument("population table: \"unit\" must be persons|basis_points");
  }
  auto total = root["total"].as_int64();
  if (!total || *total <= 0 || *total > (std::int64_t{1} << 40)) {
    return Status::InvalidArgument("population table: \"total\" must be a positive integer");
  }
  t.total = *total;
  json::Node ms = root["member_states"];
  if (!ms.is_array() || ms.size() == 0 || ms.size() > kMaxMembers) {
    return Status::InvalidArgument("population table: \"member_states\" must be an array of 1-64");
  }
  const char* weight_key = t.unit == "persons" ? "population" : "share_bp";
  std::int64_t sum = 0;
  std::size_t i = 0;
  for (auto [k, m] : ms) {
    (void)k;
    std::string where = "population table: member_states[" + std::to_string(i++) + "]";
    PopulationTable::Member member;
    member.iso2 = std::string(m["iso2"].str());
    if (!IsIso2(member.iso2)) return Status::InvalidArgument(where + ": bad \"iso2\"");
    member.name = std::string(m["name"].str().substr(0, 80));
    auto w = m[weight_key].as_int64();
    if (!w || *w <= 0 || *w > t.total) {
      return Status::InvalidArgument(where + " (" + member.iso2 + "): \"" + weight_key +
                                     "\" must be a positive integer not above the total");
    }
    member.weight = *w;
    sum += *w;
    t.members.push_back(std::move(member));
  }
  if (sum > t.total + t.total / 100) {
    return Status::InvalidArgument("population table: weights sum to " + std::to_string(sum) +
                                   ", more than 101 % of the total " + std::to_string(t.total));
  }
  std::sort(t.members.begin(), t.members.end(),
            [](const auto& a, const auto& b) { return a.iso2 < b.iso2; });
  for (std::size_t j = 1; j < t.members.size(); ++j) {
    if (t.members[j].iso2 == t.members[j - 1].iso2) {
      return Status::InvalidArgument("population table: duplicate member " + t.members[j].iso2);
    }
  }
  return t;
}

Result<PopulationTable> LoadPopulationTable(const std::string& path) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(path, kMaxPopulationFile));
  auto t = ParsePopulationTable(text);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

Result<Votes> ParseVotes(std::string_view text, const PopulationTable& table) {
  json::ParseLimits limits;
  limits.max_bytes = kMaxVotesFile;
  limits.max_depth = 4;
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, limits).WithContext("votes"));
  json::Node root = doc.root();
  if (!root.is_object()) {
    return Status::InvalidArgument("votes: expected an object mapping country codes to choices");
  }
  if (root.size() > kMaxMembers) return Status::LimitExceeded("votes: more than 64 entries");
  Votes votes;
  for (auto [code, v] : root) {
    std::string where = "votes." + std::string(code.substr(0, 16));
    if (!table.Find(code)) {
      return Status::InvalidArgument(where + ": not a member state in the " +
                                     std::to_string(table.year) + " population table");
    }
    if (!v.is_string()) return Status::InvalidArgument(where + ": expected a string");
    ENTENTE_ASSIGN_OR_RETURN(Choice c, ParseChoice(v.str(), where));
    votes.emplace(std::string(code), c);
  }
  return votes;
}

Outcome Decide(Rule rule, const Votes& votes, const PopulationTable& table) {
  Outcome o;
  o.rule = rule;
  o.members = static_cast<int>(table.members.size());
  o.pop_total = table.total;
  o.population_year = table.year;
  for (const auto& m : table.members) {
    auto it = votes.find(m.iso2);
    if (it == votes.end()) {
      ++o.absent;
      o.pop_absent += m.weight;
      continue;
    }
    switch (it->second) {
      case Choice::kYes:
        ++o.yes;
        o.pop_yes += m.weight;
        break;
      case Choice::kNo:
        ++o.no;
        o.pop_no += m.weight;
        break;
      case Choice::kAbstain:
        ++o.abstain;
        o.pop_abstain += m.weight;
        break;
      case Choice::kConstructive:
        ++o.constructive;
        o.pop_constructive += m.weight;
        break;
    }
  }
  const std::int64_t n = o.members;
  const std::int64_t total = table.total;
  auto met = [](bool b) { return b ? std::string(": met") : std::string(": not met"); };
  switch (rule) {
    case Rule::kUnanimity: {
      bool no_against = o.no == 0;
      bool some_yes = o.yes > 0;
      // "at least one third": 3 * part >= whole, exact in integers.
      bool states_third = 3 * static_cast<std::int64_t>(o.constructive) >= n;
      bool pop_third = 3 * o.pop_constructive >= total;
      bool blocked_by_abstention = states_third && pop_third;
      o.adopted = no_against && some_yes && !blocked_by_abstention;
      o.reasons.push_back("no member votes against (" + std::to_string(o.no) + " against)" +
                          met(no_against));
      o.reasons.push_back("at least one member votes in favour (" + std::to_string(o.yes) + ")" +
                          met(some_yes));
      o.reasons.push_back(
          "constructive abstainers " + std::to_string(o.constructive) + " >= 1/3 of " +
          std::to_string(n) + " members: " + (states_third ? "yes" : "no") + "; population " +
          Percent(o.pop_constructive, total) + " % >= 1/3: " + (pop_third ? "yes" : "no") +
          (blocked_by_abstention ? " -> not adopted (Art. 31(1) TEU)"
                                 : " -> abstention does not block"));
      break;
    }
    case Rule::kQmv: {
      bool states = 100 * static_cast<std::int64_t>(o.yes) >= 55 * n && o.yes >= 15;
      bool pop = 100 * o.pop_yes >= 65 * total;
      int not_in_favour = o.members - o.yes;
      bool deemed = !pop && not_in_favour < 4;
      o.adopted = states && (pop || deemed);
      o.reasons.push_back("members in favour " + std::to_string(o.yes) + " >= 55 % of " +
                          std::to_string(n) + " and >= 15" + met(states));
      o.reasons.push_back("population in favour " + Percent(o.pop_yes, total) + " % >= 65 %" +
                          met(pop));
      if (!pop) {
        o.reasons.push_back("blocking minority needs >= 4 members; members not in favour: " +
                            std::to_string(not_in_favour) +
                            (deemed ? " -> qualified majority deemed attained (Art. 16(4) TEU)"
                                    : " -> blocking minority formed"));
      }
      break;
    }
    case Rule::kRqmv: {
      bool states = 100 * static_cast<std::int64_t>(o.yes) >= 72 * n;
      bool pop = 100 * o.pop_yes >= 65 * total;
      o.adopted = states && pop;
      o.reasons.push_back("members in favour " + std::to_string(o.yes) + " >= 72 % of " +
                          std::to_string(n) + met(states));
      o.reasons.push_back("population in favour " + Percent(o.pop_yes, total) + " % >= 65 %" +
                          met(pop));
      break;
    }
  }
  return o;
}

json::Value Outcome::ToJson() const {
  json::Value v = json::Value::MakeObject();
  v.set("rule", RuleName(rule));
  v.set("adopted", adopted);
  v.set("members", members);
  json::Value counts = json::Value::MakeObject();
  counts.set("yes", yes);
  counts.set("no", no);
  counts.set("abstain", abstain);
  counts.set("constructive", constructive);
  counts.set("absent", absent);
  v.set("counts", std::move(counts));
  json::Value shares = json::Value::MakeObject();
  shares.set("yes", PercentValue(pop_yes, pop_total));
  shares.set("no", PercentValue(pop_no, pop_total));
  shares.set("abstain", PercentValue(pop_abstain, pop_total));
  shares.set("constructive", PercentValue(pop_constructive, pop_total));
  shares.set("absent", PercentValue(pop_absent, pop_total));
  v.set("population_share", std::move(shares));
  v.set("population_year", population_year);
  json::Value th = json::Value::MakeObject();
  switch (rule) {
    case Rule::kUnanimity:
      th.set("constructive_states_fraction", "1/3");
      th.set("constructive_population_fraction", "1/3");
      break;
    case Rule::kQmv:
      th.set("states_percent", 55);
      th.set("states_min", 15);
      th.set("population_percent", 65);
      th.set("blocking_minority_min_states", 4);
      break;
    case Rule::kRqmv:
      th.set("states_percent", 72);
      th.set("population_percent", 65);
      break;
  }
  v.set("thresholds", std::move(th));
  json::Value rs = json::Value::MakeArray();
  for (const auto& r : reasons) rs.push_back(r);
  v.set("reasons", std::move(rs));
  return v;
}

}  // namespace entente::respond
