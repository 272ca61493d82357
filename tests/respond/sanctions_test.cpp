// The sanctions register on the real EU cyber listings 2020-2025: loading, FSF-shaped XML and
// STIX export, and screening across scripts, word orders and typos.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "entente/respond/sanctions.h"
#include "entente/stix/validate.h"

namespace entente::respond {
namespace {

const Register& Real() {
  static const Register r = [] {
    auto x = Register::Load(std::string(ENTENTE_DATA_DIR) + "/respond/eu-cyber-listings.json");
    EXPECT_TRUE(x.ok()) << x.status().ToString();
    return std::move(x).value();
  }();
  return r;
}

const Listing* ByName(std::string_view needle) {
  for (const auto& l : Real().listings()) {
    if (l.name.find(needle) != std::string::npos) return &l;
  }
  return nullptr;
}

std::size_t Count(const std::string& hay, std::string_view needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

TEST(Register, LoadsSeventeenPersonsAndFourEntities) {
  const auto& ls = Real().listings();
  ASSERT_EQ(ls.size(), 21u);
  EXPECT_EQ(
      std::count_if(ls.begin(), ls.end(), [](const Listing& l) { return l.type == "person"; }), 17);
  const Listing* badin = ByName("BADIN");
  ASSERT_NE(badin, nullptr);
  EXPECT_EQ(badin->date_listed, "2020-10-22");
  EXPECT_EQ(badin->review_date, "2026-05-18");
  EXPECT_EQ(badin->status, "active");
  EXPECT_NE(badin->linked_operation.find("Bundestag"), std::string::npos);
  ASSERT_FALSE(badin->legal_acts.empty());
  EXPECT_NE(badin->legal_acts[0].find("2020/1536"), std::string::npos);
  EXPECT_EQ(ls[0].id, "CYB-0001");
}

TEST(Register, DerivesAliasesFromParentheses) {
  const Listing* shev = ByName("SHEVCHENKO");
  ASSERT_NE(shev, nullptr);
  EXPECT_NE(std::find(shev->aliases.begin(), shev->aliases.end(), "Vitaliy SHEVCHENKO"),
            shev->aliases.end());
  EXPECT_NE(std::find(shev->aliases.begin(), shev->aliases.end(), "Vitaly SHEVCHENKO"),
            shev->aliases.end());
  const Listing* haitai = ByName("Tianjin");
  ASSERT_NE(haitai, nullptr);
  EXPECT_NE(std::find(haitai->aliases.begin(), haitai->aliases.end(), "Huaying Haitai"),
            haitai->aliases.end());
}

TEST(Register, RejectsBadListings) {
  EXPECT_FALSE(
      Register::Parse(R"({"listings":[{"name":"X","type":"ship","date_listed":"2020-01-01"}]})")
          .ok());
  EXPECT_FALSE(
      Register::Parse(R"({"listings":[{"name":"X","type":"person","date_listed":"1.1.2020"}]})")
          .ok());
  auto r = Register::Parse(
      R"({"listings":[{"name":"X","type":"person","date_listed":"2020-01-01","hair":"red"}]})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("hair"), std::string::npos);
  EXPECT_FALSE(Register::Parse(R"({"listings":{}})").ok());
  // Unbalanced parentheses (found by fuzzing) give a listing, not a crash.
  auto odd = Register::Parse(
      R"({"listings":[{"name":"A(WWW","type":"person","date_listed":"2020-01-01"},
                      {"name":"B) C (D","type":"person","date_listed":"2020-01-01"}]})");
  ASSERT_TRUE(odd.ok()) << odd.status().ToString();
  EXPECT_EQ(odd->listings().size(), 2u);
}

TEST(Register, ExportsFsfShapedXml) {
  std::string xml = Real().ExportFsf("2026-11-23T00:00:00Z");
  EXPECT_NE(xml.find("<export xmlns=\"http://eu.europa.ec/fpi/fsd/export\""), std::string::npos);
  EXPECT_EQ(Count(xml, "<sanctionEntity "), 21u);
  EXPECT_EQ(Count(xml, "</sanctionEntity>"), 21u);
  EXPECT_EQ(Count(xml, "classificationCode=\"P\""), 17u);
  EXPECT_EQ(Count(xml, "classificationCode=\"E\""), 4u);
  EXPECT_EQ(Count(xml, "programme=\"CYB\""), Count(xml, "<regulation "));
  EXPECT_NE(xml.find("numberTitle=\"2020/1125 (OJ L 246)\""), std::string::npos);
  // The amending Decision's own number is not known: its text is kept, not "2019/797".
  EXPECT_EQ(xml.find("numberTitle=\"2019/797"), std::string::npos);
  EXPECT_NE(xml.find("lastName=\"BADIN\""), std::string::npos);
  EXPECT_NE(xml.find("firstName=\"Dmitry Sergeyevich\""), std::string::npos);
  EXPECT_NE(xml.find("countryIso2Code=\"00\" countryDescription=\"UNKNOWN\""), std::string::npos);
  EXPECT_NE(xml.find("designationDate=\"2025-01-27\""), std::string::npos);
  // Escaping: quotes inside names and reasons never break an attribute.
  Register r;
  Listing l;
  l.type = "entity";
  l.name = "A \"quoted\" <name> & co";
  l.date_listed = "2020-01-01";
  r.Add(l);
  std::string x = r.ExportFsf("2026-11-23T00:00:00Z");
  EXPECT_NE(x.find("wholeName=\"A &quot;quoted&quot; &lt;name&gt; &amp; co\""), std::string::npos);
}

TEST(Register, ExportsValidStix) {
  json::Value bundle = Real().ExportStix(*ParseTimestamp("2026-11-23T00:00:00Z"));
  std::string text = bundle.Serialize();
  json::Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  stix::Validator validator;
  std::size_t identities = 0, actors = 0, rels = 0;
  std::vector<std::string> ids;
  for (auto [k, o] : doc.root()["objects"]) {
    (void)k;
    Status s = validator.Check(o);
    EXPECT_TRUE(s.ok()) << s.ToString();
    ids.emplace_back(o["id"].str());
    if (o["type"].str() == "identity") ++identities;
    if (o["type"].str() == "threat-actor") ++actors;
    if (o["type"].str() == "relationship") {
      ++rels;
      EXPECT_EQ(o["relationship_type"].str(), "attributed-to");
    }
  }
  EXPECT_EQ(identities, 21u);
  EXPECT_GE(actors, 7u);
  EXPECT_EQ(rels, 21u);
  for (auto [k, o] : doc.root()["objects"]) {
    (void)k;
    if (o["type"].str() != "relationship") continue;
    EXPECT_NE(std::find(ids.begin(), ids.end(), o["target_ref"].str()), ids.end());
  }
  // Stable ids between exports.
  json::Value again = Real().ExportStix(*ParseTimestamp("2026-11-23T00:00:00Z"));
  EXPECT_EQ(again.find("objects")->array()[0].find("id")->str(),
            bundle.find("objects")->array()[0].find("id")->str());
}

TEST(Normalize, TransliteratesAndFolds) {
  EXPECT_EQ(NormalizeName("Dmitry Sergeyevich BADIN"), "dmitri sergeievich badin");
  EXPECT_EQ(NormalizeName("Дмитрий Сергеевич Бадин"), "dmitri sergevich badin");
  EXPECT_EQ(NormalizeName("Αλέξης Τσίπρας"), "aleksis tsipras");
  EXPECT_EQ(NormalizeName("Józef  Piłsudski-Łukasz"), "iozef pilsudski lukasz");
  EXPECT_EQ(NormalizeName("Yevgeniy"), NormalizeName("Evgenii"));
  EXPECT_EQ(NormalizeName("Alexey"), NormalizeName("Aleksei"));
  EXPECT_EQ(NormalizeName("O'Brien"), "obrien");
  EXPECT_EQ(NormalizeName("\xff\xfe bad"), "bad");
  EXPECT_EQ(NormalizeName(""), "");
}

std::string TopName(const Screener& s, std::string_view query) {
  auto m = s.Screen(query, 3, 0.6);
  return m.empty() ? std::string() : Real().listings()[m[0].listing].name;
}

TEST(Screen, FindsListedPartiesAcrossScriptsOrderAndTypos) {
  Screener s(Real());
  EXPECT_EQ(TopName(s, "Dmitry Sergeyevich BADIN"), "Dmitry Sergeyevich BADIN");
  EXPECT_EQ(TopName(s, "badin dmitry"), "Dmitry Sergeyevich BADIN");
  EXPECT_EQ(TopName(s, "Дмитрий Бадин"), "Dmitry Sergeyevich BADIN");
  EXPECT_EQ(TopName(s, "Dmitri Badim"), "Dmitry Sergeyevich BADIN");
  EXPECT_EQ(TopName(s, "Yevgeny Serebryakov"), "Evgenii Mikhaylovich SEREBRIAKOV");
  EXPECT_EQ(TopName(s, "Алексей Минин"), "Alexey Valeryevich MININ");
  EXPECT_EQ(TopName(s, "Vitaliy Shevchenko"), "Vitaly (Vitaliy) SHEVCHENKO");
  EXPECT_EQ(TopName(s, "Олександр Склянко"), "Oleksandr SKLIANKO");
  EXPECT_EQ(TopName(s, "chosun expo"), "Chosun Expo");
  EXPECT_EQ(TopName(s, "Huaying Haitai"),
            "Tianjin Huaying Haitai Science and Technology Development Co. Ltd (Huaying Haitai)");
  auto exact = s.Screen("Dmitry Sergeyevich BADIN");
  ASSERT_FALSE(exact.empty());
  EXPECT_DOUBLE_EQ(exact[0].score, 1.0);
  auto typo = s.Screen("Dmitri Badim");
  ASSERT_FALSE(typo.empty());
  EXPECT_LT(typo[0].score, exact[0].score);
}

TEST(Screen, UnrelatedNamesDoNotMatch) {
  Screener s(Real());
  EXPECT_TRUE(s.Screen("John Smith").empty());
  EXPECT_TRUE(s.Screen("Maria Garcia Lopez").empty());
  EXPECT_TRUE(s.Screen("").empty());
  EXPECT_TRUE(s.Screen("!!! ???").empty());
  std::string huge(10000, 'a');
  EXPECT_TRUE(s.Screen(huge).empty());
}

}  // namespace
}  // namespace entente::respond
