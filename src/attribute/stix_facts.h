// Internal: what one STIX object says that attribution can use, shared by the knowledge base
// (history of attributed incidents) and the incident-bundle reader (evidence).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"

namespace entente::attribute::internal {

struct ObjectFacts {
  std::string type;
  std::string id;
  std::optional<std::string> infrastructure;  // normalised key
  std::optional<std::string> country;         // location country, upper case
  std::vector<std::string> sectors;           // identity sectors, lower case
  std::vector<int> hours;                     // UTC activity hours from observation times
  std::vector<std::string> artefacts;         // mutex names, x_entente_artefacts
  std::optional<std::string> admiralty;       // "B2" if the object carries a grading
};

// Whether `type` is a container an attribution case starts from.
bool IsIncidentLike(std::string_view type) noexcept;

ObjectFacts ReadFacts(json::Node object, std::size_t max_string_bytes);

// Refs an object points to (object_refs, sighting_of_ref, where_sighted_refs,
// observed_data_refs), capped at `max_refs`. False if the cap was hit.
bool CollectRefs(json::Node object, std::size_t max_refs, std::vector<std::string>& out);

// Hour (0-23, UTC) of a STIX timestamp, or nullopt if it does not parse.
std::optional<int> HourOf(std::string_view timestamp);

}  // namespace entente::attribute::internal
