// MISP -> STIX -> MISP keeps what a MISP user relies on: every attribute's type, value,
// category, to_ids, comment and tags; every object's name, its attributes' relations and
// values, and the references between objects.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "entente/formats/misp.h"
#include "misp_test_util.h"

namespace entente::formats {
namespace {

using json::Value;

std::string S(const Value* v) {
  if (!v) return "";
  if (v->is_bool()) return v->boolean() ? "1" : "0";
  return v->str();
}

bool Truthy(const Value* v) {
  if (!v) return false;
  if (v->is_bool()) return v->boolean();
  return v->str() == "1" || v->str() == "true" || v->str() == "True";
}

// tlp:white and tlp:clear are one TLP 2.0 marking; the way back writes tlp:clear.
std::set<std::string> Tags(const Value& item) {
  std::set<std::string> tags;
  if (const Value* list = item.find("Tag")) {
    for (const auto& t : list->array()) {
      std::string name = S(t.find("name"));
      if (name == "tlp:white") name = "tlp:clear";
      tags.insert(name);
    }
  }
  return tags;
}

const Value& EventOf(const Value& root) {
  const Value* e = root.find("Event");
  return e ? *e : root;
}

class MispRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(MispRoundTrip, KeepsAttributesObjectsAndReferences) {
  const std::string text =
      testing::ReadFile(testing::MispData(std::string("pymisp/") + GetParam()));
  Value original_root = Value::Parse(text).value();
  const Value& original = EventOf(original_root);
  json::Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  auto bundle = MispToStix(doc.root());
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  const std::string stix_text = bundle->Serialize();
  json::Document stix_doc;
  ASSERT_TRUE(stix_doc.Parse(stix_text).ok());
  auto back_root = StixToMisp(stix_doc.root());
  ASSERT_TRUE(back_root.ok()) << back_root.status().ToString();
  const Value& back = EventOf(*back_root);

  EXPECT_EQ(S(back.find("uuid")), S(original.find("uuid")));
  EXPECT_EQ(S(back.find("info")), S(original.find("info")));
  EXPECT_EQ(Tags(back), Tags(original));

  std::map<std::string, const Value*> back_attrs;
  for (const auto& a : back.find("Attribute")->array()) back_attrs[S(a.find("uuid"))] = &a;
  std::set<std::string> seen;
  if (const Value* attrs = original.find("Attribute")) {
    for (const auto& a : attrs->array()) {
      const std::string uuid = S(a.find("uuid"));
      if (!seen.insert(uuid).second) continue;  // repeated uuid in the sample: first wins
      auto it = back_attrs.find(uuid);
      ASSERT_NE(it, back_attrs.end()) << "attribute " << uuid << " lost";
      const Value& b = *it->second;
      EXPECT_EQ(S(b.find("type")), S(a.find("type"))) << uuid;
      EXPECT_EQ(S(b.find("value")), S(a.find("value"))) << uuid << " " << S(a.find("type"));
      EXPECT_EQ(S(b.find("category")), S(a.find("category"))) << uuid;
      EXPECT_EQ(Truthy(b.find("to_ids")), Truthy(a.find("to_ids"))) << uuid;
      if (S(a.find("type")) != "vulnerability") {  // misp-stix drops these comments
        EXPECT_EQ(S(b.find("comment")), S(a.find("comment"))) << uuid << " " << S(a.find("type"));
      }
      EXPECT_EQ(Tags(b), Tags(a)) << uuid;
    }
  }

  std::map<std::string, const Value*> back_objects;
  for (const auto& o : back.find("Object")->array()) back_objects[S(o.find("uuid"))] = &o;
  std::set<std::string> all_uuids;
  if (const Value* objects = original.find("Object")) {
    for (const auto& o : objects->array()) {
      all_uuids.insert(S(o.find("uuid")));
      for (const auto& a : o.find("Attribute")->array()) all_uuids.insert(S(a.find("uuid")));
    }
  }
  if (const Value* attrs = original.find("Attribute")) {
    for (const auto& a : attrs->array()) all_uuids.insert(S(a.find("uuid")));
  }
  if (const Value* objects = original.find("Object")) {
    for (const auto& o : objects->array()) {
      const std::string uuid = S(o.find("uuid"));
      auto it = back_objects.find(uuid);
      ASSERT_NE(it, back_objects.end()) << "object " << uuid << " lost";
      const Value& b = *it->second;
      EXPECT_EQ(S(b.find("name")), S(o.find("name"))) << uuid;
      std::multiset<std::tuple<std::string, std::string>> want, got;
      for (const auto& a : o.find("Attribute")->array()) {
        want.emplace(S(a.find("object_relation")), S(a.find("value")));
      }
      for (const auto& a : b.find("Attribute")->array()) {
        got.emplace(S(a.find("object_relation")), S(a.find("value")));
      }
      EXPECT_EQ(got, want) << "object " << uuid << " (" << S(o.find("name")) << ")";
      std::set<std::tuple<std::string, std::string>> want_refs, got_refs;
      if (const Value* refs = o.find("ObjectReference")) {
        for (const auto& r : refs->array()) {
          // References to items outside the event cannot survive; MISP shows them as broken.
          if (all_uuids.count(S(r.find("referenced_uuid")))) {
            want_refs.emplace(S(r.find("referenced_uuid")), S(r.find("relationship_type")));
          }
        }
      }
      if (const Value* refs = b.find("ObjectReference")) {
        for (const auto& r : refs->array()) {
          got_refs.emplace(S(r.find("referenced_uuid")), S(r.find("relationship_type")));
        }
      }
      EXPECT_EQ(got_refs, want_refs) << "references of object " << uuid;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RealEvents, MispRoundTrip,
                         ::testing::Values("57c4445b-c548-4654-af0b-4be3950d210f.json",
                                           "HTML_event.json", "existing_event.json",
                                           "galaxy_1.json", "image_event.json",
                                           "japanese_test.json", "long_event.json",
                                           "mainly_objects_1.json", "mainly_objects_2.json",
                                           "sighting_1.json", "sighting_2.json", "to_delete1.json",
                                           "to_delete2.json", "to_delete3.json",
                                           "very_long_event.json"));

}  // namespace
}  // namespace entente::formats
