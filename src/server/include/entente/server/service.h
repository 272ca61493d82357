// The node's HTTP API: TAXII 2.1 for intelligence exchange, a JSON REST API for everything
// else, and operations endpoints. NodeService::Handle is the HttpServer's handler.
//
//   /taxii2/                                     TAXII discovery
//   /{root}/ , /{root}/collections/...           TAXII 2.1 API root (docs/TAXII.md)
//   /{root}/status/{id}/                         status of a POST
//   /api/v1/...                                  REST API (docs/openapi.json)
//   /metrics  /healthz  /readyz                  Prometheus text, liveness, readiness
//
// Every request but /healthz, /readyz and /metrics is authenticated; every operation is
// checked against the caller's role (AccessPolicy::Allowed) and every object returned is
// checked with AccessPolicy::CanRead. An object the caller may not read is indistinguishable
// from one that does not exist (404, or absent from a page).
//
// Threading: Handle() is called concurrently; the store and the policy must be thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "entente/server/access.h"
#include "entente/server/http_server.h"
#include "entente/store/store.h"

namespace entente::server {

// A TAXII collection is a sharing scope: a view over the node's store with a filter. Writes
// into a collection must satisfy its filter (a bilateral collection only takes objects
// marked for it), so what is written is what is read back.
struct CollectionConfig {
  std::string id;  // UUID
  std::string title;
  std::string description;
  // The scope a caller's token must hold to see the collection at all. Each object in it is
  // still judged in its own scope (x_entente_scope, else community): a collection can narrow
  // what a caller sees, never widen it. "" = any caller.
  std::string scope;
  bool can_read = true;
  bool can_write = false;
  std::vector<std::string> types;  // only these object types (empty: all)
  std::string marking;             // only objects carrying this marking-definition id
  std::string label;               // only objects with this label
};

// Something that happened that the transparency log should record (share = accepted object).
struct Event {
  std::string kind;          // "share" (an object version accepted) or "delete"
  std::string actor;         // the caller's STIX identity (else the user name)
  std::string subject;       // STIX id
  std::string version;       // its version ("" for SCOs)
  std::string payload_hash;  // "sha256:<hex>" of the stored object text ("" for delete)
};

class StaticSite;

struct ServiceOptions {
  std::string title = "Entente node";
  std::string description;
  std::string contact;
  std::string api_root = "api";  // TAXII API root path segment
  std::size_t max_page = 1000;   // TAXII page size cap (and default limit)
  std::size_t max_content_length = 64u << 20;
  std::size_t max_statuses = 10000;  // POST status resources kept (most recent)
  // ... and at most this many bytes of them: a status lists every object of its envelope, so a
  // count alone would let 10 000 large envelopes hold gigabytes.
  std::size_t max_status_bytes = 8u << 20;
  std::vector<CollectionConfig> collections;
  std::string openapi_json;                                  // served at /api/v1/openapi.json
  std::function<void(const std::vector<Event>&)> on_events;  // e.g. append to the ledger
  bool access_log = false;                                   // one JSON line per request on stderr
  bool public_metrics = false;  // /metrics without a token (else: an admin token)
  // The dashboard's files (dashboard.h), served at every path outside the APIs; not owned,
  // must outlive the service. Null: those paths are 404.
  const StaticSite* dashboard = nullptr;
  int max_event_streams = 64;  // open GET /api/v1/events streams; more are 503
  // More Prometheus text appended to /metrics (e.g. federation counters); thread-safe.
  std::function<std::string()> extra_metrics;
};

// A route of the REST API added by a higher layer (detect, attribute, respond, ledger).
struct RestRequest {
  const HttpRequest& http;
  const Principal& caller;
  std::string_view path;  // after /api/v1
  std::map<std::string, std::string, std::less<>> query;
};
using RestHandler = std::function<HttpResponse(const RestRequest&)>;

class NodeService {
 public:
  NodeService(store::Store& store, AccessPolicy& access, ServiceOptions options);
  ~NodeService();

  HttpResponse Handle(const HttpRequest& request, const ConnectionInfo& connection);

  // Adds a REST route: requests to /api/v1{prefix}... with `method` go to `handler` after the
  // caller holds `op`. Routes are matched longest prefix first. Call before serving.
  void AddRoute(http::verb method, std::string prefix, Operation op, RestHandler handler);

  // Whether `principal` may read the latest version of object `id` (false if it is absent).
  // For routes that return ids from derived structures (correlation, scan hits).
  bool Readable(const Principal& principal, std::string_view id);

  // Validates and stores one STIX object on behalf of `caller`, through the same path as a
  // TAXII or REST write: its events reach ServiceOptions::on_events (so the transparency log
  // records it). For routes that create objects (proposals, votes). kInvalidArgument naming the
  // object and the rule it broke; storing an identical version again is not an error.
  Status StoreObject(const Principal& caller, std::string_view object_json);

  // Server counters for /metrics (set once the HttpServer exists).
  void SetServerStats(std::function<ServerStats()> stats);

  // Readiness: false until set; /readyz answers 503 meanwhile.
  void SetReady(bool ready) { ready_ = ready; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> ready_{true};
};

// JSON error object of the REST API: {"error":{"code":"not_found","message":"..."}}, with
// the HTTP status derived from the Status code (docs/API.md lists them).
HttpResponse RestError(const Status& status, unsigned version = 11);
HttpResponse RestJson(http::status status, std::string body, unsigned version = 11);

}  // namespace entente::server
