#include "entente/attribute/evidence.h"

#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "stix_facts.h"

namespace entente::attribute {

Result<Admiralty> Admiralty::Parse(std::string_view text) {
  if (text.size() != 2) {
    return Status::InvalidArgument(
        "Admiralty grading must be a letter A-F and a digit 1-6, got \"" +
        std::string(text.substr(0, 16)) + "\"");
  }
  char r = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  char c = text[1];
  if (r < 'A' || r > 'F' || c < '1' || c > '6') {
    return Status::InvalidArgument(
        "Admiralty grading must be a letter A-F and a digit 1-6, got \"" + std::string(text) +
        "\"");
  }
  return Admiralty{r, c - '0'};
}

std::string Admiralty::ToString() const {
  return std::string{reliability, static_cast<char>('0' + credibility)};
}

double Admiralty::Weight() const noexcept {
  static constexpr double kReliability[] = {1.0, 0.85, 0.7, 0.45, 0.25, 0.6};  // A..F
  static constexpr double kCredibility[] = {1.0, 0.85, 0.7, 0.45, 0.25, 0.6};  // 1..6
  int r = reliability - 'A';
  int c = credibility - 1;
  if (r < 0 || r > 5 || c < 0 || c > 5) return 0.36;
  return kReliability[r] * kCredibility[c];
}

std::string_view EvidenceKindName(EvidenceKind kind) noexcept {
  switch (kind) {
    case EvidenceKind::kTechnique:
      return "technique";
    case EvidenceKind::kSoftware:
      return "software";
    case EvidenceKind::kInfrastructure:
      return "infrastructure";
    case EvidenceKind::kSector:
      return "sector";
    case EvidenceKind::kCountry:
      return "country";
    case EvidenceKind::kActivityHour:
      return "activity_hour";
    case EvidenceKind::kArtefact:
      return "artefact";
  }
  return "unknown";
}

bool Evidence::Add(EvidenceItem item) {
  for (auto& e : items) {
    bool same = e.kind == item.kind &&
                ((e.kind == EvidenceKind::kTechnique || e.kind == EvidenceKind::kSoftware)
                     ? e.index == item.index
                     : e.key == item.key);
    if (!same) continue;
    if (item.Weight() > e.Weight()) {
      e.grading = item.grading;
      e.provenance = item.provenance;
    }
    return false;
  }
  items.push_back(std::move(item));
  return true;
}

std::size_t Evidence::Count(EvidenceKind kind) const noexcept {
  std::size_t n = 0;
  for (const auto& e : items) n += e.kind == kind;
  return n;
}

Result<Evidence> EvidenceFromBundle(json::Node root, const KnowledgeBase& kb,
                                    std::optional<Admiralty> default_grading,
                                    std::vector<std::string>* unresolved,
                                    const IncidentLimits& limits) {
  json::Node objects = root;
  if (root.is_object()) {
    if (root["type"].str() != "bundle") {
      return Status::InvalidArgument("incident: expected a STIX bundle or an array of objects");
    }
    objects = root["objects"];
  }
  if (!objects.is_array()) {
    return Status::InvalidArgument("incident: \"objects\" is not an array");
  }
  if (objects.size() > limits.max_objects) {
    return Status::LimitExceeded("incident bundle has " + std::to_string(objects.size()) +
                                 " objects, more than " + std::to_string(limits.max_objects));
  }
  // Pass 1: index the objects, find the container.
  std::unordered_map<std::string_view, json::Node> by_id;
  json::Node container;
  std::size_t index = 0;
  for (auto [k, o] : objects) {
    (void)k;
    if (!o.is_object() || !o["type"].is_string() || !o["id"].is_string()) {
      return Status::InvalidArgument("incident: objects[" + std::to_string(index) +
                                     "] is not a STIX object with type and id");
    }
    by_id.emplace(o["id"].str(), o);
    if (container.missing() && internal::IsIncidentLike(o["type"].str())) container = o;
    ++index;
  }
  Evidence ev;
  std::optional<Admiralty> base = default_grading;
  std::vector<std::string_view> members;
  if (!container.missing()) {
    ev.incident_id = std::string(container["id"].str().substr(0, limits.max_string_bytes));
    auto facts = internal::ReadFacts(container, limits.max_string_bytes);
    if (facts.admiralty) {
      auto g = Admiralty::Parse(*facts.admiralty);
      if (!g.ok()) return g.status().WithContext(ev.incident_id);
      base = *g;
    }
    std::vector<std::string> refs;
    if (!internal::CollectRefs(container, limits.max_items, refs)) {
      return Status::LimitExceeded("incident: too many object_refs");
    }
    std::unordered_set<std::string_view> seen;
    auto add_member = [&](std::string_view id) {
      auto it = by_id.find(id);
      if (it == by_id.end()) return;
      if (seen.insert(it->first).second) members.push_back(it->first);
    };
    for (const auto& r : refs) add_member(r);
    std::string_view cid = container["id"].str();
    for (auto [k, o] : objects) {
      (void)k;
      if (o["type"].str() != "relationship") continue;
      std::string_view rt = o["relationship_type"].str();
      if (rt == "attributed-to") continue;  // a claim to assess, not evidence
      std::string_view src = o["source_ref"].str(), dst = o["target_ref"].str();
      if (src == cid) add_member(dst);
      if (dst == cid) add_member(src);
    }
    members.push_back(cid);  // its own hours and artefacts
  } else {
    std::unordered_set<std::string_view> seen;
    for (auto [k, o] : objects) {
      (void)k;
      if (seen.insert(o["id"].str()).second) members.push_back(o["id"].str());
    }
  }

  for (std::string_view id : members) {
    json::Node o = by_id[id];
    auto facts = internal::ReadFacts(o, limits.max_string_bytes);
    std::optional<Admiralty> grading = base;
    if (facts.admiralty && o.raw().data() != container.raw().data()) {
      auto g = Admiralty::Parse(*facts.admiralty);
      if (!g.ok()) return g.status().WithContext(facts.id);
      grading = *g;
    }
    auto add = [&](EvidenceKind kind, std::uint32_t idx, std::string key) -> Status {
      if (ev.items.size() >= limits.max_items) {
        return Status::LimitExceeded("incident: more than " + std::to_string(limits.max_items) +
                                     " evidence items");
      }
      ev.Add(EvidenceItem{kind, idx, std::move(key), facts.id, grading});
      return Status::Ok();
    };
    const std::string& type = facts.type;
    if (type == "attack-pattern" || type == "malware" || type == "tool") {
      bool technique = type == "attack-pattern";
      std::optional<std::uint32_t> hit =
          technique ? kb.FindTechnique(facts.id) : kb.FindSoftware(facts.id);
      if (!hit) {
        for (auto [k, ref] : o["external_references"]) {
          (void)k;
          if (ref["source_name"].str() != "mitre-attack") continue;
          hit = technique ? kb.FindTechnique(ref["external_id"].str())
                          : kb.FindSoftware(ref["external_id"].str());
          if (hit) break;
        }
      }
      if (!hit && o["name"].is_string()) {
        hit = technique ? kb.FindTechnique(o["name"].str()) : kb.FindSoftware(o["name"].str());
      }
      if (!hit) {
        if (unresolved) {
          unresolved->push_back(facts.id + " (" + std::string(o["name"].str().substr(0, 200)) +
                                ")");
        }
        continue;
      }
      std::string label =
          technique ? kb.techniques()[*hit].external_id : kb.software()[*hit].external_id;
      ENTENTE_RETURN_IF_ERROR(
          add(technique ? EvidenceKind::kTechnique : EvidenceKind::kSoftware, *hit, label));
      continue;
    }
    // Detection results: indicators (and what sighted them) whose labels name a malware
    // family, as scanner hits and shared feeds carry them ("mt:simda", "emotet").
    if (type == "indicator" || type == "sighting" || type == "observed-data" ||
        type == "malware-analysis") {
      for (auto [k, label] : o["labels"]) {
        (void)k;
        std::string_view l = label.str();
        for (std::string_view prefix : {"mt:", "malware:", "family:", "malware-family:"}) {
          if (l.starts_with(prefix)) {
            l.remove_prefix(prefix.size());
            break;
          }
        }
        if (auto hit = kb.FindSoftware(l)) {
          ENTENTE_RETURN_IF_ERROR(
              add(EvidenceKind::kSoftware, *hit, kb.software()[*hit].external_id));
        }
      }
    }
    if (facts.infrastructure) {
      ENTENTE_RETURN_IF_ERROR(add(EvidenceKind::kInfrastructure, kNone, *facts.infrastructure));
    }
    if (facts.country) ENTENTE_RETURN_IF_ERROR(add(EvidenceKind::kCountry, kNone, *facts.country));
    for (auto& s : facts.sectors) ENTENTE_RETURN_IF_ERROR(add(EvidenceKind::kSector, kNone, s));
    for (int h : facts.hours) {
      ENTENTE_RETURN_IF_ERROR(add(EvidenceKind::kActivityHour, kNone, std::to_string(h)));
    }
    for (auto& a : facts.artefacts) ENTENTE_RETURN_IF_ERROR(add(EvidenceKind::kArtefact, kNone, a));
  }
  return ev;
}

}  // namespace entente::attribute
