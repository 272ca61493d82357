#include "entente/stix/validate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "entente/stix/markings.h"
#include "test_util.h"

namespace entente::stix {
namespace {

using json::Document;
using json::Value;

std::vector<std::string> ExampleFiles() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           DataPath("stix/stix2-json-schemas/examples"))) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every object of every OASIS example bundle.
std::vector<Value> ExampleObjects() {
  std::vector<Value> out;
  for (const auto& f : ExampleFiles()) {
    auto bundle = Value::Parse(ReadFileOrDie(f));
    if (!bundle.ok()) throw std::runtime_error(f + ": " + bundle.status().ToString());
    if (const Value* objects = bundle->find("objects")) {
      for (const auto& o : objects->array()) out.push_back(o);
    } else {
      out.push_back(*bundle);  // interop-objectmarking-test.json is a single campaign
    }
  }
  return out;
}

Status CheckValue(const Value& v) {
  std::string text = v.Serialize();
  Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text));
  return Validator().Check(doc.root());
}

std::string FirstErrorRule(const Value& v) {
  std::string text = v.Serialize();
  Document doc;
  if (!doc.Parse(text).ok()) return "json";
  for (const Issue& i : Validator().CheckAll(doc.root())) {
    if (i.severity == Issue::Severity::kError) return i.rule;
  }
  return "";
}

TEST(Validate, EveryOasisExampleIsValid) {
  auto files = ExampleFiles();
  ASSERT_EQ(files.size(), 8u);  // 6 examples + 2 threat reports
  std::size_t count = 0;
  for (const Value& o : ExampleObjects()) {
    Status s = CheckValue(o);
    EXPECT_TRUE(s.ok()) << s.ToString();
    ++count;
  }
  EXPECT_GT(count, 100u);
}

TEST(Validate, EveryAttackObjectIsValid) {
  std::string text = ReadFileOrDie(DataPath("attack/attack-enterprise-kb.json"));
  Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  Validator validator;
  std::size_t n = 0;
  for (auto [k, obj] : doc.root()["objects"]) {
    ObjectHeader h;
    Status s = validator.Check(obj, &h);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_FALSE(h.id.empty());
    ++n;
  }
  EXPECT_EQ(n, 17765u);
}

// Mutations of valid example objects that break one rule each must fail with that rule.
TEST(Validate, SystematicMutationsAreRejected) {
  std::size_t mutated = 0;
  for (const Value& original : ExampleObjects()) {
    const TypeSpec* spec = FindType(original.find("type")->str());
    ASSERT_NE(spec, nullptr) << original.find("type")->str();

    // Each required property removed.
    for (const auto& [name, value] : original.object()) {
      const PropertySpec* p = FindProperty(*spec, name);
      if (p == nullptr || !p->required) continue;
      Value m = original;
      m.erase(name);
      std::string rule = FirstErrorRule(m);
      EXPECT_TRUE(rule == "required" || rule == "at-least-one-of") << name << " -> " << rule;
      ++mutated;
    }
    // Wrong kinds.
    for (const auto& [name, value] : original.object()) {
      const PropertySpec* p = FindProperty(*spec, name);
      if (p == nullptr) continue;
      Value m = original;
      switch (p->kind) {
        case PropKind::kTimestamp:
        case PropKind::kTimestampMillis:
          m.set(name, "2016-13-45T25:00:00.000Z");
          EXPECT_EQ(FirstErrorRule(m), "timestamp") << name;
          break;
        case PropKind::kRef:
          m.set(name, "bundle--" + std::string("a3e1b8a5-4a4b-4e0c-9a0e-3c7b8e3f2c11"));
          EXPECT_EQ(FirstErrorRule(m), "ref-type") << name;
          break;
        case PropKind::kRefList: {
          Value list = Value::MakeArray();
          list.push_back("not-an-id");
          m.set(name, std::move(list));
          EXPECT_EQ(FirstErrorRule(m), "ref") << name;
          break;
        }
        case PropKind::kBoolean:
          m.set(name, "true");
          EXPECT_EQ(FirstErrorRule(m), "boolean") << name;
          break;
        case PropKind::kInteger:
          m.set(name, 1.5);
          EXPECT_EQ(FirstErrorRule(m), "integer") << name;
          break;
        case PropKind::kStringList:
        case PropKind::kOpenVocabList:
          m.set(name, Value::MakeArray());
          EXPECT_EQ(FirstErrorRule(m), "list") << name;
          break;
        default:
          continue;
      }
      ++mutated;
    }
    // Identifier of another type.
    Value m = original;
    m.set("id", "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
    if (original.find("type")->str() != "campaign") {
      EXPECT_EQ(FirstErrorRule(m), "identifier-type");
      ++mutated;
    }
    // A custom property with an illegal name.
    m = original;
    m.set("X-Bad", 1);
    EXPECT_EQ(FirstErrorRule(m), "property-name");
  }
  EXPECT_GT(mutated, 500u);
}

Value Indicator() {
  return *Value::Parse(R"({"type":"indicator","spec_version":"2.1",
    "id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",
    "pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix",
    "valid_from":"2016-01-01T00:00:00Z"})");
}

TEST(Types, FindTypeFindsEveryTypeAndNothingElse) {
  for (const TypeSpec& t : AllTypes()) {
    EXPECT_EQ(FindType(t.type), &t) << t.type;
    std::string longer = std::string(t.type) + "s";
    EXPECT_EQ(FindType(longer), nullptr) << longer;
    EXPECT_EQ(FindType(t.type.substr(0, t.type.size() - 1)), nullptr) << t.type;
    std::string upper(t.type);
    upper[0] = static_cast<char>(upper[0] - 'a' + 'A');
    EXPECT_EQ(FindType(upper), nullptr) << upper;
  }
  for (std::string_view other :
       {"", "x", "x-acme-widget", "indicatoR", "indicatr", "ipv5-addr", "Bundle", "file "}) {
    EXPECT_EQ(FindType(other), nullptr) << other;
  }
}

// The time-order rules reuse the timestamps the property checks parsed; these cases would pass
// if a cached value were attached to the wrong property.
TEST(Validate, TimeOrderUsesEachPropertysOwnValue) {
  Value v = Indicator();
  v.set("created", "2016-04-06T20:03:48.000Z");
  v.set("modified", "2016-04-06T20:03:48.000Z");  // equal: allowed
  v.set("valid_from", "2016-04-06T20:03:48.000Z");
  v.set("valid_until", "2016-04-06T20:03:48.001Z");
  EXPECT_TRUE(CheckValue(v).ok()) << CheckValue(v).ToString();
  v.set("valid_until", "2016-04-06T20:03:48.000Z");  // equal: valid_until must be later
  EXPECT_EQ(FirstErrorRule(v), "time-order");
  v.set("valid_until", "2016-04-06T20:03:48.001Z");
  v.set("modified", "2016-04-06T20:03:47.999Z");
  EXPECT_EQ(FirstErrorRule(v), "time-order");
  // modified later than created by a nanosecond only.
  v.set("created", "2016-04-06T20:03:48.000000001Z");
  v.set("modified", "2016-04-06T20:03:48.000000002Z");
  EXPECT_TRUE(CheckValue(v).ok()) << CheckValue(v).ToString();
  v.set("modified", "2016-04-06T20:03:48.000000000Z");
  EXPECT_EQ(FirstErrorRule(v), "time-order");
  // Members in another order: the rule does not depend on where they stand.
  Value reordered = Value::MakeObject();
  for (const char* key : {"valid_until", "modified", "valid_from", "created"}) {
    reordered.set(key, *v.find(key));
  }
  for (const auto& [key, value] : v.object()) {
    if (reordered.find(key) == nullptr) reordered.set(key, value);
  }
  EXPECT_EQ(FirstErrorRule(reordered), "time-order");
  reordered.set("modified", "2016-04-06T20:03:48.000000003Z");
  EXPECT_TRUE(CheckValue(reordered).ok()) << CheckValue(reordered).ToString();
  reordered.set("valid_from", "2016-04-06T20:03:49Z");  // now after valid_until
  EXPECT_EQ(FirstErrorRule(reordered), "time-order");
}

// The id check has a fast path for "<type>--<uuid>"; these must still get the general answers.
TEST(Validate, IdentifierMatchesItsType) {
  const std::string uuid = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
  auto object = [&](const std::string& type, const std::string& id) {
    Value v = Value::MakeObject();
    v.set("type", type);
    v.set("id", id);
    return v;
  };
  EXPECT_EQ(FirstErrorRule(object("x-widget", "x-widget--" + uuid)), "");
  EXPECT_EQ(FirstErrorRule(object("x-widget", "x-gadget--" + uuid)), "identifier-type");
  EXPECT_EQ(FirstErrorRule(object("x-widget", "x-widge--" + uuid)), "identifier-type");
  EXPECT_EQ(FirstErrorRule(object("x-widget", "x-widgets--" + uuid)), "identifier-type");
  EXPECT_EQ(FirstErrorRule(object("x-widget", "x-widget-" + uuid)), "identifier");
  EXPECT_EQ(FirstErrorRule(object("x-widget", "x-widget--" + uuid.substr(1))), "identifier");
  EXPECT_EQ(FirstErrorRule(object("x-widget", "x-widget--" + uuid + "0")), "identifier");
  std::string bad_variant = uuid;
  bad_variant[19] = '0';
  EXPECT_EQ(FirstErrorRule(object("x-widget", "x-widget--" + bad_variant)), "identifier");
  // A type may end in '-' (the schema's pattern allows it); its id's first "--" then falls
  // inside the type, so the id's type differs from the type.
  EXPECT_EQ(FirstErrorRule(object("x-widget-", "x-widget---" + uuid)), "identifier-type");
  EXPECT_EQ(FirstErrorRule(object("Indicator", "Indicator--" + uuid)), "type-name");
}

TEST(Validate, TypeRules) {
  EXPECT_TRUE(CheckValue(Indicator()).ok());
  Value v = Indicator();
  v.set("modified", "2016-04-06T20:03:47.999Z");
  EXPECT_EQ(FirstErrorRule(v), "time-order");
  v = Indicator();
  v.set("valid_until", "2016-01-01T00:00:00Z");
  EXPECT_EQ(FirstErrorRule(v), "time-order");
  v = Indicator();
  v.set("created", "2016-04-06T20:03:48Z");
  EXPECT_EQ(FirstErrorRule(v), "timestamp-precision");
  v = Indicator();
  v.set("confidence", 101);
  EXPECT_EQ(FirstErrorRule(v), "integer-range");
  v = Indicator();
  v.set("spec_version", "2.0");
  EXPECT_EQ(FirstErrorRule(v), "vocabulary");
  v = Indicator();
  v.set("id", "indicator--8e2e2d2b-17d4-4cbf-038f-98ee46b3cd3f");  // bad variant bits
  EXPECT_EQ(FirstErrorRule(v), "identifier");
  v = Indicator();
  v.set("external_references", *Value::Parse(R"([{"url":"https://example.org"}])"));
  EXPECT_EQ(FirstErrorRule(v), "required");
  v = Indicator();
  v.set(
      "granular_markings",
      *Value::Parse(
          R"([{"selectors":["name"],"marking_ref":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","lang":"en"}])"));
  EXPECT_EQ(FirstErrorRule(v), "granular-marking");
  v = Indicator();
  v.set("extensions", *Value::Parse(R"({"bad name":{}})"));
  EXPECT_EQ(FirstErrorRule(v), "extension-name");

  Value file = *Value::Parse(R"({"type":"file","id":"file--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "hashes":{"MD5":"not-hex"}})");
  EXPECT_EQ(FirstErrorRule(file), "hash-value");
  file.erase("hashes");
  EXPECT_EQ(FirstErrorRule(file), "at-least-one-of");

  Value loc = *Value::Parse(R"({"type":"location","spec_version":"2.1",
    "id":"location--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z",
    "modified":"2016-04-06T20:03:48.000Z","latitude":91,"longitude":0})");
  EXPECT_EQ(FirstErrorRule(loc), "range");

  Value opinion = *Value::Parse(R"({"type":"opinion","spec_version":"2.1",
    "id":"opinion--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z",
    "modified":"2016-04-06T20:03:48.000Z","opinion":"maybe",
    "object_refs":["report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]})");
  EXPECT_EQ(FirstErrorRule(opinion), "vocabulary");
}

TEST(Validate, ErrorsNameObjectPropertyAndRule) {
  Value v = Indicator();
  v.set("valid_from", "yesterday");
  Status s = CheckValue(v);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(
      s.message().find("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: valid_from: timestamp"),
      std::string::npos)
      << s.message();
  v = Indicator();
  v.set(
      "object_marking_refs",
      *Value::Parse(
          R"(["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"])"));
  s = CheckValue(v);
  EXPECT_NE(s.message().find("object_marking_refs[1]: ref-type"), std::string::npos) << s.message();
}

TEST(Validate, CustomObjectsAndProperties) {
  Value custom = *Value::Parse(R"({"type":"x-mitre-tactic","spec_version":"2.1",
    "id":"x-mitre-tactic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z",
    "modified":"2016-04-06T20:03:48.000Z","x_mitre_shortname":"execution"})");
  EXPECT_TRUE(CheckValue(custom).ok());
  custom.set("created", "2016-04-06");
  EXPECT_EQ(FirstErrorRule(custom), "timestamp");  // custom SDOs follow the common rules
  custom.erase("created");
  custom.erase("modified");
  EXPECT_TRUE(CheckValue(custom).ok());  // without created it is a custom SCO
  Value bad_type = custom;
  bad_type.set("type", "X_Bad");
  EXPECT_EQ(FirstErrorRule(bad_type), "type-name");
}

TEST(ScoId, MatchesIndependentComputation) {
  // Python: uuid.uuid5(UUID('00abedb4-aa42-466c-9c01-fed23315a9b7'), '{"value":"198.51.100.3"}')
  Document doc;
  std::string text =
      R"({"type":"ipv4-addr","id":"ipv4-addr--00000000-0000-4000-8000-000000000000","value":"198.51.100.3"})";
  ASSERT_TRUE(doc.Parse(text).ok());
  EXPECT_EQ(ComputeScoId(doc.root()), "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4");
  // Only one hash contributes (MD5 preferred), keys sorted by JCS.
  std::string file =
      R"({"type":"file","id":"file--00000000-0000-4000-8000-000000000000","name":"x","hashes":{"SHA-256":"b","MD5":"a"}})";
  ASSERT_TRUE(doc.Parse(file).ok());
  EXPECT_EQ(ComputeScoId(doc.root()), "file--85c39ab2-c114-5ec7-abdf-f15fc01bddf1");
}

TEST(ScoId, MismatchedV5IdIsAWarningNotAnError) {
  Document doc;
  std::string text =
      R"({"type":"ipv4-addr","id":"ipv4-addr--8e2e2d2b-17d4-5cbf-938f-98ee46b3cd3f","value":"198.51.100.3"})";
  ASSERT_TRUE(doc.Parse(text).ok());
  EXPECT_TRUE(Validator().Check(doc.root()).ok());
  auto issues = Validator().CheckAll(doc.root());
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].severity, Issue::Severity::kWarning);
  EXPECT_EQ(issues[0].rule, "sco-id");
}

TEST(Canonical, Rfc8785Examples) {
  // RFC 8785 section 3.2.2 number forms and key order.
  EXPECT_EQ(CanonicalJson(*Value::Parse(
                R"({"b":[1E30,4.50,0.002,1e-27],"a":"\u20ac$\u000f\nA'B\"\\\\\"/"})")),
            R"({"a":"€$\u000f\nA'B\"\\\\\"/","b":[1e+30,4.5,0.002,1e-27]})");
  EXPECT_EQ(CanonicalJson(*Value::Parse(R"({"\u00e9":1,"z":2,"A":3})")), R"({"A":3,"z":2,"é":1})");
}

TEST(Markings, TlpIds) {
  EXPECT_EQ(TlpOfMarking("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"), Tlp::kClear);
  EXPECT_EQ(TlpOfMarking(Tlp2MarkingId(Tlp::kAmberStrict)), Tlp::kAmberStrict);
  EXPECT_EQ(ParseTlp("tlp:white"), Tlp::kClear);
  EXPECT_EQ(ParseTlp("TLP:AMBER+STRICT"), Tlp::kAmberStrict);
  EXPECT_FALSE(ParseTlp("purple").has_value());
  EXPECT_LT(Tlp::kGreen, Tlp::kRed);
}

}  // namespace
}  // namespace entente::stix
