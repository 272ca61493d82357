// Real MISP events (PyMISP's test corpus, data/misp/pymisp) convert with the expected counts,
// and the bundles hold together: every reference resolves, ids are unique, required
// properties are there.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "entente/formats/misp.h"
#include "misp_test_util.h"

namespace entente::formats {
namespace {

using json::Value;

struct Expected {
  const char* file;
  std::size_t events, attributes, objects;
  const char* types;  // "type=count ..." sorted by type
};

// Attribute counts include the attributes inside objects. The numbers of attributes and
// objects match a count of the input files made independently of this code (index.tsv in the
// shared corpus lists top-level attributes and objects).
constexpr Expected kEvents[] = {
    {"57c4445b-c548-4654-af0b-4be3950d210f.json", 1, 9, 0,
     "file=4 identity=1 indicator=5 marking-definition=1 observed-data=7 relationship=5 report=1 "
     "url=2 windows-registry-key=1 x-misp-attribute=2"},
    {"HTML_event.json", 1, 13, 0,
     "artifact=1 domain-name=1 file=3 identity=1 indicator=5 marking-definition=1 "
     "observed-data=9 relationship=5 report=1 url=5 x-misp-attribute=4"},
    {"existing_event.json", 1, 122, 49,
     "domain-name=19 file=37 grouping=1 identity=1 indicator=56 ipv4-addr=12 malware=1 "
     "marking-definition=2 observed-data=57 relationship=76 threat-actor=1 tool=2 url=1 "
     "x-misp-attribute=1"},
    {"galaxy_1.json", 1, 10, 2,
     "artifact=1 file=3 grouping=1 identity=1 indicator=2 intrusion-set=2 malware=2 "
     "marking-definition=2 observed-data=4 relationship=3 url=1 x-misp-attribute=1 "
     "x-misp-galaxy-cluster=3 x-misp-object=1"},
    {"image_event.json", 1, 79, 20,
     "artifact=1 attack-pattern=1 file=25 identity=1 indicator=26 marking-definition=2 "
     "observed-data=27 relationship=35 report=1 url=2 x-misp-attribute=1 x-misp-object=10"},
    {"japanese_test.json", 1, 1, 0,
     "course-of-action=1 grouping=1 identity=1 intrusion-set=1 marking-definition=1 "
     "x-misp-attribute=1"},
    {"japanese_test_heavy.json", 1, 10, 0,
     "course-of-action=1 grouping=1 identity=1 intrusion-set=1 marking-definition=1 "
     "x-misp-attribute=1"},
    {"long_event.json", 1, 370, 0,
     "domain-name=24 email-addr=2 email-message=7 file=246 identity=1 indicator=258 "
     "ipv4-addr=9 marking-definition=1 network-traffic=9 observed-data=361 relationship=258 "
     "report=1 url=78 vulnerability=4 x-misp-attribute=5"},
    {"mainly_objects_1.json", 1, 74, 17,
     "file=6 identity=1 indicator=3 marking-definition=2 observed-data=6 relationship=13 "
     "report=1 x-misp-object=11"},
    {"mainly_objects_2.json", 1, 63, 15,
     "file=4 identity=1 indicator=2 marking-definition=2 mutex=1 observed-data=5 "
     "relationship=15 report=1 x-misp-object=11"},
    {"sighting_1.json", 1, 5, 0,
     "domain-name=4 identity=2 indicator=5 malware=1 marking-definition=1 observed-data=5 "
     "opinion=3 relationship=5 report=1 sighting=2 url=1"},
    {"sighting_2.json", 1, 2, 0,
     "grouping=1 identity=1 marking-definition=3 opinion=1 relationship=1 sighting=1 tool=1 "
     "x-misp-attribute=2"},
    {"to_delete1.json", 1, 75, 0,
     "domain-name=4 file=48 identity=1 indicator=54 ipv4-addr=2 marking-definition=1 "
     "network-traffic=2 observed-data=74 relationship=54 report=1 url=15 "
     "windows-registry-key=5 x-misp-attribute=1"},
    {"to_delete2.json", 1, 128, 5,
     "artifact=1 file=19 grouping=1 identity=1 indicator=111 ipv4-addr=93 marking-definition=1 "
     "network-traffic=93 observed-data=115 relationship=111 url=3 x-misp-attribute=1"},
    {"to_delete3.json", 1, 96, 24,
     "file=19 grouping=1 identity=1 indicator=62 ipv4-addr=43 marking-definition=1 "
     "network-traffic=43 observed-data=71 relationship=62 url=6 windows-registry-key=3 "
     "x-misp-attribute=1"},
    {"very_long_event.json", 1, 64, 16,
     "artifact=2 file=18 identity=1 indicator=19 ipv4-addr=2 marking-definition=1 "
     "network-traffic=2 observed-data=23 relationship=27 report=1 url=3 x-misp-attribute=1 "
     "x-misp-object=8"},
};

void CollectRefs(const Value& v, const std::string& key, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [k, c] : v.object()) CollectRefs(c, k, out);
  } else if (v.is_array()) {
    for (const auto& c : v.array()) CollectRefs(c, key, out);
  } else if (v.is_string() && key.size() > 4 &&
             (key.compare(key.size() - 4, 4, "_ref") == 0 ||
              key.compare(key.size() - 5, 5, "_refs") == 0)) {
    out.push_back(v.str());
  }
}

class MispImport : public ::testing::TestWithParam<Expected> {};

TEST_P(MispImport, CountsAndIntegrity) {
  const Expected& e = GetParam();
  const std::string text = testing::ReadFile(testing::MispData(std::string("pymisp/") + e.file));
  ASSERT_FALSE(text.empty()) << e.file;
  json::Document doc;
  ASSERT_TRUE(doc.Parse(text).ok());
  ASSERT_TRUE(LooksLikeMisp(doc.root())) << e.file;
  MispStats stats;
  MispOptions options;
  options.now = Timestamp{0};
  auto bundle = MispToStix(doc.root(), options, &stats);
  ASSERT_TRUE(bundle.ok()) << e.file << ": " << bundle.status().ToString();
  EXPECT_EQ(stats.events, e.events);
  EXPECT_EQ(stats.attributes, e.attributes);
  EXPECT_EQ(stats.objects, e.objects);

  std::map<std::string, int> by_type;
  std::set<std::string> ids;
  const auto& objects = bundle->find("objects")->array();
  for (const auto& o : objects) {
    const std::string& id = o.find("id")->str();
    const std::string& type = o.find("type")->str();
    ++by_type[type];
    EXPECT_TRUE(ids.insert(id).second) << e.file << ": duplicate id " << id;
    EXPECT_EQ(id.substr(0, type.size() + 2), type + "--") << id;
    EXPECT_TRUE(o.find("spec_version")) << id;
    if (type == "indicator") {
      EXPECT_TRUE(o.find("pattern") && o.find("valid_from") && o.find("pattern_type")) << id;
    }
  }
  std::string types;
  for (const auto& [t, n] : by_type)
    types += (types.empty() ? "" : " ") + t + "=" + std::to_string(n);
  EXPECT_EQ(types, e.types) << e.file;
  EXPECT_EQ(stats.stix_objects, objects.size());

  // Referential integrity: every *_ref(s) names an object of the bundle.
  for (const auto& o : objects) {
    std::vector<std::string> refs;
    CollectRefs(o, "", refs);
    for (const auto& r : refs) {
      EXPECT_TRUE(ids.count(r)) << e.file << ": " << o.find("id")->str() << " refers to missing "
                                << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RealEvents, MispImport, ::testing::ValuesIn(kEvents),
                         [](const ::testing::TestParamInfo<Expected>& param_info) {
                           std::string name = param_info.param.file;
                           name = name.substr(0, name.find('.'));
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return "e" + name;
                         });

}  // namespace
}  // namespace entente::formats
