// Council decision rules, hand-checked at the thresholds with the 2025 population shares
// (basis points of the EU population; data/respond/population-2025.json).
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "entente/respond/decision.h"

namespace entente::respond {
namespace {

const PopulationTable& Table2025() {
  static const PopulationTable t = [] {
    auto r = LoadPopulationTable(std::string(ENTENTE_DATA_DIR) + "/respond/population-2025.json");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(r).value();
  }();
  return t;
}

Votes All(Choice c) {
  Votes v;
  for (const auto& m : Table2025().members) v[m.iso2] = c;
  return v;
}

Votes Set(Votes v, std::initializer_list<const char*> codes, Choice c) {
  for (const char* code : codes) v[code] = c;
  return v;
}

TEST(PopulationTable, Loads2025Figures) {
  const auto& t = Table2025();
  EXPECT_EQ(t.year, 2025);
  EXPECT_EQ(t.members.size(), 27u);
  ASSERT_NE(t.Find("DE"), nullptr);
  EXPECT_EQ(t.Find("DE")->weight, 1849);
  EXPECT_EQ(t.Find("MT")->weight, 12);
  EXPECT_EQ(t.Find("XX"), nullptr);
}

TEST(PopulationTable, RejectsDuplicatesAndBadWeights) {
  EXPECT_FALSE(ParsePopulationTable(R"({"year":2025,"unit":"basis_points","total":10000,
      "member_states":[{"iso2":"DE","share_bp":10},{"iso2":"DE","share_bp":10}]})")
                   .ok());
  EXPECT_FALSE(ParsePopulationTable(R"({"year":2025,"unit":"basis_points","total":10000,
      "member_states":[{"iso2":"DE","share_bp":-1}]})")
                   .ok());
  EXPECT_FALSE(ParsePopulationTable(R"({"year":2025,"unit":"basis_points","total":100,
      "member_states":[{"iso2":"DE","share_bp":90},{"iso2":"FR","share_bp":90}]})")
                   .ok());
  EXPECT_FALSE(ParsePopulationTable(R"({"year":2025,"unit":"furlongs","total":100,
      "member_states":[{"iso2":"DE","share_bp":90}]})")
                   .ok());
}

TEST(Votes, ParsesAndRejects) {
  auto v = ParseVotes(R"({"DE":"yes","FR":"constructive","MT":"abstain","IE":"no"})", Table2025());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->at("FR"), Choice::kConstructive);
  auto bad = ParseVotes(R"({"US":"yes"})", Table2025());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("US"), std::string::npos);
  EXPECT_FALSE(ParseVotes(R"({"DE":"maybe"})", Table2025()).ok());
  EXPECT_FALSE(ParseVotes(R"({"DE":1})", Table2025()).ok());
  EXPECT_FALSE(ParseVotes(R"(["DE"])", Table2025()).ok());
  EXPECT_FALSE(ParseVotes(R"({"DE":"yes","DE":"no"})", Table2025()).ok());  // duplicate key
}

TEST(Unanimity, AllYesAdoptedOneNoBlocks) {
  EXPECT_TRUE(Decide(Rule::kUnanimity, All(Choice::kYes), Table2025()).adopted);
  auto o = Decide(Rule::kUnanimity, Set(All(Choice::kYes), {"MT"}, Choice::kNo), Table2025());
  EXPECT_FALSE(o.adopted);
  EXPECT_EQ(o.no, 1);
}

TEST(Unanimity, AbstentionAndAbsenceDoNotBlock) {
  Votes v = Set(All(Choice::kYes), {"DE", "FR", "IT"}, Choice::kAbstain);
  v.erase("PL");
  auto o = Decide(Rule::kUnanimity, v, Table2025());
  EXPECT_TRUE(o.adopted);
  EXPECT_EQ(o.abstain, 3);
  EXPECT_EQ(o.absent, 1);
  EXPECT_EQ(o.yes, 23);
  // Nobody in favour: nothing is adopted.
  EXPECT_FALSE(Decide(Rule::kUnanimity, All(Choice::kAbstain), Table2025()).adopted);
  EXPECT_FALSE(Decide(Rule::kUnanimity, Votes{}, Table2025()).adopted);
}

TEST(Unanimity, ConstructiveAbstentionAtOneThirdOfStatesAndPopulation) {
  // 9 of 27 states with 33.34 % of the population: 3*9 >= 27 and 3*3334 >= 10000 -> blocked.
  auto blocked =
      Decide(Rule::kUnanimity,
             Set(All(Choice::kYes), {"AT", "BE", "BG", "CZ", "DE", "IE", "PT", "SE", "SI"},
                 Choice::kConstructive),
             Table2025());
  EXPECT_EQ(blocked.constructive, 9);
  EXPECT_EQ(blocked.pop_constructive, 3334);
  EXPECT_FALSE(blocked.adopted);
  // 9 states with 33.33 %: below one third of the population -> adopted.
  auto passes =
      Decide(Rule::kUnanimity,
             Set(All(Choice::kYes), {"BG", "CZ", "DK", "FR", "LT", "PL", "SE", "SI", "SK"},
                 Choice::kConstructive),
             Table2025());
  EXPECT_EQ(passes.pop_constructive, 3333);
  EXPECT_TRUE(passes.adopted);
  // 8 states with far more than a third of the population: below a third of the states.
  auto eight = Decide(Rule::kUnanimity,
                      Set(All(Choice::kYes), {"DE", "FR", "IT", "ES", "PL", "RO", "NL", "BE"},
                          Choice::kConstructive),
                      Table2025());
  EXPECT_GT(eight.pop_constructive * 3, 10000);
  EXPECT_TRUE(eight.adopted);
}

TEST(Qmv, PopulationThresholdExactly65Percent) {
  // 15 states with exactly 65.00 %: adopted; another 15 with 64.99 %: not adopted (12 states
  // do not vote in favour, enough for a blocking minority).
  Votes at = Set(
      Votes{},
      {"AT", "BE", "BG", "CY", "DE", "ES", "FI", "FR", "IE", "LT", "LU", "NL", "RO", "SE", "SI"},
      Choice::kYes);
  auto o = Decide(Rule::kQmv, at, Table2025());
  EXPECT_EQ(o.yes, 15);
  EXPECT_EQ(o.pop_yes, 6500);
  EXPECT_TRUE(o.adopted);
  Votes below = Set(
      Votes{},
      {"AT", "CZ", "DE", "DK", "EE", "FI", "FR", "GR", "HR", "HU", "IT", "LT", "LU", "RO", "SI"},
      Choice::kYes);
  auto p = Decide(Rule::kQmv, below, Table2025());
  EXPECT_EQ(p.pop_yes, 6499);
  EXPECT_FALSE(p.adopted);
}

TEST(Qmv, FifteenStatesNeeded) {
  // The 14 largest states hold 90.44 % of the population but are only 14 members (< 55 %).
  Votes v = Set(
      Votes{}, {"DE", "FR", "IT", "ES", "PL", "RO", "NL", "BE", "CZ", "PT", "SE", "GR", "HU", "AT"},
      Choice::kYes);
  auto o = Decide(Rule::kQmv, v, Table2025());
  EXPECT_EQ(o.yes, 14);
  EXPECT_FALSE(o.adopted);
  v["BG"] = Choice::kYes;
  EXPECT_TRUE(Decide(Rule::kQmv, v, Table2025()).adopted);
}

TEST(Qmv, BlockingMinorityNeedsFourStates) {
  // DE, FR and IT against: yes population 54.12 % < 65 %, but three states cannot block.
  Votes three = Set(All(Choice::kYes), {"DE", "FR", "IT"}, Choice::kNo);
  auto o = Decide(Rule::kQmv, three, Table2025());
  EXPECT_LT(o.pop_yes * 100, 65 * 10000);
  EXPECT_TRUE(o.adopted);
  // Add Malta: four states form a blocking minority.
  Votes four = Set(three, {"MT"}, Choice::kNo);
  EXPECT_FALSE(Decide(Rule::kQmv, four, Table2025()).adopted);
  // An abstention counts as not in favour: three against and one abstaining also block.
  Votes mixed = Set(three, {"MT"}, Choice::kAbstain);
  EXPECT_FALSE(Decide(Rule::kQmv, mixed, Table2025()).adopted);
  // And so does an absent state.
  Votes absent = three;
  absent.erase("MT");
  EXPECT_FALSE(Decide(Rule::kQmv, absent, Table2025()).adopted);
}

TEST(Rqmv, SeventyTwoPercentOfStates) {
  // 72 % of 27 = 19.44: 19 states are not enough even with 96 % of the population; 20 are.
  Votes v = Set(All(Choice::kNo),
                {"DE", "FR", "IT", "ES", "PL", "RO", "NL", "BE", "CZ", "PT", "SE", "GR", "HU", "AT",
                 "BG", "DK", "FI", "SK", "IE"},
                Choice::kYes);
  auto o = Decide(Rule::kRqmv, v, Table2025());
  EXPECT_EQ(o.yes, 19);
  EXPECT_FALSE(o.adopted);
  EXPECT_TRUE(Decide(Rule::kQmv, v, Table2025()).adopted);  // plain QMV would pass
  v["HR"] = Choice::kYes;
  EXPECT_TRUE(Decide(Rule::kRqmv, v, Table2025()).adopted);
}

TEST(Rqmv, PopulationStillNeededAndNoBlockingMinorityClause) {
  // 24 states in favour but DE, FR and IT against: 54.12 % population. QMV deems it attained
  // (only three against); RQMV has no such clause.
  Votes v = Set(All(Choice::kYes), {"DE", "FR", "IT"}, Choice::kNo);
  EXPECT_TRUE(Decide(Rule::kQmv, v, Table2025()).adopted);
  EXPECT_FALSE(Decide(Rule::kRqmv, v, Table2025()).adopted);
}

TEST(Outcome, JsonCarriesCountsAndShares) {
  Votes v = Set(All(Choice::kYes), {"DE"}, Choice::kNo);
  v.erase("MT");
  auto j = Decide(Rule::kQmv, v, Table2025()).ToJson();
  EXPECT_TRUE(j.find("adopted")->boolean());
  EXPECT_EQ(j.find("counts")->find("yes")->as_int64(), 25);
  EXPECT_EQ(j.find("counts")->find("absent")->as_int64(), 1);
  EXPECT_EQ(j.find("population_share")->find("no")->str(), "18.4900");
  EXPECT_EQ(j.find("population_year")->as_int64(), 2025);
}

TEST(Population2024, AbsoluteFiguresWork) {
  auto t = LoadPopulationTable(std::string(ENTENTE_DATA_DIR) +
                               "/respond/population-2024-unverified.json");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->unit, "persons");
  EXPECT_EQ(t->total, 448387872);
  // Same blocking-minority case with persons instead of basis points.
  Votes v;
  for (const auto& m : t->members) v[m.iso2] = Choice::kYes;
  for (const char* c : {"DE", "FR", "IT", "MT"}) v[c] = Choice::kNo;
  auto o = Decide(Rule::kQmv, v, *t);
  EXPECT_FALSE(o.adopted);
  EXPECT_EQ(o.pop_no, 84358845 + 68070697 + 58850717 + 542051);
}

}  // namespace
}  // namespace entente::respond
