// What the node serves for its browser dashboard: the static production build, the live
// events stream, and the aggregates the views need. docs/DASHBOARD.md describes the views.
//
// Nothing here is a second path to data: every object that reaches a response has passed
// AccessPolicy::CanRead for the caller, exactly as on the TAXII and REST read paths, and an
// object the caller may not read contributes nothing (not even to a count).
//
// Conventions read from stored objects (docs/DASHBOARD.md, "Situation"):
//   member state  x_entente_member_state on the object, else on the identity it was created
//                 by (sightings: the first where_sighted_refs identity, else the creator);
//   sector        x_entente_sector on the object, else the first `sectors` of that identity;
//   severity      x_entente_severity (a level name or number) on incidents;
//   TLP           the TLP marking among object_marking_refs ("" when unmarked).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/json.h"
#include "entente/base/status.h"
#include "entente/server/access.h"
#include "entente/server/http_server.h"
#include "entente/store/store.h"

namespace entente::server {

// ---- static files -------------------------------------------------------------------------------

// The Content-Security-Policy sent with every dashboard file: scripts, styles, fonts, images
// and API calls from the node itself only (the build bundles fonts and map data), no inline
// script, no framing, no plugins, no form posts, no <base> rewriting.
inline constexpr std::string_view kDashboardCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

// Serves the files under one directory (the dashboard's production build) read-only.
// A request path maps to a regular file under the root: "/" is index.html; a path with a
// segment that is empty, starts with '.', holds '%', '\\', NUL or a control character, or
// that resolves (symbolic links included) outside the root is 404, like a missing file; only
// GET and HEAD (405 otherwise). Content types come from the extension (unknown:
// application/octet-stream, with nosniff). Files under assets/ have content-hashed names and
// are cached for a year (immutable); everything else is revalidated (no-cache, ETag).
// Files over 32 MiB are refused (404). Each request reads the file from disk.
// Threading: Serve() is const and may be called concurrently.
class StaticSite {
 public:
  // InvalidArgument if `root` is not a directory or has no index.html.
  static Result<std::unique_ptr<StaticSite>> Open(const std::filesystem::path& root);

  HttpResponse Serve(const HttpRequest& request, std::string_view path) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  explicit StaticSite(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;  // canonical
};

// Content type for a file name by its extension ("index.html" -> "text/html; charset=utf-8").
std::string_view ContentTypeFor(std::string_view file_name) noexcept;

// ---- situation ----------------------------------------------------------------------------------

struct SituationQuery {
  std::int64_t since_us = 0;  // objects whose version (modified) is at or after this
  std::size_t max_incidents = 10'000;
  std::size_t max_sightings = 100'000;
  std::size_t top = 10;  // entries in the top indicators / actors lists
};

// The situation picture for `caller`: every readable incident and sighting modified since
// `since_us`, as compact rows (for the browser's filters), and aggregates over them: per
// member state, per day (UTC), per sector, the top sighted indicators and the top actors that
// recent attributed-to relationships name. Shape (docs/DASHBOARD.md):
//   {"since","generated","incidents":[{"id","name","day","state","sector","severity","tlp"}],
//    "sightings":[{"id","day","state","sector","tlp","indicator","count"}],
//    "by_state":{...},"by_day":{...},"by_sector":{...},
//    "top_indicators":[{"id","name","sightings"}],"top_actors":[{"id","name","incidents"}],
//    "truncated":bool}, as JSON text.
// Cost: one pass over the incidents, sightings and relationships modified since `since_us`
// (one JSON parse and read check each) plus one lookup per distinct creator identity and per
// listed top entry. Rows beyond the maxima are counted in the aggregates but not listed
// ("truncated": true).
Result<std::string> Situation(store::Store& store, AccessPolicy& access, const Principal& caller,
                              const SituationQuery& query);

// Objects that mention any of `ids` (at most 200; notes, opinions, sightings, relationships,
// reports, groupings by default; `types` overrides), readable by `caller`, newest first, at
// most `limit`, the objects themselves excluded. For the incident view: its sightings,
// attribution notes, relationships and opinions, and what its evidence is shared with.
// Cost: one pass over the stored objects of those types (a substring test per id before any
// parse), whatever the number of ids.
Result<std::vector<store::StoredObject>> Referrers(store::Store& store, AccessPolicy& access,
                                                   const Principal& caller,
                                                   const std::vector<std::string>& ids,
                                                   std::vector<std::string> types,
                                                   std::size_t limit);

// ---- live events --------------------------------------------------------------------------------

// A server-sent events stream of the objects stored after a point (by date_added, so it sees
// every write path: TAXII, REST, scans, federation, other processes on the same store). Each
// poll reads at most `kMaxPerPoll` new versions, checks each with CanRead for the caller, and
// sends one event per readable object:
//   id: <date_added microseconds>\nevent: object\ndata: {"id","type","date_added","name",
//   "row":{situation row, for incidents and sightings}}\n\n
// and a comment line every 15 s so that proxies keep the connection. A reconnecting client
// sends Last-Event-ID to resume. `subscribers` counts open streams (decremented on
// destruction); the service refuses new ones above its bound.
class EventStream : public BodyStream {
 public:
  static constexpr std::size_t kMaxPerPoll = 500;
  EventStream(store::Store& store, AccessPolicy& access, std::shared_ptr<const Principal> caller,
              std::int64_t after_us, std::shared_ptr<std::atomic<int>> subscribers);
  ~EventStream() override;
  std::optional<std::string> Next() override;

 private:
  store::Store& store_;
  AccessPolicy& access_;
  std::shared_ptr<const Principal> caller_;
  std::int64_t after_us_;
  std::shared_ptr<std::atomic<int>> subscribers_;
  bool opened_ = false;
  std::int64_t last_sent_us_ = 0;  // steady clock, for keep-alive comments
};

}  // namespace entente::server
