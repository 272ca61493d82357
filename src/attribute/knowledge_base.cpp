#include "entente/attribute/knowledge_base.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "entente/base/file.h"
#include "stix_facts.h"

namespace entente::attribute {

namespace {

std::string Clip(std::string_view s, std::size_t max) {
  return std::string(s.substr(0, std::min(s.size(), max)));
}

std::string MitreId(json::Node o) {
  for (auto [k, ref] : o["external_references"]) {
    (void)k;
    if (ref["source_name"].str() == "mitre-attack" && ref["external_id"].is_string()) {
      return std::string(ref["external_id"].str());
    }
  }
  return {};
}

Status Bad(json::Node o, std::string_view what) {
  std::string id(o["id"].str().substr(0, 120));
  return Status::InvalidArgument(std::string(o["type"].str().substr(0, 40)) + " " +
                                 (id.empty() ? "(no id)" : id) + ": " + std::string(what));
}

void SortUnique(std::vector<std::uint32_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

Status NotFoundWithHint(std::string_view what, std::string_view key,
                        const std::unordered_map<std::string, std::uint32_t>& keys) {
  std::string lower = AsciiLower(key);
  std::string best;
  std::size_t best_d = 3;
  if (lower.size() <= 64) {
    for (const auto& [k, v] : keys) {
      (void)v;
      if (k.size() > 64 || k.find("--") != std::string::npos) continue;
      std::size_t d = EditDistance(lower, k);
      if (d < best_d || (d == best_d && !best.empty() && k < best)) {
        best_d = d;
        best = k;
      }
    }
  }
  std::string msg = "unknown " + std::string(what) + " \"" + Clip(key, 120) + "\"";
  if (!best.empty()) msg += " (did you mean \"" + best + "\"?)";
  return Status::NotFound(msg);
}

}  // namespace

Result<KnowledgeBase> KnowledgeBase::FromBundle(json::Node root, KbLimits limits) {
  json::Node objects = root;
  if (root.is_object()) {
    if (root["type"].str() != "bundle") {
      return Status::InvalidArgument("knowledge base: expected a STIX bundle or an array, got \"" +
                                     Clip(root["type"].str(), 40) + "\" object");
    }
    objects = root["objects"];
  }
  if (!objects.is_array()) {
    return Status::InvalidArgument("knowledge base: expected an array of STIX objects");
  }
  KnowledgeBase kb(limits);
  std::size_t index = 0;
  for (auto [k, o] : objects) {
    (void)k;
    Status s = kb.AddObject(o);
    if (!s.ok()) return s.WithContext("objects[" + std::to_string(index) + "]");
    ++index;
  }
  ENTENTE_RETURN_IF_ERROR(kb.Finalize());
  return kb;
}

Result<KnowledgeBase> KnowledgeBase::FromFile(const std::string& path, KbLimits limits) {
  auto read = ReadFileToString(path);
  if (!read.ok()) return read.status().WithContext("knowledge base");
  std::string text = std::move(read).value();
  json::Document doc;
  Status s = doc.Parse(text);
  if (!s.ok()) return s.WithContext(path);
  auto kb = FromBundle(doc.root(), limits);
  if (!kb.ok()) return kb.status().WithContext(path);
  return kb;
}

Status KnowledgeBase::AddObject(json::Node o) {
  if (!o.is_object()) return Status::InvalidArgument("STIX object is not a JSON object");
  if (++objects_ > limits_.max_objects) {
    return Status::LimitExceeded("knowledge base holds more than " +
                                 std::to_string(limits_.max_objects) + " objects");
  }
  std::string_view type = o["type"].str();
  if (!o["type"].is_string() || type.empty()) return Bad(o, "missing \"type\"");
  if (o["revoked"].boolean() || o["x_mitre_deprecated"].boolean()) return Status::Ok();
  auto need_id = [&]() -> Status {
    std::string_view id = o["id"].str();
    if (id.size() <= type.size() + 2 || id.substr(0, type.size()) != type ||
        id.substr(type.size(), 2) != "--" || id.size() > 200) {
      return Bad(o, "\"id\" is not \"" + std::string(type) + "--<uuid>\"");
    }
    return Status::Ok();
  };
  auto read_aliases = [&](std::vector<std::string>& out) -> Status {
    for (std::string_view key : {"aliases", "x_mitre_aliases"}) {
      json::Node a = o[key];
      if (a.missing()) continue;
      if (!a.is_array()) return Bad(o, std::string(key) + " is not an array");
      for (auto [k, v] : a) {
        (void)k;
        if (!v.is_string()) return Bad(o, std::string(key) + " holds a non-string");
        if (out.size() >= limits_.max_aliases) return Status::LimitExceeded("too many aliases");
        out.push_back(Clip(v.str(), limits_.max_string_bytes));
      }
    }
    return Status::Ok();
  };
  finalized_ = false;
  if (type == "intrusion-set" || type == "attack-pattern" || type == "malware" || type == "tool") {
    ENTENTE_RETURN_IF_ERROR(need_id());
    if (!o["name"].is_string() || o["name"].str().empty()) return Bad(o, "missing \"name\"");
    std::string id(o["id"].str());
    std::string name = Clip(o["name"].str(), limits_.max_string_bytes);
    if (type == "intrusion-set") {
      Group g;
      g.stix_id = id, g.external_id = MitreId(o), g.name = name;
      ENTENTE_RETURN_IF_ERROR(read_aliases(g.aliases));
      groups_.push_back(std::move(g));
    } else if (type == "attack-pattern") {
      Technique t;
      t.stix_id = id, t.external_id = MitreId(o), t.name = name;
      t.is_subtechnique =
          o["x_mitre_is_subtechnique"].boolean() || t.external_id.find('.') != std::string::npos;
      techniques_.push_back(std::move(t));
    } else {
      Software s;
      s.stix_id = id, s.external_id = MitreId(o), s.name = name;
      s.is_malware = type == "malware";
      ENTENTE_RETURN_IF_ERROR(read_aliases(s.aliases));
      software_.push_back(std::move(s));
    }
    return Status::Ok();
  }
  if (type == "relationship") {
    ENTENTE_RETURN_IF_ERROR(need_id());
    if (!o["relationship_type"].is_string() || !o["source_ref"].is_string() ||
        !o["target_ref"].is_string()) {
      return Bad(o, "relationship needs relationship_type, source_ref and target_ref");
    }
    relationships_.push_back({std::string(o["relationship_type"].str()),
                              Clip(o["source_ref"].str(), 200), Clip(o["target_ref"].str(), 200)});
    return Status::Ok();
  }
  internal::ObjectFacts facts = internal::ReadFacts(o, limits_.max_string_bytes);
  if (internal::IsIncidentLike(type)) {
    ENTENTE_RETURN_IF_ERROR(need_id());
    PendingIncident p;
    p.stix_id = facts.id;
    p.name = Clip(o["name"].str(), limits_.max_string_bytes);
    p.activity_hours = facts.hours;
    p.artefacts = facts.artefacts;
    if (!internal::CollectRefs(o, limits_.max_refs, p.refs)) {
      return Status::LimitExceeded(facts.id + ": more than " + std::to_string(limits_.max_refs) +
                                   " object_refs");
    }
    pending_incidents_.push_back(std::move(p));
    return Status::Ok();
  }
  if (facts.id.empty()) return Status::Ok();
  if (facts.infrastructure || facts.country || !facts.sectors.empty() || !facts.hours.empty() ||
      !facts.artefacts.empty()) {
    Linked l{.type = facts.type,
             .value = facts.infrastructure ? *facts.infrastructure
                                           : (facts.country ? *facts.country : std::string()),
             .sectors = facts.sectors,
             .hours = facts.hours,
             .artefacts = facts.artefacts};
    linked_.emplace(facts.id, std::move(l));
  }
  return Status::Ok();
}

Status KnowledgeBase::Finalize() {
  if (finalized_) return Status::Ok();
  technique_keys_.clear();
  software_keys_.clear();
  group_keys_.clear();
  incidents_.clear();
  dangling_ = 0;
  for (auto& g : groups_) g.techniques.clear(), g.software.clear(), g.incidents.clear();
  for (auto& s : software_) s.techniques.clear(), s.groups.clear();
  for (auto& t : techniques_) t.children.clear(), t.parent = kNone;

  for (std::uint32_t i = 0; i < techniques_.size(); ++i) {
    const auto& t = techniques_[i];
    technique_keys_.emplace(t.stix_id, i);
    if (!t.external_id.empty()) technique_keys_.emplace(AsciiLower(t.external_id), i);
  }
  for (std::uint32_t i = 0; i < techniques_.size(); ++i) {  // names after ids: ids win
    technique_keys_.emplace(AsciiLower(techniques_[i].name), i);
    auto& t = techniques_[i];
    std::size_t dot = t.external_id.find('.');
    if (t.is_subtechnique && dot != std::string::npos) {
      auto it = technique_keys_.find(AsciiLower(t.external_id.substr(0, dot)));
      if (it != technique_keys_.end() && it->second != i) {
        t.parent = it->second;
        techniques_[it->second].children.push_back(i);
      }
    }
  }
  for (std::uint32_t i = 0; i < software_.size(); ++i) {
    software_keys_.emplace(software_[i].stix_id, i);
    if (!software_[i].external_id.empty()) {
      software_keys_.emplace(AsciiLower(software_[i].external_id), i);
    }
  }
  for (std::uint32_t i = 0; i < software_.size(); ++i) {
    software_keys_.emplace(AsciiLower(software_[i].name), i);
  }
  for (std::uint32_t i = 0; i < software_.size(); ++i) {
    for (const auto& a : software_[i].aliases) software_keys_.emplace(AsciiLower(a), i);
  }
  for (std::uint32_t i = 0; i < groups_.size(); ++i) {
    group_keys_.emplace(groups_[i].stix_id, i);
    if (!groups_[i].external_id.empty()) group_keys_.emplace(AsciiLower(groups_[i].external_id), i);
  }
  for (std::uint32_t i = 0; i < groups_.size(); ++i)
    group_keys_.emplace(AsciiLower(groups_[i].name), i);
  for (std::uint32_t i = 0; i < groups_.size(); ++i) {
    for (const auto& a : groups_[i].aliases) group_keys_.emplace(AsciiLower(a), i);
  }

  auto find_exact = [](const std::unordered_map<std::string, std::uint32_t>& m,
                       const std::string& id) -> std::uint32_t {
    auto it = m.find(id);
    return it == m.end() ? kNone : it->second;
  };
  std::unordered_map<std::string, std::uint32_t> incident_index;
  for (std::uint32_t i = 0; i < pending_incidents_.size(); ++i) {
    const auto& p = pending_incidents_[i];
    HistoricIncident h;
    h.stix_id = p.stix_id;
    h.name = p.name;
    h.activity_hours = p.activity_hours;
    h.artefacts = p.artefacts;
    incident_index.emplace(p.stix_id, i);
    incidents_.push_back(std::move(h));
  }
  // Links of each incident: refs it holds plus relationships touching it.
  std::vector<std::vector<std::string>> links(incidents_.size());
  for (std::uint32_t i = 0; i < pending_incidents_.size(); ++i)
    links[i] = pending_incidents_[i].refs;

  for (const auto& r : relationships_) {
    std::uint32_t si = kNone;
    if (r.type == "uses") {
      if ((si = find_exact(group_keys_, r.source)) != kNone) {
        std::uint32_t t = find_exact(technique_keys_, r.target);
        std::uint32_t s = find_exact(software_keys_, r.target);
        if (t != kNone) {
          groups_[si].techniques.push_back(t);
        } else if (s != kNone) {
          groups_[si].software.push_back(s);
        } else {
          ++dangling_;
        }
        continue;
      }
      if ((si = find_exact(software_keys_, r.source)) != kNone) {
        std::uint32_t t = find_exact(technique_keys_, r.target);
        if (t != kNone) {
          software_[si].techniques.push_back(t);
        } else {
          ++dangling_;
        }
        continue;
      }
    }
    auto inc_src = incident_index.find(r.source);
    auto inc_dst = incident_index.find(r.target);
    if (r.type == "attributed-to" && inc_src != incident_index.end()) {
      std::uint32_t g = find_exact(group_keys_, r.target);
      if (g == kNone) {
        ++dangling_;
      } else {
        incidents_[inc_src->second].groups.push_back(g);
      }
      continue;
    }
    if (inc_src != incident_index.end()) links[inc_src->second].push_back(r.target);
    if (inc_dst != incident_index.end()) links[inc_dst->second].push_back(r.source);
  }
  for (std::uint32_t i = 0; i < incidents_.size(); ++i) {
    auto& h = incidents_[i];
    for (const auto& ref : links[i]) {
      if (auto t = find_exact(technique_keys_, ref); t != kNone) {
        h.techniques.push_back(t);
        continue;
      }
      if (auto s = find_exact(software_keys_, ref); s != kNone) {
        h.software.push_back(s);
        continue;
      }
      if (auto g = find_exact(group_keys_, ref); g != kNone) continue;  // mention, not attribution
      auto it = linked_.find(ref);
      if (it == linked_.end()) {
        ++dangling_;
        continue;
      }
      const Linked& l = it->second;
      if (l.type == "location") {
        if (!l.value.empty()) h.countries.push_back(l.value);
      } else if (l.type == "identity") {
        h.sectors.insert(h.sectors.end(), l.sectors.begin(), l.sectors.end());
      } else if (!l.value.empty()) {
        h.infrastructure.push_back(l.value);
      }
      h.activity_hours.insert(h.activity_hours.end(), l.hours.begin(), l.hours.end());
      h.artefacts.insert(h.artefacts.end(), l.artefacts.begin(), l.artefacts.end());
    }
    SortUnique(h.groups);
    SortUnique(h.techniques);
    SortUnique(h.software);
    for (std::uint32_t g : h.groups) groups_[g].incidents.push_back(i);
  }
  for (std::uint32_t gi = 0; gi < groups_.size(); ++gi) {
    SortUnique(groups_[gi].techniques);
    SortUnique(groups_[gi].software);
    for (std::uint32_t s : groups_[gi].software) software_[s].groups.push_back(gi);
  }
  for (auto& s : software_) SortUnique(s.techniques), SortUnique(s.groups);
  finalized_ = true;
  return Status::Ok();
}

std::optional<std::uint32_t> KnowledgeBase::FindTechnique(std::string_view key) const {
  auto it = technique_keys_.find(AsciiLower(key));
  if (it == technique_keys_.end()) return std::nullopt;
  return it->second;
}
std::optional<std::uint32_t> KnowledgeBase::FindSoftware(std::string_view key) const {
  auto it = software_keys_.find(AsciiLower(key));
  if (it == software_keys_.end()) return std::nullopt;
  return it->second;
}
std::optional<std::uint32_t> KnowledgeBase::FindGroup(std::string_view key) const {
  auto it = group_keys_.find(AsciiLower(key));
  if (it == group_keys_.end()) return std::nullopt;
  return it->second;
}

Result<std::uint32_t> KnowledgeBase::ResolveTechnique(std::string_view key) const {
  if (auto i = FindTechnique(key)) return *i;
  return NotFoundWithHint("ATT&CK technique", key, technique_keys_);
}
Result<std::uint32_t> KnowledgeBase::ResolveSoftware(std::string_view key) const {
  if (auto i = FindSoftware(key)) return *i;
  return NotFoundWithHint("software", key, software_keys_);
}
Result<std::uint32_t> KnowledgeBase::ResolveGroup(std::string_view key) const {
  if (auto i = FindGroup(key)) return *i;
  return NotFoundWithHint("group", key, group_keys_);
}

}  // namespace entente::attribute

namespace entente::attribute {

std::vector<std::string> DefaultKnowledgeBasePaths(std::string_view exe_dir) {
  std::vector<std::string> out;
  if (const char* env = std::getenv("ENTENTE_KB"); env != nullptr && *env != '\0') {
    out.emplace_back(env);
  }
  std::string dir(exe_dir);
  if (!dir.empty()) {
    out.push_back(dir + "/../share/entente/attack/attack-enterprise-kb.json");
    out.push_back(dir + "/data/attack/attack-enterprise-kb.json");
  }
#ifdef ENTENTE_SOURCE_DATA_DIR
  out.push_back(std::string(ENTENTE_SOURCE_DATA_DIR) + "/attack/attack-enterprise-kb.json");
#endif
  return out;
}

std::string ModelPathFor(std::string_view kb_path) {
  std::size_t slash = kb_path.rfind('/');
  std::string dir = slash == std::string_view::npos ? "." : std::string(kb_path.substr(0, slash));
  return dir + "/../attribute/model.json";
}

}  // namespace entente::attribute
