// Severity model, measures catalogue and proportionality, on the shipped data files.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "entente/base/file.h"
#include "entente/respond/measures.h"
#include "entente/respond/severity.h"

namespace entente::respond {
namespace {

std::string DataPath(const char* name) {
  return std::string(ENTENTE_DATA_DIR) + "/respond/" + name;
}

const SeverityModel& Model() {
  static const SeverityModel m = [] {
    auto r = SeverityModel::Load(DataPath("severity.json"));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(r).value();
  }();
  return m;
}

const Catalogue& Measures() {
  static const Catalogue c = [] {
    auto r = Catalogue::Load(DataPath("measures.json"));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(r).value();
  }();
  return c;
}

// A NotPetya-like incident: destructive, state actor, many states, critical services.
constexpr const char* kSevere = R"json({
  "id": "incident--0b6a1f7e-5d4c-4b1e-9d7e-1f2a3b4c5d6e", "name": "wiper on logistics",
  "nciss": {"functional_impact": "denial_of_critical_services", "observed_activity": "effect",
            "location": "level6_critical_systems", "actor_characterization": "nation_state",
            "information_impact": "destruction_of_critical_system", "recoverability": "extended",
            "cross_sector_dependency": "high", "potential_impact": "very_high"},
  "significance": {"member_states_concerned": 12, "economic_loss_eur": 1000000000,
                   "critical_infrastructure": true},
  "external_origin": {"originates_outside_eu": true, "actor_outside_eu": true},
  "rsit": "availability/sabotage",
  "attribution": {"confidence": "moderate", "case_ref": "note--11111111-2222-4333-8444-555555555555",
                  "responsible": [{"name": "GTsST (Sandworm)", "ref": "intrusion-set--aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"}]}
})json";

Assessment AssessText(const std::string& text) {
  auto f = ParseIncident(text);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  auto a = Model().Assess(*f);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return *a;
}

TEST(Severity, ModelHasEightCategoriesAndSixLevels) {
  EXPECT_EQ(Model().categories().size(), 8u);
  EXPECT_EQ(Model().levels().size(), 6u);
  EXPECT_EQ(Model().LevelName(5), "Emergency");
  int weights = 0;
  for (const auto& c : Model().categories()) weights += c.weight;
  EXPECT_EQ(weights, 100);
}

TEST(Severity, SevereIncidentScoresAndClassifies) {
  Assessment a = AssessText(kSevere);
  // 20*100 + 10*100 + 10*85 + 15*100 + 15*100 + 10*70 + 10*100 + 10*100 = 9550 / 100.
  EXPECT_EQ(a.score, 95);
  EXPECT_EQ(a.level, 5);
  EXPECT_EQ(a.level_name, "Emergency");
  EXPECT_TRUE(a.significant);
  EXPECT_EQ(a.significance_met,
            (std::vector<std::string>{"disruption", "member_states_concerned", "economic_loss_eur",
                                      "critical_infrastructure"}));
  EXPECT_TRUE(a.external);
  EXPECT_EQ(a.rsit_class, "availability");
  EXPECT_EQ(a.confidence, Confidence::kModerate);
}

TEST(Severity, DefaultsGiveABaselineIncident) {
  // All defaults: 10*20 (prepare) + 10*50 (unknown location) + 15*40 (unknown actor) = 1300.
  Assessment a = AssessText(R"({"id":"x"})");
  EXPECT_EQ(a.score, 13);
  EXPECT_EQ(a.level, 0);
  EXPECT_FALSE(a.significant);
  EXPECT_FALSE(a.external);
}

TEST(Severity, LevelBoundaryIsExact) {
  // Weighted sum exactly 2000 (score 20.00) is level 1; one point below is level 0.
  // prepare 200 + unknown location 500 + unknown actor 600 = 1300; add cross-sector "low"
  // (10*30 = 300) and potential "low" (10*25 = 250) = 1850; recoverability "supplemented"
  // instead (400): 1300 + 400 + 300 = 2000.
  Assessment at =
      AssessText(R"({"nciss":{"recoverability":"supplemented","cross_sector_dependency":"low"}})");
  EXPECT_EQ(at.score, 20);
  EXPECT_EQ(at.level, 1);
  Assessment below =
      AssessText(R"({"nciss":{"cross_sector_dependency":"low","potential_impact":"low"}})");
  EXPECT_EQ(below.score, 18);
  EXPECT_EQ(below.level, 0);
}

TEST(Severity, RejectsUnknownCategoryOptionAndRsit) {
  auto f = ParseIncident(R"({"nciss":{"colour":"red"}})");
  ASSERT_TRUE(f.ok());
  auto a = Model().Assess(*f);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("colour"), std::string::npos);
  f = ParseIncident(R"({"nciss":{"recoverability":"eventually"}})");
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(Model().Assess(*f).ok());
  f = ParseIncident(R"({"rsit":"availability/phishing"})");
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(Model().Assess(*f).ok());
  EXPECT_FALSE(ParseIncident(R"({"rsit":"availability"})").ok());
  EXPECT_FALSE(ParseIncident(R"({"attribution":{"confidence":"certain"}})").ok());
  EXPECT_FALSE(ParseIncident(R"({"surprise":1})").ok());
}

TEST(Severity, ReadsTheAssessmentFromAStixBundle) {
  std::string bundle = std::string(
      R"({"type":"bundle","id":"bundle--6f0d2f3e-1d7a-4c5b-9e8f-0a1b2c3d4e5f","objects":[
    {"type":"identity","spec_version":"2.1","id":"identity--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","name":"x"},
    {"type":"incident","spec_version":"2.1","id":"incident--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
     "created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","name":"phishing wave",
     "x_entente_assessment":{"nciss":{"functional_impact":"no_impact_to_services"},"rsit":"fraud/phishing",
       "attribution":{"confidence":"low"}}}]})");
  auto f = ParseIncident(bundle);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->id, "incident--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
  EXPECT_EQ(f->name, "phishing wave");
  EXPECT_EQ(f->rsit_type, "phishing");
  EXPECT_EQ(ParseIncident(bundle, "incident--00000000-0000-4000-8000-000000000000").status().code(),
            ErrorCode::kNotFound);
}

TEST(SeverityModel, ValidationNamesTheFault) {
  auto text = ReadFileToString(DataPath("severity.json"));
  ASSERT_TRUE(text.ok());
  auto broken = *text;
  broken.replace(broken.find("\"weight\": 20"), 12, "\"weight\": 0");
  auto m = SeverityModel::Parse(broken);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("functional_impact"), std::string::npos);
  EXPECT_NE(m.status().message().find("weight"), std::string::npos);
  broken = *text;
  broken.replace(broken.find("\"min_score\": 35"), 15, "\"min_score\": 15");
  EXPECT_FALSE(SeverityModel::Parse(broken).ok());
}

TEST(Catalogue, ShippedCatalogueCoversTheFiveCategories) {
  for (auto cat : kCategories) {
    EXPECT_TRUE(std::any_of(Measures().measures().begin(), Measures().measures().end(),
                            [&](const Measure& m) { return m.category == cat; }))
        << cat;
  }
  const Measure* freeze = Measures().Find("asset-freeze");
  ASSERT_NE(freeze, nullptr);
  EXPECT_EQ(freeze->min_confidence, Confidence::kModerate);
  EXPECT_TRUE(freeze->needs_responsible_party);
}

struct Breakage {
  const char* from;
  const char* to;
  const char* expect;  // substring of the error
};

TEST(Catalogue, StrictValidationNamesMeasureAndField) {
  auto text = ReadFileToString(DataPath("measures.json"));
  ASSERT_TRUE(text.ok());
  const Breakage cases[] = {
      {R"("min_confidence": "moderate", "needs_responsible_party": true,
     "needs_significant_effect": true, "needs_external_origin": true,
     "legal_basis": "Council Decision (CFSP) 2019/797 Art. 4)",
       R"("min_confidence": "certain", "needs_responsible_party": true,
     "needs_significant_effect": true, "needs_external_origin": true,
     "legal_basis": "Council Decision (CFSP) 2019/797 Art. 4)",
       "measure 'travel-ban' field 'min_confidence'"},
      {R"("id": "demarche", "category": "cooperative")",
       R"("id": "demarche", "category": "punitive")", "measure 'demarche' field 'category'"},
      {R"("id": "demarche", "category": "cooperative")",
       R"("id": "demarche", "colour": "red", "category": "cooperative")",
       "measure 'demarche': unknown field \"colour\""},
      {R"("id": "eu-dialogue")", R"("id": "capacity-building")", "duplicate measure id"},
      {R"("duration_days": 90, "review_days": 90})", R"("duration_days": 90, "review_days": 91})",
       "measure 'demarche' field 'review_days'"},
      {R"("min_severity": 5,)", R"("min_severity": 6,)",
       "measure 'mutual-assistance-42-7' field 'min_severity'"},
      {R"("decision_rule": "qmv")", R"("decision_rule": "majority")",
       "measure 'technical-assistance' field 'decision_rule'"},
      {R"({"id": "support", "name": "Possible EU support to Member States' lawful responses"})",
       R"({"id": "support2", "name": "x"})", "category 'support2' field 'id'"},
  };
  for (const auto& b : cases) {
    std::string t = *text;
    auto pos = t.find(b.from);
    ASSERT_NE(pos, std::string::npos) << b.from;
    t.replace(pos, std::string_view(b.from).size(), b.to);
    auto c = Catalogue::Parse(t);
    ASSERT_FALSE(c.ok()) << b.expect;
    EXPECT_NE(c.status().message().find(b.expect), std::string::npos) << c.status().message();
  }
  // A restrictive measure without a named party is refused outright.
  std::string t = *text;
  auto pos = t.find(R"("id": "funds-ban")");
  pos = t.find("\"needs_responsible_party\": true", pos);
  t.replace(pos, 31, "\"needs_responsible_party\": false");
  auto c = Catalogue::Parse(t);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("measure 'funds-ban'"), std::string::npos);
}

std::vector<std::string> Ids(const std::vector<MeasureOption>& options, bool proportionate) {
  std::vector<std::string> out;
  for (const auto& o : options) {
    if (o.proportionate == proportionate) out.push_back(o.measure->id);
  }
  return out;
}

TEST(Options, SevereAttributedIncidentAllowsRestrictiveMeasures) {
  auto options = Options(Measures(), AssessText(kSevere));
  auto yes = Ids(options, true);
  EXPECT_NE(std::find(yes.begin(), yes.end(), "asset-freeze"), yes.end());
  EXPECT_NE(std::find(yes.begin(), yes.end(), "travel-ban"), yes.end());
  EXPECT_NE(std::find(yes.begin(), yes.end(), "hr-statement"), yes.end());
  EXPECT_EQ(Ids(options, false).size(), 0u);
}

TEST(Options, LowConfidenceSaysWhatIsMissing) {
  std::string text = kSevere;
  text.replace(text.find("\"moderate\""), 10, "\"low\"");
  auto options = Options(Measures(), AssessText(text));
  auto no = Ids(options, false);
  EXPECT_EQ(no, (std::vector<std::string>{"attribution-declaration", "travel-ban", "asset-freeze",
                                          "funds-ban", "mutual-assistance-42-7"}));
  for (const auto& o : options) {
    if (o.measure->id == "asset-freeze") {
      ASSERT_EQ(o.missing.size(), 1u);
      EXPECT_EQ(o.missing[0], "attribution confidence is low; restrictive measures need moderate");
    }
  }
  // A statement needs no attribution at all.
  auto yes = Ids(options, true);
  EXPECT_NE(std::find(yes.begin(), yes.end(), "hr-statement"), yes.end());
}

TEST(Options, UnattributedMinorIncidentGetsPreventiveOnly) {
  auto options = Options(Measures(), AssessText(R"({"id":"x"})"));
  EXPECT_EQ(Ids(options, true),
            (std::vector<std::string>{"capacity-building", "awareness-raising"}));
  for (const auto& o : options) {
    if (o.measure->id == "travel-ban") {
      EXPECT_EQ(o.missing.size(), 5u);
      EXPECT_EQ(o.missing[2],
                "no responsible person or entity is named; restrictive measures need one");
    }
  }
  auto j = OptionsToJson(options, AssessText(R"({"id":"x"})"));
  EXPECT_EQ(j.find("proportionate")->size(), 2u);
  EXPECT_EQ(j.find("proportionate")->array()[0].find("ends"), nullptr);
  // Adopted on 2026-11-23: capacity building runs 730 days and is reviewed after 365.
  auto dated =
      OptionsToJson(options, AssessText(R"({"id":"x"})"), *ParseTimestamp("2026-11-23T12:00:00Z"));
  const auto& first = dated.find("proportionate")->array()[0];
  EXPECT_EQ(first.find("id")->str(), "capacity-building");
  EXPECT_EQ(first.find("ends")->str(), "2028-11-22");
  EXPECT_EQ(first.find("review_by")->str(), "2027-11-23");
}

}  // namespace
}  // namespace entente::respond
