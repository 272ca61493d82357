#include "entente/detect/stored.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/base/uuid.h"
#include "entente/pattern/anchors.h"
#include "entente/pattern/ast.h"
#include "entente/stix/markings.h"
#include "entente/stix/validate.h"

namespace entente::detect {
namespace {

constexpr std::size_t kMaxSamples = 20;
constexpr std::size_t kMaxValuesPerSighting = 100;

std::int64_t TimestampMs(std::string_view text, std::int64_t fallback) {
  if (text.empty()) return fallback;
  auto t = ParseTimestamp(text);
  return t.ok() ? t->micros() / 1000 : fallback;
}

std::string TlpName(json::Node markings) {
  int best = -1;
  for (auto [k, m] : markings) {
    if (auto tlp = stix::TlpOfMarking(m.str()); tlp && static_cast<int>(*tlp) > best) {
      best = static_cast<int>(*tlp);
    }
  }
  static const char* kNames[] = {"clear", "green", "amber", "amber+strict", "red"};
  return best < 0 ? std::string() : kNames[best];
}

// Where an anchor goes in the index.
Status AddAnchor(IndexBuilder& builder, const pattern::Anchor& a, MetaId meta) {
  using K = pattern::AnchorKind;
  switch (a.kind) {
    case K::kIpv4:
      return a.is_cidr ? builder.AddCidr(a.value, meta)
                       : builder.Add(ObservableType::kIpv4, a.value, meta);
    case K::kIpv6:
      return a.is_cidr ? builder.AddCidr(a.value, meta)
                       : builder.Add(ObservableType::kIpv6, a.value, meta);
    case K::kDomain:
      return builder.Add(ObservableType::kDomain, a.value, meta);
    case K::kUrl:
      return builder.Add(ObservableType::kUrl, a.value, meta);
    case K::kEmail:
      return builder.Add(ObservableType::kEmail, a.value, meta);
    case K::kHash: {
      std::string_view scope = a.scope;
      if (scope.ends_with("MD5")) return builder.Add(ObservableType::kMd5, a.value, meta);
      if (scope.ends_with("SHA-1")) return builder.Add(ObservableType::kSha1, a.value, meta);
      if (scope.ends_with("SHA-256")) return builder.Add(ObservableType::kSha256, a.value, meta);
      return builder.AddOther(a.scope, a.value, meta);
    }
    default:
      return builder.AddOther(a.scope, a.value, meta);
  }
}

// Pages through the latest objects of some types.
template <typename Fn>
Status ForEachLatest(store::Store& store, std::vector<std::string> types, Fn&& fn) {
  store::Query q;
  q.types = std::move(types);
  q.limit = 5000;
  for (;;) {
    ENTENTE_ASSIGN_OR_RETURN(store::Page page, store.Find(q));
    for (const auto& obj : page.objects) ENTENTE_RETURN_IF_ERROR(fn(obj));
    if (!page.more) return Status::Ok();
    q.cursor = page.next;
  }
}

}  // namespace

Status AddStoredIndicators(store::Store& store, IndexBuilder& builder,
                           StoredIndicatorStats* stats) {
  StoredIndicatorStats local;
  StoredIndicatorStats& st = stats != nullptr ? *stats : local;
  json::Document doc;
  auto sample = [&st](std::string s) {
    if (st.samples.size() < kMaxSamples) st.samples.push_back(std::move(s));
  };
  return ForEachLatest(store, {"indicator"}, [&](const store::StoredObject& obj) -> Status {
    ++st.indicators;
    if (!doc.Parse(obj.json).ok())
      return Status::Corruption("stored object " + obj.id + " is not JSON");
    json::Node o = doc.root();
    if (o["pattern_type"].str() != "stix") {
      ++st.not_stix;
      return Status::Ok();
    }
    auto parsed = pattern::Parse(o["pattern"].str());
    if (!parsed.ok()) {
      ++st.invalid_patterns;
      sample(obj.id + ": " + parsed.status().message());
      return Status::Ok();
    }
    pattern::AnchorSet anchors = pattern::CompileAnchors(*parsed);
    if (!anchors.anchored) {
      ++st.unanchored;
      sample(obj.id + ": not indexable: " + anchors.reason);
      return Status::Ok();
    }
    IndicatorMeta meta;
    meta.ref = obj.id;
    meta.valid_from_ms = TimestampMs(o["valid_from"].str(), meta.valid_from_ms);
    meta.valid_until_ms = TimestampMs(o["valid_until"].str(), meta.valid_until_ms);
    meta.revoked = o["revoked"].boolean();
    if (auto c = o["confidence"].as_int64()) meta.confidence = static_cast<int>(*c);
    meta.tlp = TlpName(o["object_marking_refs"]);
    MetaId id = builder.AddMeta(meta);
    bool any = false;
    for (const auto& a : anchors.anchors) {
      Status s = AddAnchor(builder, a, id);
      if (s.ok()) {
        ++st.values;
        any = true;
      } else {
        sample(obj.id + ": " + s.message());
      }
    }
    any ? ++st.anchored : ++st.unanchored;
    return Status::Ok();
  });
}

// ---- sightings ------------------------------------------------------------------------------

SightingRecorder::SightingRecorder(std::string where_sighted_ref, std::optional<Timestamp> now)
    : where_(std::move(where_sighted_ref)), now_ms_(now.value_or(Now()).micros() / 1000) {}

void SightingRecorder::Add(const Hit& hit) {
  std::int64_t at = now_ms_;
  if (!hit.ts.empty()) {
    // Zeek ts: seconds since the epoch with a fraction ("1325264525.123456").
    double secs = 0;
    auto [p, ec] = std::from_chars(hit.ts.data(), hit.ts.data() + hit.ts.size(), secs);
    if (ec == std::errc() && std::isfinite(secs) && secs > 1e8 &&
        secs < 1e10) {  // wall-clock times only
      at = static_cast<std::int64_t>(secs * 1000);
    }
  }
  for (const IndicatorMeta* m : hit.indicators) {
    if (!m->ref.starts_with("indicator--")) continue;
    Seen& s = by_indicator_[m->ref];
    ++s.count;
    s.first_ms = std::min(s.first_ms, at);
    s.last_ms = std::max(s.last_ms, at);
    if (s.values.size() < kMaxValuesPerSighting) s.values.emplace(hit.value, hit.type);
  }
}

namespace {

// The SCO for an observed value, with its deterministic id; empty for types without one.
json::Value ScoFor(const std::string& value, ObservableType type) {
  json::Value sco = json::Value::MakeObject();
  const char* sco_type = nullptr;
  switch (type) {
    case ObservableType::kIpv4:
      sco_type = "ipv4-addr";
      break;
    case ObservableType::kIpv6:
      sco_type = "ipv6-addr";
      break;
    case ObservableType::kDomain:
      sco_type = "domain-name";
      break;
    case ObservableType::kUrl:
      sco_type = "url";
      break;
    case ObservableType::kEmail:
      sco_type = "email-addr";
      break;
    case ObservableType::kMd5:
    case ObservableType::kSha1:
    case ObservableType::kSha256:
      sco_type = "file";
      break;
    default:
      return json::Value();
  }
  sco.set("type", sco_type);
  sco.set("spec_version", "2.1");
  sco.set("id", "");
  if (std::string_view(sco_type) == "file") {
    const char* algo = type == ObservableType::kMd5    ? "MD5"
                       : type == ObservableType::kSha1 ? "SHA-1"
                                                       : "SHA-256";
    std::string lower = value;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    sco.set("hashes", json::Value::MakeObject({{algo, json::Value(lower)}}));
  } else {
    sco.set("value", value);
  }
  std::string text = sco.Serialize();
  json::Document doc;
  if (!doc.Parse(text).ok()) return json::Value();
  sco.set("id", stix::ComputeScoId(doc.root()));
  return sco;
}

Status PutValue(store::WriteBatch& batch, const json::Value& v) {
  std::string text = v.Serialize();
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text));
  stix::ObjectHeader h;
  ENTENTE_RETURN_IF_ERROR(stix::Validator().Check(doc.root(), &h));
  auto put = batch.Put(h, text);
  if (!put.ok() && put.status().code() != ErrorCode::kConflict) return put.status();
  return Status::Ok();
}

}  // namespace

Result<std::size_t> SightingRecorder::Write(store::Store& store) {
  if (by_indicator_.empty()) return std::size_t{0};
  // Sighting ids are derived from the observation (who saw which indicator, over which window,
  // how often, which values), so scanning the same log again records nothing new instead of
  // counting the same activity twice.
  static const Uuid kSightingNamespace = [] {
    Uuid ns{};
    ParseUuid("3f0e6c52-8d1b-4c7a-9e55-6b2d1f7a0c41", ns);
    return ns;
  }();
  ENTENTE_ASSIGN_OR_RETURN(auto batch, store.BeginBatch());
  std::string now = FormatTimestamp(Timestamp::FromMicros(now_ms_ * 1000), 3);
  std::size_t written = 0;
  for (const auto& [indicator, seen] : by_indicator_) {
    std::string first = FormatTimestamp(Timestamp::FromMicros(seen.first_ms * 1000), 3);
    std::string last = FormatTimestamp(Timestamp::FromMicros(seen.last_ms * 1000), 3);
    std::string key =
        where_ + "|" + indicator + "|" + first + "|" + last + "|" + std::to_string(seen.count);
    for (const auto& [value, type] : seen.values) key += "|" + value;
    const std::string sighting_id = "sighting--" + UuidToString(UuidV5(kSightingNamespace, key));
    if (store.Get(sighting_id).ok()) continue;  // recorded by an earlier scan of the same log
    ++written;
    json::Value refs = json::Value::MakeArray();
    for (const auto& [value, type] : seen.values) {
      json::Value sco = ScoFor(value, type);
      if (sco.is_null() || sco.find("id")->str().empty()) continue;
      refs.push_back(*sco.find("id"));
      ENTENTE_RETURN_IF_ERROR(PutValue(*batch, sco));
    }
    json::Value sighting = json::Value::MakeObject();
    sighting.set("type", "sighting");
    sighting.set("spec_version", "2.1");
    sighting.set("id", sighting_id);
    if (!where_.empty()) sighting.set("created_by_ref", where_);
    sighting.set("created", now);
    sighting.set("modified", now);
    sighting.set("first_seen", first);
    sighting.set("last_seen", last);
    sighting.set("count",
                 static_cast<std::int64_t>(std::min<std::uint64_t>(seen.count, 999999999)));
    sighting.set("sighting_of_ref", indicator);
    if (refs.size() > 0) {
      json::Value od = json::Value::MakeObject();
      std::string od_id =
          "observed-data--" + UuidToString(UuidV5(kSightingNamespace, "observed-data|" + key));
      od.set("type", "observed-data");
      od.set("spec_version", "2.1");
      od.set("id", od_id);
      if (!where_.empty()) od.set("created_by_ref", where_);
      od.set("created", now);
      od.set("modified", now);
      od.set("first_observed", first);
      od.set("last_observed", last);
      od.set("number_observed",
             static_cast<std::int64_t>(std::clamp<std::uint64_t>(seen.count, 1, 999999999)));
      od.set("object_refs", std::move(refs));
      ENTENTE_RETURN_IF_ERROR(PutValue(*batch, od));
      sighting.set("observed_data_refs", json::Value::MakeArray({json::Value(od_id)}));
    }
    if (!where_.empty())
      sighting.set("where_sighted_refs", json::Value::MakeArray({json::Value(where_)}));
    ENTENTE_RETURN_IF_ERROR(PutValue(*batch, sighting));
  }
  ENTENTE_RETURN_IF_ERROR(batch->Commit());
  return written;
}

// ---- correlation ------------------------------------------------------------------------------

namespace {

// The canonical text of a value for posting lists: the index's normalisation, so "EVIL.example."
// and "evil.example" meet.
std::string CanonicalValue(std::string_view value, std::string* type_name) {
  InferredValue inferred = InferType(value);
  if (inferred.type != ObservableType::kOther && !inferred.is_cidr) {
    auto key = CanonicalKey(inferred.type, value);
    if (key.ok()) {
      if (type_name) *type_name = ObservableTypeName(inferred.type);
      return std::string(ObservableTypeName(inferred.type)) + ":" + KeyToText(inferred.type, *key);
    }
  }
  if (type_name) *type_name = "other";
  return "other:" + std::string(value);
}

}  // namespace

Result<Correlator> Correlator::Build(store::Store& store, std::size_t cap) {
  Correlator c;
  c.cap_ = cap;
  json::Document doc;
  auto post = [&c](const std::string& value, const std::string& object_id) {
    std::string type;
    std::string key = CanonicalValue(value, &type);
    auto& list = c.postings_[key];
    if (list.empty() || list.back() != object_id) list.push_back(object_id);
    c.value_types_[key] = type;
    c.values_of_[object_id].push_back(key);
  };
  // Indicators: the values of their pattern anchors.
  ENTENTE_RETURN_IF_ERROR(
      ForEachLatest(store, {"indicator"}, [&](const store::StoredObject& obj) -> Status {
        if (!doc.Parse(obj.json).ok()) return Status::Ok();
        c.creator_[obj.id] = std::string(doc.root()["created_by_ref"].str());
        if (doc.root()["pattern_type"].str() != "stix") return Status::Ok();
        auto parsed = pattern::Parse(doc.root()["pattern"].str());
        if (!parsed.ok()) return Status::Ok();
        for (const auto& a : pattern::CompileAnchors(*parsed).anchors) post(a.value, obj.id);
        return Status::Ok();
      }));
  // Observables.
  ENTENTE_RETURN_IF_ERROR(
      ForEachLatest(store, {"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file"},
                    [&](const store::StoredObject& obj) -> Status {
                      if (!doc.Parse(obj.json).ok()) return Status::Ok();
                      json::Node o = doc.root();
                      if (o["value"].is_string()) post(std::string(o["value"].str()), obj.id);
                      for (auto [algo, h] : o["hashes"]) post(std::string(h.str()), obj.id);
                      return Status::Ok();
                    }));
  // Containers and what they hold (observed-data holds SCOs; reports, groupings hold anything;
  // incidents hold what relationships tie to them).
  ENTENTE_RETURN_IF_ERROR(
      ForEachLatest(store, {"report", "grouping", "observed-data", "note", "opinion"},
                    [&](const store::StoredObject& obj) -> Status {
                      if (!doc.Parse(obj.json).ok()) return Status::Ok();
                      c.creator_[obj.id] = std::string(doc.root()["created_by_ref"].str());
                      for (auto [k, ref] : doc.root()["object_refs"]) {
                        c.members_of_[obj.id].emplace_back(ref.str());
                        c.containers_of_[std::string(ref.str())].push_back(obj.id);
                      }
                      return Status::Ok();
                    }));
  ENTENTE_RETURN_IF_ERROR(ForEachLatest(
      store, {"relationship", "sighting"}, [&](const store::StoredObject& obj) -> Status {
        if (!doc.Parse(obj.json).ok()) return Status::Ok();
        json::Node o = doc.root();
        std::string target(o["target_ref"].str()), source(o["source_ref"].str());
        if (target.starts_with("incident--") && !source.empty()) {
          c.members_of_[target].push_back(source);
          c.containers_of_[source].push_back(target);
        }
        if (source.starts_with("incident--") && !target.empty()) {
          c.members_of_[source].push_back(target);
          c.containers_of_[target].push_back(source);
        }
        std::string of(o["sighting_of_ref"].str());
        for (auto [k, od] : o["observed_data_refs"]) {
          // A sighting ties what was observed to the indicator it matched.
          c.containers_of_[std::string(od.str())].push_back(of);
        }
        return Status::Ok();
      }));
  for (auto& [key, list] : c.postings_) {
    if (list.size() > cap) c.over_[key] = list.size();
  }
  return c;
}

Result<Correlation> Correlator::Lookup(std::string_view value) const {
  Correlation out;
  out.value = std::string(value);
  std::string key = CanonicalValue(value, &out.type);
  auto it = postings_.find(key);
  if (it == postings_.end()) return Status::NotFound("nothing stored names " + std::string(value));
  out.total = it->second.size();
  out.capped = out.total > cap_;
  std::set<std::string> containers, creators;
  for (std::size_t i = 0; i < it->second.size() && i < cap_; ++i) {
    const std::string& id = it->second[i];
    out.objects.push_back(id);
    // Up two levels: SCO -> observed-data -> report; indicator -> report.
    std::vector<std::string> frontier = {id};
    for (int depth = 0; depth < 2; ++depth) {
      std::vector<std::string> next;
      for (const auto& f : frontier) {
        auto c = containers_of_.find(f);
        if (c == containers_of_.end()) continue;
        for (const auto& holder : c->second) {
          if (holder.starts_with("report--") || holder.starts_with("grouping--") ||
              holder.starts_with("incident--")) {
            containers.insert(holder);
          }
          next.push_back(holder);
        }
      }
      frontier = std::move(next);
    }
    if (auto cr = creator_.find(id); cr != creator_.end() && !cr->second.empty())
      creators.insert(cr->second);
  }
  for (const auto& c : containers) {
    if (auto cr = creator_.find(c); cr != creator_.end() && !cr->second.empty())
      creators.insert(cr->second);
  }
  out.containers.assign(containers.begin(), containers.end());
  out.creators.assign(creators.begin(), creators.end());
  return out;
}

Result<std::map<std::string, std::vector<std::string>>> Correlator::SharedWith(
    std::string_view container_id) const {
  auto members = members_of_.find(std::string(container_id));
  if (members == members_of_.end())
    return Status::NotFound(std::string(container_id) + " holds no objects");
  // Values of the container's members, one level down (observed-data -> SCOs) included.
  std::set<std::string> values;
  std::vector<std::string> frontier = members->second;
  for (int depth = 0; depth < 2; ++depth) {
    std::vector<std::string> next;
    for (const auto& m : frontier) {
      if (auto v = values_of_.find(m); v != values_of_.end())
        values.insert(v->second.begin(), v->second.end());
      if (auto inner = members_of_.find(m); inner != members_of_.end()) {
        next.insert(next.end(), inner->second.begin(), inner->second.end());
      }
    }
    frontier = std::move(next);
  }
  std::map<std::string, std::vector<std::string>> shared;
  for (const auto& key : values) {
    if (over_.contains(key)) continue;  // over-correlating values prove nothing; reported apart
    std::size_t colon = key.find(':');
    auto corr = Lookup(key.substr(colon + 1));
    if (!corr.ok()) continue;
    for (const auto& c : corr->containers) {
      if (c != container_id) shared[c].push_back(key.substr(colon + 1));
    }
  }
  return shared;
}

}  // namespace entente::detect
