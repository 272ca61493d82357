// Markings, input shapes, limits and hostile input of the MISP converter.
#include <gtest/gtest.h>

#include <string>

#include "entente/formats/misp.h"
#include "misp_test_util.h"

namespace entente::formats {
namespace {

using json::Value;

constexpr const char* kEventUuid = "d402185f-c129-4f65-8678-43edb2cee1cf";

std::string Event(const std::string& attributes, const std::string& extra = "") {
  return std::string(R"({"Event":{"uuid":")") + kEventUuid +
         R"(","info":"t","timestamp":"1603642920","Orgc":{"name":"CIRCL","uuid":"55f6ea5e-2c60-40e5-964f-47a8950d210f"},"Attribute":[)" +
         attributes + "]" + extra + "}}";
}

Result<Value> ConvertEvent(const std::string& text, const MispOptions& options = {},
                           MispStats* stats = nullptr) {
  json::Document doc;
  Status s = doc.Parse(text);
  if (!s.ok()) return s;
  return MispToStix(doc.root(), options, stats);
}

const Value* FindById(const Value& bundle, const std::string& id) {
  for (const auto& o : bundle.find("objects")->array()) {
    if (o.find("id")->str() == id) return &o;
  }
  return nullptr;
}

TEST(MispMarkings, TlpTagsBecomeTlp2Markings) {
  struct Case {
    const char* tag;
    const char* id;
    const char* name;
  };
  const Case cases[] = {
      {"tlp:white", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR"},
      {"tlp:clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR"},
      {"tlp:green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN"},
      {"tlp:amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER"},
      {"TLP:AMBER+STRICT", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
       "TLP:AMBER+STRICT"},
      {"tlp:red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED"},
  };
  for (const auto& c : cases) {
    auto bundle = ConvertEvent(Event(
        R"({"uuid":"4bb235a7-7d25-4aef-802f-2c6b45c5eceb","type":"domain","category":"Network activity","value":"circl.lu","to_ids":true,"Tag":[{"name":")" +
        std::string(c.tag) + R"("},{"name":"osint:source-type=\"blog-post\""}]})"));
    ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
    const Value* marking = FindById(*bundle, c.id);
    ASSERT_NE(marking, nullptr) << c.tag;
    EXPECT_EQ(marking->find("name")->str(), c.name);
    EXPECT_TRUE(marking->find("extensions")
                    ->find("extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"));
    const Value* ind = FindById(*bundle, "indicator--4bb235a7-7d25-4aef-802f-2c6b45c5eceb");
    ASSERT_NE(ind, nullptr);
    ASSERT_TRUE(ind->find("object_marking_refs"));
    EXPECT_EQ(ind->find("object_marking_refs")->array()[0].str(), c.id);
    // The TLP tag is a marking, not a label; other tags are labels.
    const auto& labels = ind->find("labels")->array();
    EXPECT_EQ(labels.back().str(), "osint:source-type=\"blog-post\"");
    for (const auto& l : labels) EXPECT_NE(l.str(), c.tag);
  }
}

TEST(MispMarkings, DistributionBecomesAStatementMarking) {
  auto bundle = ConvertEvent(Event(
      R"({"uuid":"4bb235a7-7d25-4aef-802f-2c6b45c5eceb","type":"domain","value":"circl.lu","distribution":"4","SharingGroup":{"uuid":"5d0e1d29-6ae4-4e5e-9d7a-0b1b950d210f","name":"EU CSIRTs"}})",
      R"(,"distribution":"1")"));
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  const Value* report = FindById(*bundle, std::string("grouping--") + kEventUuid);
  ASSERT_NE(report, nullptr);
  const std::string event_marking = report->find("object_marking_refs")->array()[0].str();
  const Value* m = FindById(*bundle, event_marking);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->find("definition_type")->str(), "statement");
  EXPECT_EQ(m->find("x_misp_distribution")->as_int64(), 1);
  EXPECT_EQ(m->find("definition")->find("statement")->str(),
            "MISP distribution: This community only");
  const Value* od = FindById(*bundle, "observed-data--4bb235a7-7d25-4aef-802f-2c6b45c5eceb");
  const Value* sg = FindById(*bundle, od->find("object_marking_refs")->array()[0].str());
  ASSERT_NE(sg, nullptr);
  EXPECT_EQ(sg->find("x_misp_distribution")->as_int64(), 4);
  EXPECT_EQ(sg->find("x_misp_sharing_group_uuid")->str(), "5d0e1d29-6ae4-4e5e-9d7a-0b1b950d210f");

  // And back: distribution and sharing group return to the attribute and the event.
  json::Document doc;
  const std::string text = bundle->Serialize();
  ASSERT_TRUE(doc.Parse(text).ok());
  auto misp = StixToMisp(doc.root());
  ASSERT_TRUE(misp.ok());
  const Value& event = *misp->find("Event");
  EXPECT_EQ(event.find("distribution")->str(), "1");
  const Value& attr = event.find("Attribute")->array()[0];
  EXPECT_EQ(attr.find("distribution")->str(), "4");
  EXPECT_EQ(attr.find("SharingGroup")->find("name")->str(), "EU CSIRTs");

  MispOptions off;
  off.distribution_markings = false;
  auto plain = ConvertEvent(
      Event(
          R"({"uuid":"4bb235a7-7d25-4aef-802f-2c6b45c5eceb","type":"domain","value":"circl.lu","distribution":"0"})"),
      off);
  ASSERT_TRUE(plain.ok());
  for (const auto& o : plain->find("objects")->array()) {
    EXPECT_NE(o.find("type")->str(), "marking-definition");
  }
}

TEST(MispInput, ShapesAreRecognised) {
  const std::string bare =
      R"({"uuid":")" + std::string(kEventUuid) + R"(","info":"x","Attribute":[]})";
  for (
      const std::string& text :
      {Event(""), bare, "[" + Event("") + "]", R"({"response":[)" + Event("") + "]}",
       std::string(
           R"({"response":{"Attribute":[{"uuid":"4bb235a7-7d25-4aef-802f-2c6b45c5eceb","type":"domain","value":"a.b"}]}})")}) {
    json::Document doc;
    ASSERT_TRUE(doc.Parse(text).ok()) << text;
    EXPECT_TRUE(LooksLikeMisp(doc.root())) << text;
    auto r = MispToStix(doc.root());
    EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  }
  for (const char* text :
       {R"({"type":"bundle","id":"bundle--1","objects":[]})", "[]", "42", R"({"foo":1})"}) {
    json::Document doc;
    ASSERT_TRUE(doc.Parse(text).ok());
    EXPECT_FALSE(LooksLikeMisp(doc.root())) << text;
  }
}

TEST(MispInput, EmptyEventGetsANote) {
  auto bundle = ConvertEvent(Event(""));
  ASSERT_TRUE(bundle.ok());
  const Value* note = FindById(*bundle, std::string("note--") + kEventUuid);
  ASSERT_NE(note, nullptr);
  const Value* grouping = FindById(*bundle, std::string("grouping--") + kEventUuid);
  ASSERT_NE(grouping, nullptr);
  EXPECT_EQ(grouping->find("object_refs")->array()[0].str(), note->find("id")->str());
}

TEST(MispInput, PublishedEventIsAReport) {
  auto bundle = ConvertEvent(Event("", R"(,"published":true,"publish_timestamp":"1603646520")"));
  ASSERT_TRUE(bundle.ok());
  const Value* report = FindById(*bundle, std::string("report--") + kEventUuid);
  ASSERT_NE(report, nullptr);
  EXPECT_EQ(report->find("published")->str(), "2020-10-25T17:22:00Z");
}

TEST(MispInput, UnknownTypeBecomesCustomAttribute) {
  auto bundle = ConvertEvent(Event(
      R"({"uuid":"4bb235a7-7d25-4aef-802f-2c6b45c5eceb","type":"btc","category":"Financial fraud","value":"1E38kt7ryhbRXUzbam6iQ6sd93VHUUdjEE","to_ids":true,"comment":"wallet"})"));
  ASSERT_TRUE(bundle.ok());
  const Value* c = FindById(*bundle, "x-misp-attribute--4bb235a7-7d25-4aef-802f-2c6b45c5eceb");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->find("x_misp_type")->str(), "btc");
  EXPECT_EQ(c->find("x_misp_value")->str(), "1E38kt7ryhbRXUzbam6iQ6sd93VHUUdjEE");
  EXPECT_EQ(c->find("x_misp_comment")->str(), "wallet");
}

TEST(MispErrors, NameTheEventTheItemAndTheProblem) {
  struct Case {
    std::string text;
    ErrorCode code;
    std::string needle;
  };
  const std::string attr_uuid = "4bb235a7-7d25-4aef-802f-2c6b45c5eceb";
  const Case cases[] = {
      {Event(R"({"uuid":"not-a-uuid","type":"domain","value":"a.b"})"), ErrorCode::kInvalidArgument,
       "Attribute[0] has a missing or malformed uuid"},
      {Event(R"({"uuid":")" + attr_uuid + R"(","value":"a.b"})"), ErrorCode::kInvalidArgument,
       "attribute " + attr_uuid + ": missing or non-string type"},
      {Event(R"({"uuid":")" + attr_uuid + R"(","type":"domain","value":{"x":1}})"),
       ErrorCode::kInvalidArgument, "value must be a string"},
      {Event(R"({"uuid":")" + attr_uuid + R"(","type":"domain","value":"a","distribution":"9"})"),
       ErrorCode::kInvalidArgument, "distribution must be 0-5"},
      {Event("", R"(,"Object":{"a":1})"), ErrorCode::kInvalidArgument, "Object is not a list"},
      {R"({"Event":{"info":"no uuid"}})", ErrorCode::kInvalidArgument, "Event has a missing"},
      {"[1,2]", ErrorCode::kInvalidArgument, "item 0 of the list is not an object"},
  };
  for (const auto& c : cases) {
    auto r = ConvertEvent(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().ToString();
    if (c.text.find(kEventUuid) != std::string::npos &&
        c.needle.find("Event") == std::string::npos) {
      EXPECT_NE(r.status().message().find(kEventUuid), std::string::npos) << r.status().ToString();
    }
  }
}

TEST(MispErrors, LimitsAreEnforced) {
  std::string attrs;
  for (int i = 0; i < 5; ++i) {
    if (i) attrs += ",";
    attrs += R"({"uuid":"4bb235a7-7d25-4aef-802f-2c6b45c5ec0)" + std::to_string(i) +
             R"(","type":"domain","value":"a.b"})";
  }
  MispOptions small;
  small.limits.max_attributes_per_event = 4;
  auto r = ConvertEvent(Event(attrs), small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(r.status().message().find(kEventUuid), std::string::npos);

  MispOptions tiny_value;
  tiny_value.limits.max_value_bytes = 3;
  r = ConvertEvent(
      Event(R"({"uuid":"4bb235a7-7d25-4aef-802f-2c6b45c5eceb","type":"domain","value":"abcd"})"),
      tiny_value);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kLimitExceeded);
  EXPECT_NE(r.status().message().find("4bb235a7-7d25-4aef-802f-2c6b45c5eceb"), std::string::npos);
}

TEST(MispStream, SinkErrorsStopTheConversion) {
  json::Document doc;
  const std::string text = Event(
      R"({"uuid":"4bb235a7-7d25-4aef-802f-2c6b45c5eceb","type":"domain","value":"a.b","to_ids":true})");
  ASSERT_TRUE(doc.Parse(text).ok());
  int seen = 0;
  Status s = MispToStixStream(doc.root(), {}, [&](Value&&) -> Status {
    return ++seen == 3 ? Status::Cancelled("enough") : Status::Ok();
  });
  EXPECT_EQ(s.code(), ErrorCode::kCancelled);
  EXPECT_EQ(seen, 3);
}

TEST(MispReverse, RejectsWhatIsNotABundle) {
  json::Document doc;
  ASSERT_TRUE(doc.Parse(R"({"Event":{}})").ok());
  auto r = StixToMisp(doc.root());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
}

TEST(MispReverse, ObjectReferencesSurvive) {
  const std::string text = Event("", R"(,"Object":[
    {"uuid":"5e384ae7-672c-4250-9cda-3b4da964451a","name":"file","meta-category":"file","Attribute":[
      {"uuid":"a0921e21-c7ae-4c7f-b84b-b84a7ce53d1f","type":"filename","object_relation":"filename","value":"oui","to_ids":true}],
     "ObjectReference":[{"referenced_uuid":"5ac337df-e078-4e99-8b17-02550a00020f","relationship_type":"communicates-with"}]},
    {"uuid":"5ac337df-e078-4e99-8b17-02550a00020f","name":"domain-ip","meta-category":"network","Attribute":[
      {"uuid":"91ae0a21-c7ae-4c7f-b84b-b84a7ce53d1f","type":"domain","object_relation":"domain","value":"circl.lu"}]}])");
  auto bundle = ConvertEvent(text);
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  bool found = false;
  for (const auto& o : bundle->find("objects")->array()) {
    if (o.find("type")->str() == "relationship" &&
        o.find("relationship_type")->str() == "communicates-with") {
      found = true;
      EXPECT_EQ(o.find("source_ref")->str(), "indicator--5e384ae7-672c-4250-9cda-3b4da964451a");
      EXPECT_EQ(o.find("target_ref")->str(), "observed-data--5ac337df-e078-4e99-8b17-02550a00020f");
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace entente::formats
