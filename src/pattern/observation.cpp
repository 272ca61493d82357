// Loading observations (observed-data + SCOs) from STIX JSON.
#include <string>
#include <utility>

#include "entente/pattern/evaluator.h"

namespace entente::pattern {
namespace {

std::string_view TypeOf(const json::Value& v) {
  const json::Value* t = v.find("type");
  return t && t->is_string() ? std::string_view(t->str()) : std::string_view();
}

std::string NameOf(const json::Value& v) {
  const json::Value* id = v.find("id");
  if (id && id->is_string()) return id->str();
  return "observed-data";
}

Result<Timestamp> TimeMember(const json::Value& obj, std::string_view key) {
  const json::Value* t = obj.find(key);
  std::string where = NameOf(obj) + " " + std::string(key);
  if (!t || !t->is_string()) return Status::InvalidArgument(where + ": missing or not a string");
  return ParseTimestamp(t->str(), where);
}

}  // namespace

const json::Value* ObservationSet::Resolve(const Observation& obs, std::string_view ref) const {
  if (!obs.local.empty()) {
    auto it = obs.local.find(std::string(ref));
    if (it != obs.local.end()) return it->second;
  }
  if (!obs.ids) return nullptr;
  auto it = obs.ids->find(std::string(ref));
  return it == obs.ids->end() ? nullptr : it->second;
}

Status ObservationSet::AddJson(std::string_view json_text, const LoadLimits& limits) {
  ENTENTE_ASSIGN_OR_RETURN(json::Value parsed, json::Value::Parse(json_text, limits.json));
  auto root = std::make_unique<json::Value>(std::move(parsed));

  // Collect the STIX objects: bundle, array of bundles/objects, or one object.
  std::vector<const json::Value*> objects;
  auto take = [&](const json::Value& v) -> Status {
    if (!v.is_object()) return Status::InvalidArgument("expected a STIX object or bundle");
    if (TypeOf(v) == "bundle") {
      const json::Value* list = v.find("objects");
      if (!list) return Status::Ok();
      if (!list->is_array()) return Status::InvalidArgument("bundle objects is not an array");
      for (const auto& o : list->array()) {
        if (o.is_object()) objects.push_back(&o);
      }
    } else {
      objects.push_back(&v);
    }
    return Status::Ok();
  };
  if (root->is_array()) {
    for (const auto& e : root->array()) ENTENTE_RETURN_IF_ERROR(take(e));
  } else {
    ENTENTE_RETURN_IF_ERROR(take(*root));
  }

  auto table = std::make_unique<IdTable>();
  for (const json::Value* o : objects) {
    const json::Value* id = o->find("id");
    if (id && id->is_string()) table->emplace(id->str(), o);
  }
  std::vector<Observation> added;
  std::size_t unresolved = 0;
  for (const json::Value* o : objects) {
    if (TypeOf(*o) != "observed-data") continue;
    if (observations_.size() + added.size() >= limits.max_observations) {
      return Status::LimitExceeded("more than " + std::to_string(limits.max_observations) +
                                   " observations");
    }
    Observation obs;
    obs.id = NameOf(*o);
    obs.ids = table.get();
    ENTENTE_ASSIGN_OR_RETURN(obs.first_observed, TimeMember(*o, "first_observed"));
    ENTENTE_ASSIGN_OR_RETURN(obs.last_observed, TimeMember(*o, "last_observed"));
    if (obs.last_observed < obs.first_observed) {
      return Status::InvalidArgument(obs.id + ": last_observed is before first_observed");
    }
    if (const json::Value* n = o->find("number_observed")) {
      auto count = n->as_int64();
      if (!count || *count < 1) {
        return Status::InvalidArgument(obs.id + ": number_observed must be a positive integer");
      }
      obs.number_observed = *count;
    }
    if (const json::Value* refs = o->find("object_refs"); refs && refs->is_array()) {
      for (const auto& r : refs->array()) {
        if (!r.is_string()) continue;
        auto it = table->find(r.str());
        if (it == table->end()) {
          ++unresolved;
          continue;
        }
        obs.objects.push_back(it->second);
      }
    } else if (const json::Value* embedded = o->find("objects");
               embedded && embedded->is_object()) {
      for (const auto& [key, value] : embedded->object()) {
        if (!value.is_object()) continue;
        obs.local.emplace(key, &value);
        obs.objects.push_back(&value);
      }
    }
    for (const json::Value* sco : obs.objects) obs.types.push_back(TypeOf(*sco));
    added.push_back(std::move(obs));
  }
  for (auto& obs : added) observations_.push_back(std::move(obs));
  unresolved_refs_ += unresolved;
  tables_.push_back(std::move(table));
  roots_.push_back(std::move(root));
  return Status::Ok();
}

void ObservationSet::AddObservation(std::string id, Timestamp first_observed,
                                    Timestamp last_observed, std::int64_t number_observed,
                                    std::vector<json::Value> scos) {
  Observation obs;
  obs.id = std::move(id);
  obs.first_observed = first_observed;
  obs.last_observed = last_observed;
  obs.number_observed = number_observed < 1 ? 1 : number_observed;
  for (auto& sco : scos) {
    owned_.push_back(std::make_unique<json::Value>(std::move(sco)));
    const json::Value* p = owned_.back().get();
    if (const json::Value* sid = p->find("id"); sid && sid->is_string()) {
      obs.local.emplace(sid->str(), p);
    }
    obs.objects.push_back(p);
    obs.types.push_back(TypeOf(*p));
  }
  observations_.push_back(std::move(obs));
}

}  // namespace entente::pattern
