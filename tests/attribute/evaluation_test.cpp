#include <gtest/gtest.h>

#include <algorithm>

#include "entente/attribute/evaluation.h"
#include "test_kb.h"

namespace entente::attribute {
namespace {

using testing::AttackKb;

TEST(Evaluation, HeldOutItemsNeverReachTheProfile) {
  const KnowledgeBase& kb = AttackKb();
  auto cases = MakeHoldoutCases(kb, HoldoutOptions::Strict(), 7);
  ASSERT_GT(cases.size(), 100u);
  for (const auto& c : cases) {
    for (const auto& e : c.evidence.items) {
      const auto& kept =
          e.kind == EvidenceKind::kTechnique ? c.reduced.techniques : c.reduced.software;
      EXPECT_FALSE(std::binary_search(kept.begin(), kept.end(), e.index));
    }
    EXPECT_LT(c.reduced.techniques.size(), kb.groups()[c.group].techniques.size());
  }
  // Same seed, same cases; another seed, other cases.
  auto again = MakeHoldoutCases(kb, HoldoutOptions::Strict(), 7);
  auto other = MakeHoldoutCases(kb, HoldoutOptions::Strict(), 8);
  ASSERT_EQ(again.size(), cases.size());
  EXPECT_EQ(again[0].reduced.techniques, cases[0].reduced.techniques);
  EXPECT_NE(other[0].reduced.techniques, cases[0].reduced.techniques);
}

TEST(Evaluation, SplitsGroupsIntoDisjointHalves) {
  std::vector<std::uint32_t> tune, test;
  SplitGroups(AttackKb(), HoldoutOptions::Noisy(), tune, test);
  EXPECT_GT(tune.size(), 50u);
  EXPECT_GT(test.size(), 50u);
  for (auto g : tune) EXPECT_EQ(std::count(test.begin(), test.end(), g), 0);
}

TEST(Evaluation, EngineBeatsTfIdfOnAFixedSeed) {
  const KnowledgeBase& kb = AttackKb();
  auto model = Model::FromFile(std::string(ENTENTE_DATA_DIR) + "/attribute/model.json");
  ASSERT_TRUE(model.ok());
  std::vector<std::uint32_t> tune, test;
  SplitGroups(kb, HoldoutOptions::Noisy(), tune, test);
  auto cases = MakeHoldoutCases(kb, HoldoutOptions::Noisy(), 102, &test);
  EvalMetrics engine = Summarise(EvaluateEngine(kb, *model, cases));
  EvalMetrics tfidf = Summarise(EvaluateTfIdf(kb, cases));
  EXPECT_GT(engine.mrr, tfidf.mrr);
  EXPECT_GE(engine.top1, tfidf.top1);
  EXPECT_GT(engine.top5, tfidf.top5);
  // "High" must be right at least 90 % of the time.
  ASSERT_GT(engine.high, 10u);
  EXPECT_GE(static_cast<double>(engine.high_correct), 0.9 * static_cast<double>(engine.high));
}

TEST(Evaluation, CalibrationFindsThePrecisionThreshold) {
  std::vector<ScoredCase> scored;
  for (int i = 0; i < 100; ++i) {
    ScoredCase s;
    s.top_posterior = i / 100.0;
    s.rank = i >= 50 ? 1 : (i % 2 ? 1 : 2);  // above 0.5 always right, below half right
    scored.push_back(s);
  }
  Calibration cal = CalibrateThresholds(scored, 0.95, 0.7, 10, Calibration{});
  EXPECT_NEAR(cal.high, 0.41, 0.06);
  EXPECT_LE(cal.moderate, cal.high);
}

}  // namespace
}  // namespace entente::attribute
