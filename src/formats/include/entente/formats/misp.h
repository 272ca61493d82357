// MISP event JSON <-> STIX 2.1, following the conventions of the MISP project's own converter
// (misp-stix) so that bundles we produce read the same in MISP, OpenCTI and other consumers.
//
// What maps to what (the full table is docs/MISP.md):
//   Event          -> report (published) or grouping (unpublished), identity for the Orgc
//   Attribute      -> observed-data + SCOs; plus indicator (pattern) and a based-on
//                     relationship when to_ids; campaign / vulnerability SDOs for those types;
//                     x-misp-attribute (custom object) for types without a STIX equivalent
//   Object         -> the same for the templates we know; x-misp-object otherwise
//   ObjectReference-> relationship (id: UUIDv5 of "source - type - target", as misp-stix)
//   Tag            -> labels; tlp:* tags -> TLP 2.0 marking-definitions
//   distribution   -> a custom statement marking-definition per level / sharing group
//   Galaxy cluster -> attack-pattern, intrusion-set, malware, threat-actor, tool, ...
//   Sighting       -> sighting (type 0) or opinion "strongly-disagree" (type 1, false positive)
//
// Inputs accepted by MispToStix: {"Event": {...}}, a bare event object, {"response": [events]},
// a JSON array of events (wrapped or bare), {"response": {"Attribute": [...]}} (an attribute
// collection) and {"response": [{"Object": {...}}, ...]} (an object collection).
//
// Costs: one pass over the input DOM; each STIX object is built, handed to the sink and
// released. Besides the caller's DOM, the streaming form keeps per event 16 bytes per
// attribute/object uuid (duplicate detection), 24 bytes per emitted id (the report's
// object_refs) and a uuid -> STIX id entry only for uuids that an ObjectReference names.
// A 150k-attribute event: docs/BENCHMARKS.md. Thread-safe: no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/base/time.h"

namespace entente::formats {

// Hard limits applied to hostile input; exceeding one fails with kLimitExceeded naming the
// event uuid (and attribute/object uuid) and the limit.
struct MispLimits {
  std::size_t max_events = 100'000;                  // per input document
  std::size_t max_attributes_per_event = 2'000'000;  // Attribute + attributes inside Objects
  std::size_t max_objects_per_event = 500'000;
  std::size_t max_value_bytes = 16u << 20;  // one attribute value (attachments are base64)
  std::size_t max_tags_per_item = 1'000;
  std::size_t max_references_per_object = 10'000;
};

struct MispOptions {
  MispLimits limits;
  // Emit a custom marking-definition for the MISP distribution level of the event and of each
  // attribute/object that carries one (docs/MISP.md, "Distribution markings").
  bool distribution_markings = true;
  // Used for objects whose MISP input has no timestamp at all (otherwise the event timestamp,
  // then the item's own, are used). Unset: the current time.
  std::optional<Timestamp> now;
};

// Per-conversion figures, for logs, tests and the CLI.
struct MispStats {
  std::size_t events = 0;
  std::size_t attributes = 0;  // including those inside objects
  std::size_t objects = 0;
  std::size_t stix_objects = 0;
  std::size_t custom_objects = 0;  // x-misp-attribute / x-misp-object / x-misp-galaxy-cluster
  // Attributes/objects whose uuid repeats one already converted in the same event: MISP does
  // not allow that, so the first wins and the repeats are skipped (and counted here).
  std::size_t duplicates_skipped = 0;
  // ObjectReferences whose target is not in the event (kept out of the output).
  std::size_t unresolved_references = 0;
};

// Receives each STIX object as soon as it is complete. Returning an error stops the conversion
// and is passed back to the caller unchanged.
using StixSink = std::function<Status(json::Value&& stix_object)>;

// Converts MISP JSON to STIX objects, streaming them to `sink` in a stable order (identity,
// markings, then per attribute/object, the report last for each event). Fails with
// kInvalidArgument when the input is not MISP or an item is malformed (the message names the
// event uuid, the item uuid and the field), kLimitExceeded past `options.limits`.
Status MispToStixStream(json::Node misp_json, const MispOptions& options, const StixSink& sink,
                        MispStats* stats = nullptr);

// The same, collected into one STIX 2.1 bundle {"type":"bundle","id":...,"objects":[...]}.
// The bundle id is a UUIDv5 of the event uuids, so equal input gives an equal bundle.
Result<json::Value> MispToStix(json::Node misp_json, const MispOptions& options = {},
                               MispStats* stats = nullptr);

// Converts a STIX 2.1 bundle (as produced by MispToStix, or by misp-stix) back to one MISP
// event {"Event": {...}}. The report/grouping gives the event; indicators, observed-data and
// custom objects labelled with misp:type / misp:name give attributes and objects; relationships
// between them give ObjectReferences; TLP markings give tlp: tags; galaxy SDOs give Galaxy
// clusters. Objects it cannot read are skipped and counted in the "x_entente_skipped" member
// of the event. Fails with kInvalidArgument when `bundle` is not a bundle.
Result<json::Value> StixToMisp(json::Node bundle);

// Cheap structural test used by `entente ingest` to route a file to MispToStix: true for the
// input shapes listed above, false for STIX bundles and anything else.
bool LooksLikeMisp(json::Node root) noexcept;

}  // namespace entente::formats
