// STIX 2.0 -> 2.1 upgrade of single objects, applied at ingest so the store holds 2.1 only.
#pragma once

#include <string>

#include "entente/base/json.h"
#include "entente/base/status.h"

namespace entente::stix {

// Whether an object is STIX 2.0: an SDO, SRO or marking-definition without spec_version, or
// one that says "2.0". SCOs never carry a version in 2.0 and need none in 2.1.
bool IsStix20(json::Node object) noexcept;

// The 2.1 form of a 2.0 object, following the upgrade rules of the 2.1 specification
// (appendix on changes from 2.0) as the OASIS elevator applies them to single objects:
// spec_version "2.1"; `labels` of indicator, malware, report, threat-actor, tool become
// indicator_types, malware_types, report_types, threat_actor_types, tool_types; malware gets
// is_family true; indicator gets pattern_type "stix"; identity `identity_class` kept;
// timestamps without milliseconds padded to ".000"; everything else kept as it was.
json::Value UpgradeToStix21(json::Node object);

}  // namespace entente::stix
