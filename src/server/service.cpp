#include "entente/server/service.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <deque>
#include <optional>
#include <unordered_map>

#include <openssl/evp.h>

#include "entente/base/bytes.h"
#include "entente/base/time.h"
#include "entente/base/uuid.h"
#include "entente/formats/misp.h"
#include "entente/server/dashboard.h"
#include "entente/stix/upgrade.h"
#include "entente/stix/validate.h"
#include "query.h"

namespace entente::server {
namespace {

constexpr std::string_view kTaxiiType = "application/taxii+json;version=2.1";
constexpr std::string_view kStixType = "application/stix+json;version=2.1";
constexpr std::string_view kJsonType = "application/json";
// A page request may look at this many stored objects the caller cannot read before it
// answers with a short page and a cursor: a caller entitled to nothing cannot make one
// request scan the whole store.
constexpr std::size_t kMaxScannedPerPage = 50'000;

// "sha256:<hex>" of an accepted object, once per object written. OpenSSL 3's one-shot
// EVP_Digest(EVP_sha256()) fetches the algorithm on every call, which cost as much as the hash
// of a typical object: one fetched EVP_MD for the process and one context per thread instead.
std::string Sha256Tag(std::string_view text) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (md == nullptr || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &n) != 1) {
    // Only without a working OpenSSL; the slow path still gives the right answer or fails.
    n = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &n, EVP_sha256(), nullptr) != 1) n = 0;
  }
  return "sha256:" + HexEncode(ByteView(digest, n));
}

std::string ActorOf(const Principal& p) { return p.identity_ref.empty() ? p.user : p.identity_ref; }

std::string DateAdded(std::int64_t us) { return FormatTimestamp(Timestamp::FromMicros(us), 6); }

// Route classes for metrics (fixed, so counting needs no lock).
enum class RouteClass : std::uint8_t {
  kDiscovery,
  kTaxiiRead,
  kTaxiiWrite,
  kRestRead,
  kRestWrite,
  kOps,
  kOther,
  kCount
};
constexpr std::array<std::string_view, static_cast<std::size_t>(RouteClass::kCount)> kRouteNames = {
    "taxii_discovery", "taxii_read", "taxii_write", "rest_read", "rest_write", "ops", "other"};
constexpr std::array<double, 12> kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                    0.01,   0.025,   0.05,   0.1,   0.5,    2.5};

struct Metrics {
  std::array<std::array<std::atomic<std::uint64_t>, 6>,
             static_cast<std::size_t>(RouteClass::kCount)>
      by_class{};  // [route][1xx..5xx] index status/100
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency{};
  std::atomic<std::uint64_t> latency_sum_us{0};
  std::atomic<std::uint64_t> latency_count{0};
  std::atomic<std::uint64_t> objects_ingested{0};
  std::atomic<std::uint64_t> objects_rejected{0};
  std::atomic<std::uint64_t> objects_served{0};
  std::atomic<std::uint64_t> objects_withheld{0};  // not readable by the caller
  std::atomic<std::uint64_t> auth_failures{0};
  std::atomic<std::uint64_t> forbidden{0};
};

struct Route {
  http::verb method;
  std::string prefix;
  Operation op;
  RestHandler handler;
};

struct Collected {
  std::vector<store::StoredObject> objects;
  bool more = false;
  std::string next;
};

struct StatusResource {
  std::string id;
  std::string json;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Does a media-type header value name `type` (version parameter, if any, must be 2.1)?
bool MediaTypeMatches(std::string_view header, std::string_view type) {
  std::string h = Lower(header);
  std::size_t pos = 0;
  while (pos <= h.size()) {
    std::size_t comma = h.find(',', pos);
    std::string_view item(h.data() + pos, (comma == std::string::npos ? h.size() : comma) - pos);
    pos = comma == std::string::npos ? h.size() + 1 : comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::size_t semi = item.find(';');
    std::string_view base = item.substr(0, semi);
    while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
    if (base != type) continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = item.substr(semi + 1);
    std::size_t v = params.find("version=");
    if (v == std::string_view::npos) return true;
    std::string_view version = params.substr(v + 8);
    version = version.substr(0, version.find(';'));
    while (!version.empty() && version.back() == ' ') version.remove_suffix(1);
    if (version == "2.1") return true;
  }
  return false;
}

http::status HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return http::status::ok;
    case ErrorCode::kInvalidArgument:
      return http::status::bad_request;
    case ErrorCode::kNotFound:
      return http::status::not_found;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict:
      return http::status::conflict;
    case ErrorCode::kLimitExceeded:
      return http::status::payload_too_large;
    case ErrorCode::kPermissionDenied:
      return http::status::forbidden;
    case ErrorCode::kUnauthenticated:
      return http::status::unauthorized;
    case ErrorCode::kUnavailable:
      return http::status::service_unavailable;
    case ErrorCode::kCryptoError:
      return http::status::unprocessable_entity;
    case ErrorCode::kUnsupported:
      return http::status::not_implemented;
    case ErrorCode::kCancelled:
      return http::status::service_unavailable;
    case ErrorCode::kIoError:
    case ErrorCode::kCorruption:
    case ErrorCode::kInternal:
      return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

}  // namespace

HttpResponse RestJson(http::status status, std::string body, unsigned version) {
  HttpResponse res{status, version};
  res.set(http::field::content_type, kJsonType);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

HttpResponse RestError(const Status& status, unsigned version) {
  json::Value err = json::Value::MakeObject();
  err.set("code", ErrorCodeName(status.code()));
  err.set("message", status.message());
  json::Value body = json::Value::MakeObject();
  body.set("error", std::move(err));
  auto res = RestJson(HttpStatusFor(status.code()), body.Serialize(), version);
  if (status.code() == ErrorCode::kUnauthenticated) {
    res.set(http::field::www_authenticate, "Bearer realm=\"entente\"");
  }
  return res;
}

struct NodeService::Impl {
  store::Store& store;
  AccessPolicy& access;
  ServiceOptions options;
  std::vector<Route> routes;
  Metrics metrics;
  std::function<ServerStats()> server_stats;
  stix::Validator validator;

  std::mutex status_mu;
  std::unordered_map<std::string, std::string> statuses;
  std::deque<std::string> status_order;
  std::size_t status_bytes = 0;  // of the texts in `statuses`

  std::mutex count_mu;
  std::chrono::steady_clock::time_point counted_at{};
  store::Counts counts;

  Impl(store::Store& s, AccessPolicy& a, ServiceOptions o)
      : store(s), access(a), options(std::move(o)) {}

  // ---- responses ----
  HttpResponse Taxii(http::status status, std::string body, unsigned version) const {
    HttpResponse res{status, version};
    res.set(http::field::content_type, kTaxiiType);
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(body);
    return res;
  }
  HttpResponse TaxiiError(http::status status, std::string_view title, std::string_view description,
                          unsigned version) const {
    json::Value v = json::Value::MakeObject();
    v.set("title", title);
    v.set("description", description);
    v.set("http_status", std::to_string(static_cast<int>(status)));
    auto res = Taxii(status, v.Serialize(), version);
    if (status == http::status::unauthorized) {
      res.set(http::field::www_authenticate, "Bearer realm=\"entente\"");
    }
    return res;
  }
  HttpResponse TaxiiError(const Status& s, unsigned version) const {
    http::status code = HttpStatusFor(s.code());
    std::string title = std::string(http::obsolete_reason(code));
    return TaxiiError(code, title, s.message(), version);
  }

  // ---- reading with access control ----
  Result<Collected> Collect(const Principal& caller, store::Query query, std::size_t limit) {
    Collected out;
    json::Document doc;
    std::size_t scanned = 0;
    for (;;) {
      std::size_t need = limit - out.objects.size();
      query.limit = std::clamp<std::size_t>(need, 1, 10000);
      ENTENTE_ASSIGN_OR_RETURN(store::Page page, store.Find(query));
      for (auto& object : page.objects) {
        ++scanned;
        if (!doc.Parse(object.json).ok() || !access.CanRead(caller, doc.root(), {})) {
          ++metrics.objects_withheld;
          continue;
        }
        out.objects.push_back(std::move(object));
      }
      query.cursor = page.next;
      if (!page.more) break;
      if (out.objects.size() >= limit || scanned >= kMaxScannedPerPage) {
        out.more = true;
        out.next = page.next;
        break;
      }
    }
    metrics.objects_served += out.objects.size();
    return out;
  }

  bool Readable(const Principal& caller, const store::StoredObject& object) {
    json::Document doc;
    return doc.Parse(object.json).ok() && access.CanRead(caller, doc.root(), {});
  }

  // ---- writing ----
  struct WriteOutcome {
    json::Value successes = json::Value::MakeArray();
    json::Value failures = json::Value::MakeArray();
    std::size_t total = 0;
  };

  // Validates and stores each object of `objects` (a JSON array node); per-object outcome, in
  // the order of the input. Objects are validated before the store's write batch is begun, so
  // concurrent writers (other connections, federation, the scanner's sightings) wait for the
  // store only while it writes, not while this request is checked.
  Result<WriteOutcome> WriteObjects(const Principal& caller, json::Node objects,
                                    const CollectionConfig* collection) {
    WriteOutcome out;
    struct Item {
      stix::ObjectHeader header;
      std::string_view text;  // into the request, or into `upgraded`
      bool valid = false;
      std::string id, version, error;  // a failure's
    };
    std::vector<Item> items;
    std::deque<std::string> upgraded_texts;  // STIX 2.0 objects, as 2.1 (stable addresses)
    std::deque<json::Document> upgraded;
    for (auto [unused, element] : objects) {
      (void)unused;
      Item& item = items.emplace_back();
      json::Node object = element;
      if (!object.is_object()) {
        item.error = "not a JSON object";
        continue;
      }
      if (stix::IsStix20(object)) {
        upgraded_texts.push_back(stix::UpgradeToStix21(object).Serialize());
        if (!upgraded.emplace_back().Parse(upgraded_texts.back()).ok()) {
          item.id = object["id"].str();
          item.error = "cannot upgrade STIX 2.0 object";
          continue;
        }
        object = upgraded.back().root();
      }
      if (Status s = validator.Check(object, &item.header); !s.ok()) {
        item.id = object["id"].str();
        item.version = object["modified"].str();
        item.error = s.message();
        continue;
      }
      if (collection != nullptr && !FitsCollection(*collection, item.header)) {
        item.id = item.header.id;
        item.version = store::VersionOf(item.header);
        item.error = "the object does not belong to collection '" + collection->title + "'";
        continue;
      }
      item.text = object.raw();
      item.valid = true;
    }

    std::vector<Event> events;
    std::vector<std::optional<store::PutOutcome>> puts(items.size());
    if (std::any_of(items.begin(), items.end(), [](const Item& i) { return i.valid; })) {
      ENTENTE_ASSIGN_OR_RETURN(auto batch, store.BeginBatch());
      for (std::size_t i = 0; i < items.size(); ++i) {
        Item& item = items[i];
        if (!item.valid) continue;
        auto put = batch->Put(item.header, item.text);
        if (!put.ok()) {
          item.id = item.header.id;
          item.version = store::VersionOf(item.header);
          item.error = put.status().message();
          item.valid = false;
          continue;
        }
        puts[i] = *put;
      }
      ENTENTE_RETURN_IF_ERROR(batch->Commit());
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const Item& item = items[i];
      ++out.total;
      if (!item.valid) {
        json::Value f = json::Value::MakeObject();
        f.set("id", item.id);
        if (!item.version.empty()) f.set("version", item.version);
        f.set("message", item.error);
        out.failures.push_back(std::move(f));
        ++metrics.objects_rejected;
        continue;
      }
      json::Value ok = json::Value::MakeObject();
      ok.set("id", item.header.id);
      std::string version(store::VersionOf(item.header));
      if (!version.empty()) ok.set("version", version);
      out.successes.push_back(std::move(ok));
      if (puts[i] == store::PutOutcome::kAdded) {
        events.push_back(Event{"share", ActorOf(caller), std::string(item.header.id), version,
                               Sha256Tag(item.text)});
      }
    }
    metrics.objects_ingested += events.size();
    if (options.on_events && !events.empty()) options.on_events(events);
    return out;
  }

  static bool FitsCollection(const CollectionConfig& c, const stix::ObjectHeader& h) {
    if (!c.types.empty() && std::find(c.types.begin(), c.types.end(), h.type) == c.types.end()) {
      return false;
    }
    if (!c.marking.empty()) {
      bool found = false;
      for (auto [k, m] : h.object_marking_refs) {
        (void)k;
        if (m.str() == c.marking) found = true;
      }
      if (!found) return false;
    }
    if (!c.label.empty()) {
      bool found = false;
      for (auto [k, l] : h.labels) {
        (void)k;
        if (l.str() == c.label) found = true;
      }
      if (!found) return false;
    }
    return true;
  }

  std::string RecordStatus(const WriteOutcome& w) {
    std::string id = UuidToString(UuidV4());
    json::Value s = json::Value::MakeObject();
    s.set("id", id);
    s.set("status", "complete");
    s.set("request_timestamp", FormatTimestamp(Now(), 6));
    s.set("total_count", static_cast<std::uint64_t>(w.total));
    s.set("success_count", static_cast<std::uint64_t>(w.successes.size()));
    s.set("successes", w.successes);
    s.set("failure_count", static_cast<std::uint64_t>(w.failures.size()));
    if (w.failures.size() > 0) s.set("failures", w.failures);
    s.set("pending_count", 0);
    std::string text = s.Serialize();
    std::lock_guard lock(status_mu);
    statuses[id] = text;
    status_order.push_back(id);
    status_bytes += text.size();
    while (status_order.size() > options.max_statuses ||
           (status_bytes > options.max_status_bytes && status_order.size() > 1)) {
      auto oldest = statuses.find(status_order.front());
      status_bytes -= oldest->second.size();
      statuses.erase(oldest);
      status_order.pop_front();
    }
    return text;
  }

  // ---- TAXII ----
  const CollectionConfig* FindCollection(std::string_view id) const {
    for (const auto& c : options.collections) {
      if (c.id == id) return &c;
    }
    return nullptr;
  }
  bool CollectionVisible(const Principal& caller, const CollectionConfig& c) const {
    return c.scope.empty() || caller.InScope(c.scope);
  }

  json::Value CollectionJson(const CollectionConfig& c) const {
    json::Value v = json::Value::MakeObject();
    v.set("id", c.id);
    v.set("title", c.title);
    if (!c.description.empty()) v.set("description", c.description);
    v.set("can_read", c.can_read);
    v.set("can_write", c.can_write);
    v.set("media_types", json::Value::MakeArray({json::Value(kStixType)}));
    return v;
  }

  std::string BaseUrl(const HttpRequest& req, const ConnectionInfo& conn) const {
    std::string host(req[http::field::host]);
    if (host.empty()) host = "127.0.0.1";
    return std::string(conn.tls ? "https://" : "http://") + host;
  }

  HttpResponse HandleTaxii(const HttpRequest& req, const ConnectionInfo& conn,
                           const Principal& caller, const std::vector<std::string_view>& segs,
                           const QueryParams& q);
  HttpResponse TaxiiObjects(const HttpRequest& req, const Principal& caller,
                            const CollectionConfig& c, const QueryParams& q, bool manifest);
  HttpResponse TaxiiObject(const HttpRequest& req, const Principal& caller,
                           const CollectionConfig& c, std::string_view id, const QueryParams& q);
  HttpResponse TaxiiVersions(const HttpRequest& req, const Principal& caller,
                             const CollectionConfig& c, std::string_view id, const QueryParams& q);
  HttpResponse TaxiiDelete(const HttpRequest& req, const Principal& caller,
                           const CollectionConfig& c, std::string_view id, const QueryParams& q);
  HttpResponse TaxiiPost(const HttpRequest& req, const Principal& caller,
                         const CollectionConfig& c);

  // Builds the store query of a TAXII request's filters (match[...], added_after, next).
  Result<store::Query> TaxiiQuery(const CollectionConfig& c, const QueryParams& q,
                                  std::size_t* limit, bool* none) const;

  // ---- REST ----
  HttpResponse HandleRest(const HttpRequest& req, const Principal& caller, std::string_view path,
                          const QueryParams& q);

  // ---- dashboard (dashboard.h): live events and aggregates ----
  std::shared_ptr<std::atomic<int>> event_streams = std::make_shared<std::atomic<int>>(0);
  HttpResponse HandleDashboardApi(const HttpRequest& req, const ConnectionInfo& conn,
                                  std::shared_ptr<const Principal> caller, std::string_view path,
                                  const QueryParams& q);

  // ---- ops ----
  HttpResponse MetricsText(unsigned version);
};

Result<store::Query> NodeService::Impl::TaxiiQuery(const CollectionConfig& c, const QueryParams& q,
                                                   std::size_t* limit, bool* none) const {
  store::Query query;
  *none = false;
  *limit = options.max_page;
  if (auto it = q.find("limit"); it != q.end()) {
    auto n = ParseInt(it->second);
    if (!n || *n <= 0)
      return Status::InvalidArgument("The limit parameter cannot be negative or zero.");
    *limit = std::min<std::size_t>(static_cast<std::size_t>(*n), options.max_page);
  }
  if (auto it = q.find("added_after"); it != q.end()) {
    auto t = ParseTimestamp(it->second, "added_after");
    if (!t.ok()) return t.status();
    query.added_after_us = t->nanos / 1000;
  }
  if (auto it = q.find("match[id]"); it != q.end()) query.ids = SplitList(it->second);
  query.types = c.types;
  if (auto it = q.find("match[type]"); it != q.end()) {
    auto wanted = SplitList(it->second);
    if (c.types.empty()) {
      query.types = wanted;
    } else {
      std::vector<std::string> both;
      for (const auto& t : wanted) {
        if (std::find(c.types.begin(), c.types.end(), t) != c.types.end()) both.push_back(t);
      }
      if (both.empty()) *none = true;
      query.types = both;
    }
  }
  query.marking = c.marking;
  query.label = c.label;
  query.versions = store::Versions::kLast;
  if (auto it = q.find("match[version]"); it != q.end()) {
    bool all = false, first = false, last = false;
    for (const auto& v : SplitList(it->second)) {
      if (v == "all") {
        all = true;
      } else if (v == "first") {
        first = true;
      } else if (v == "last") {
        last = true;
      } else if (IsValidTimestamp(v)) {
        query.exact_versions.push_back(v);
      } else {
        return Status::InvalidArgument("match[version]: '" + v +
                                       "' is not first, last, all or a timestamp");
      }
    }
    if (all || (first && last) || ((first || last) && !query.exact_versions.empty())) {
      query.versions = store::Versions::kAll;
      query.exact_versions.clear();
    } else if (first) {
      query.versions = store::Versions::kFirst;
    } else if (!query.exact_versions.empty()) {
      query.versions = store::Versions::kAll;
    }
  }
  if (auto it = q.find("match[spec_version]"); it != q.end()) {
    // The node stores 2.1 only (2.0 content is upgraded on the way in).
    auto versions = SplitList(it->second);
    if (std::find(versions.begin(), versions.end(), "2.1") == versions.end()) *none = true;
  }
  if (auto it = q.find("next"); it != q.end()) query.cursor = it->second;
  return query;
}

HttpResponse NodeService::Impl::TaxiiObjects(const HttpRequest& req, const Principal& caller,
                                             const CollectionConfig& c, const QueryParams& q,
                                             bool manifest) {
  std::size_t limit = 0;
  bool none = false;
  auto query = TaxiiQuery(c, q, &limit, &none);
  if (!query.ok()) return TaxiiError(query.status(), req.version());
  Collected got;
  if (!none) {
    auto r = Collect(caller, *query, limit);
    if (!r.ok()) return TaxiiError(r.status(), req.version());
    got = std::move(*r);
  }
  std::string body = "{\"more\":";
  body += got.more ? "true" : "false";
  if (got.more) {
    body += ",\"next\":";
    json::AppendQuoted(body, got.next);
  }
  if (!got.objects.empty()) {
    body += ",\"objects\":[";
    bool first = true;
    for (const auto& o : got.objects) {
      if (!first) body += ',';
      first = false;
      if (manifest) {
        body += "{\"id\":";
        json::AppendQuoted(body, o.id);
        body += ",\"date_added\":\"" + DateAdded(o.date_added_us) + "\",\"version\":";
        json::AppendQuoted(body, o.version.empty() ? DateAdded(o.date_added_us) : o.version);
        body += ",\"media_type\":\"application/stix+json;version=2.1\"}";
      } else {
        body += o.json;
      }
    }
    body += ']';
  }
  body += '}';
  auto res = Taxii(http::status::ok, std::move(body), req.version());
  if (!got.objects.empty()) {
    res.set("X-TAXII-Date-Added-First", DateAdded(got.objects.front().date_added_us));
    res.set("X-TAXII-Date-Added-Last", DateAdded(got.objects.back().date_added_us));
  }
  return res;
}

HttpResponse NodeService::Impl::TaxiiObject(const HttpRequest& req, const Principal& caller,
                                            const CollectionConfig& c, std::string_view id,
                                            const QueryParams& q) {
  if (!stix::IsIdentifier(id)) {
    return TaxiiError(http::status::not_found, "Not Found", "no such object", req.version());
  }
  // Existence first (a readable version of the object in this collection), then the filters.
  store::Query exists;
  exists.ids = {std::string(id)};
  exists.types = c.types;
  exists.marking = c.marking;
  exists.label = c.label;
  exists.versions = store::Versions::kAll;
  auto present = Collect(caller, exists, 1);
  if (!present.ok()) return TaxiiError(present.status(), req.version());
  if (present->objects.empty()) {
    return TaxiiError(http::status::not_found, "Not Found", "no such object in this collection",
                      req.version());
  }
  QueryParams scoped = q;
  scoped["match[id]"] = std::string(id);
  return TaxiiObjects(req, caller, c, scoped, false);
}

HttpResponse NodeService::Impl::TaxiiVersions(const HttpRequest& req, const Principal& caller,
                                              const CollectionConfig& c, std::string_view id,
                                              const QueryParams& q) {
  if (!stix::IsIdentifier(id)) {
    return TaxiiError(http::status::not_found, "Not Found", "no such object", req.version());
  }
  std::size_t limit = 0;
  bool none = false;
  QueryParams scoped = q;
  scoped.erase("match[version]");
  scoped["match[id]"] = std::string(id);
  auto query = TaxiiQuery(c, scoped, &limit, &none);
  if (!query.ok()) return TaxiiError(query.status(), req.version());
  query->versions = store::Versions::kAll;
  Collected got;
  if (!none) {
    auto r = Collect(caller, *query, limit);
    if (!r.ok()) return TaxiiError(r.status(), req.version());
    got = std::move(*r);
  }
  if (got.objects.empty() && !query->added_after_us && query->cursor.empty()) {
    return TaxiiError(http::status::not_found, "Not Found", "no such object in this collection",
                      req.version());
  }
  std::string body = "{\"more\":";
  body += got.more ? "true" : "false";
  if (got.more) {
    body += ",\"next\":";
    json::AppendQuoted(body, got.next);
  }
  if (!got.objects.empty()) {
    body += ",\"versions\":[";
    for (std::size_t i = 0; i < got.objects.size(); ++i) {
      if (i) body += ',';
      const auto& o = got.objects[i];
      json::AppendQuoted(body, o.version.empty() ? DateAdded(o.date_added_us) : o.version);
    }
    body += ']';
  }
  body += '}';
  auto res = Taxii(http::status::ok, std::move(body), req.version());
  if (!got.objects.empty()) {
    res.set("X-TAXII-Date-Added-First", DateAdded(got.objects.front().date_added_us));
    res.set("X-TAXII-Date-Added-Last", DateAdded(got.objects.back().date_added_us));
  }
  return res;
}

HttpResponse NodeService::Impl::TaxiiDelete(const HttpRequest& req, const Principal& caller,
                                            const CollectionConfig& c, std::string_view id,
                                            const QueryParams& q) {
  if (!access.Allowed(caller, Operation::kDelete) || !c.can_write) {
    ++metrics.forbidden;
    return TaxiiError(http::status::forbidden, "Forbidden",
                      "deleting objects needs the delete permission on a writable collection",
                      req.version());
  }
  if (!stix::IsIdentifier(id)) {
    return TaxiiError(http::status::not_found, "Not Found", "no such object", req.version());
  }
  std::size_t limit = 0;
  bool none = false;
  QueryParams scoped = q;
  scoped["match[id]"] = std::string(id);
  scoped.erase("limit");
  scoped.erase("next");
  auto query = TaxiiQuery(c, scoped, &limit, &none);
  if (!query.ok()) return TaxiiError(query.status(), req.version());
  if (q.find("match[version]") == q.end()) query->versions = store::Versions::kAll;
  auto got = Collect(caller, *query, 10000);
  if (!got.ok()) return TaxiiError(got.status(), req.version());
  if (none || got->objects.empty()) {
    return TaxiiError(http::status::not_found, "Not Found", "no such object in this collection",
                      req.version());
  }
  std::vector<std::string> versions;
  for (const auto& o : got->objects) versions.push_back(o.version);
  auto deleted = store.Delete(id, versions);
  if (!deleted.ok()) return TaxiiError(deleted.status(), req.version());
  if (options.on_events) {
    std::vector<Event> events;
    for (const auto& v : versions)
      events.push_back(Event{"delete", ActorOf(caller), std::string(id), v, ""});
    options.on_events(events);
  }
  return Taxii(http::status::ok, "{}", req.version());
}

HttpResponse NodeService::Impl::TaxiiPost(const HttpRequest& req, const Principal& caller,
                                          const CollectionConfig& c) {
  if (!access.Allowed(caller, Operation::kWriteIntel) || !c.can_write) {
    ++metrics.forbidden;
    return TaxiiError(http::status::forbidden, "Forbidden",
                      "this caller may not write to this collection", req.version());
  }
  if (!MediaTypeMatches(req[http::field::content_type], "application/taxii+json")) {
    return TaxiiError(http::status::unsupported_media_type, "Unsupported Media Type",
                      "Content-Type must be application/taxii+json;version=2.1", req.version());
  }
  if (req.body().size() > options.max_content_length) {
    return TaxiiError(http::status::payload_too_large, "Payload Too Large",
                      "the envelope exceeds max_content_length", req.version());
  }
  json::Document doc;
  json::ParseLimits limits;
  limits.max_depth = 64;
  if (Status s = doc.Parse(req.body(), limits); !s.ok()) {
    return TaxiiError(http::status::bad_request, "Bad Request", "malformed JSON: " + s.message(),
                      req.version());
  }
  json::Node objects = doc.root()["objects"];
  if (!doc.root().is_object() || !objects.is_array()) {
    return TaxiiError(http::status::unprocessable_entity, "ProcessingError",
                      "While processing supplied content, an error occurred: the body must be a "
                      "TAXII envelope with an \"objects\" array",
                      req.version());
  }
  auto written = WriteObjects(caller, objects, &c);
  if (!written.ok()) return TaxiiError(written.status(), req.version());
  return Taxii(http::status::accepted, RecordStatus(*written), req.version());
}

HttpResponse NodeService::Impl::HandleTaxii(const HttpRequest& req, const ConnectionInfo& conn,
                                            const Principal& caller,
                                            const std::vector<std::string_view>& segs,
                                            const QueryParams& q) {
  const unsigned v = req.version();
  bool get = req.method() == http::verb::get;
  auto method_not_allowed = [&] {
    return TaxiiError(http::status::method_not_allowed, "Method Not Allowed",
                      "this endpoint does not support " + std::string(req.method_string()), v);
  };
  if (segs.size() == 1 && segs[0] == "taxii2") {
    if (!get) return method_not_allowed();
    json::Value d = json::Value::MakeObject();
    d.set("title", options.title);
    if (!options.description.empty()) d.set("description", options.description);
    if (!options.contact.empty()) d.set("contact", options.contact);
    std::string root = BaseUrl(req, conn) + "/" + options.api_root + "/";
    d.set("default", root);
    d.set("api_roots", json::Value::MakeArray({json::Value(root)}));
    return Taxii(http::status::ok, d.Serialize(), v);
  }
  if (segs.empty() || segs[0] != options.api_root) {
    return TaxiiError(http::status::not_found, "Not Found", "no such API root", v);
  }
  if (segs.size() == 1) {
    if (!get) return method_not_allowed();
    json::Value r = json::Value::MakeObject();
    r.set("title", options.title);
    if (!options.description.empty()) r.set("description", options.description);
    r.set("versions", json::Value::MakeArray({json::Value(kTaxiiType)}));
    r.set("max_content_length", static_cast<std::uint64_t>(options.max_content_length));
    return Taxii(http::status::ok, r.Serialize(), v);
  }
  if (segs[1] == "status" && segs.size() == 3) {
    if (!get) return method_not_allowed();
    std::lock_guard lock(status_mu);
    auto it = statuses.find(std::string(segs[2]));
    if (it == statuses.end())
      return TaxiiError(http::status::not_found, "Not Found", "no such status", v);
    return Taxii(http::status::ok, it->second, v);
  }
  if (segs[1] != "collections")
    return TaxiiError(http::status::not_found, "Not Found", "no such resource", v);
  if (segs.size() == 2) {
    if (!get) return method_not_allowed();
    json::Value list = json::Value::MakeArray();
    for (const auto& c : options.collections) {
      if (CollectionVisible(caller, c)) list.push_back(CollectionJson(c));
    }
    json::Value body = json::Value::MakeObject();
    if (list.size() > 0) body.set("collections", std::move(list));
    return Taxii(http::status::ok, body.Serialize(), v);
  }
  const CollectionConfig* c = FindCollection(segs[2]);
  if (c == nullptr || !CollectionVisible(caller, *c)) {
    return TaxiiError(http::status::not_found, "Not Found", "no such collection", v);
  }
  if (segs.size() == 3) {
    if (!get) return method_not_allowed();
    return Taxii(http::status::ok, CollectionJson(*c).Serialize(), v);
  }
  bool reading = req.method() != http::verb::post;
  if (reading && !c->can_read) {
    ++metrics.forbidden;
    return TaxiiError(http::status::forbidden, "Forbidden", "this collection cannot be read", v);
  }
  if (segs[3] == "manifest" && segs.size() == 4) {
    if (!get) return method_not_allowed();
    return TaxiiObjects(req, caller, *c, q, true);
  }
  if (segs[3] != "objects")
    return TaxiiError(http::status::not_found, "Not Found", "no such resource", v);
  if (segs.size() == 4) {
    if (get) return TaxiiObjects(req, caller, *c, q, false);
    if (req.method() == http::verb::post) return TaxiiPost(req, caller, *c);
    return method_not_allowed();
  }
  if (segs.size() == 5) {
    if (get) return TaxiiObject(req, caller, *c, segs[4], q);
    if (req.method() == http::verb::delete_) return TaxiiDelete(req, caller, *c, segs[4], q);
    return method_not_allowed();
  }
  if (segs.size() == 6 && segs[5] == "versions") {
    if (!get) return method_not_allowed();
    return TaxiiVersions(req, caller, *c, segs[4], q);
  }
  return TaxiiError(http::status::not_found, "Not Found", "no such resource", v);
}

// ---- REST -------------------------------------------------------------------------------------

namespace {

std::string ObjectsBody(const Collected& got) {
  std::string body = "{\"objects\":[";
  for (std::size_t i = 0; i < got.objects.size(); ++i) {
    if (i) body += ',';
    body += got.objects[i].json;
  }
  body += "],\"more\":";
  body += got.more ? "true" : "false";
  if (got.more) {
    body += ",\"next\":";
    json::AppendQuoted(body, got.next);
  }
  body += '}';
  return body;
}

}  // namespace

HttpResponse NodeService::Impl::HandleRest(const HttpRequest& req, const Principal& caller,
                                           std::string_view path, const QueryParams& q) {
  const unsigned v = req.version();
  const bool get = req.method() == http::verb::get;
  auto forbid = [&](Operation op) {
    ++metrics.forbidden;
    return RestError(
        Status::PermissionDenied("role does not allow '" + std::string(OperationName(op)) + "'"),
        v);
  };
  // Routes added by higher layers first: they may refine the core ones.
  const Route* best = nullptr;
  for (const auto& r : routes) {
    if (r.method != req.method()) continue;
    if (path.substr(0, r.prefix.size()) != r.prefix) continue;
    if (path.size() > r.prefix.size() && path[r.prefix.size()] != '/' && r.prefix.back() != '/') {
      continue;
    }
    if (best == nullptr || r.prefix.size() > best->prefix.size()) best = &r;
  }
  if (best != nullptr) {
    if (!access.Allowed(caller, best->op)) return forbid(best->op);
    RestRequest rr{req, caller, path, {}};
    for (const auto& [k, val] : q) rr.query.emplace(k, val);
    return best->handler(rr);
  }

  if (path == "/whoami" && get) {
    json::Value w = json::Value::MakeObject();
    w.set("user", caller.user);
    w.set("identity_ref", caller.identity_ref);
    w.set("organization_ref", caller.organization_ref);
    w.set("member_state", caller.member_state);
    json::Value roles = json::Value::MakeArray();
    for (auto r : caller.roles) roles.push_back(identity::RoleName(r));
    w.set("roles", std::move(roles));
    json::Value scopes = json::Value::MakeArray();
    for (const auto& s : caller.scopes) scopes.push_back(s);
    w.set("scopes", std::move(scopes));
    return RestJson(http::status::ok, w.Serialize(), v);
  }
  if (path == "/openapi.json" && get) {
    return RestJson(http::status::ok, options.openapi_json.empty() ? "{}" : options.openapi_json,
                    v);
  }
  if (!access.Allowed(caller, Operation::kRead)) return forbid(Operation::kRead);
  if (path == "/search" && !access.Allowed(caller, Operation::kSearch)) {
    return forbid(Operation::kSearch);
  }
  if (path == "/stats" && get) {
    std::lock_guard lock(count_mu);
    auto now = std::chrono::steady_clock::now();
    if (now - counted_at > std::chrono::seconds(5)) {
      auto c = store.Count();
      if (!c.ok()) return RestError(c.status(), v);
      counts = *c;
      counted_at = now;
    }
    json::Value s = json::Value::MakeObject();
    s.set("objects", counts.objects);
    s.set("versions", counts.versions);
    json::Value by = json::Value::MakeObject();
    for (const auto& [t, n] : counts.latest_by_type) by.set(t, n);
    s.set("by_type", std::move(by));
    return RestJson(http::status::ok, s.Serialize(), v);
  }
  if (path == "/collections" && get) {
    json::Value list = json::Value::MakeArray();
    for (const auto& c : options.collections) {
      if (CollectionVisible(caller, c)) list.push_back(CollectionJson(c));
    }
    return RestJson(http::status::ok, list.Serialize(), v);
  }
  if ((path == "/objects" || path == "/search") && get) {
    store::Query query;
    std::size_t limit = 100;
    if (auto it = q.find("limit"); it != q.end()) {
      auto n = ParseInt(it->second);
      if (!n || *n <= 0 || *n > 10000) {
        return RestError(Status::InvalidArgument("limit must be 1..10000"), v);
      }
      limit = static_cast<std::size_t>(*n);
    }
    if (auto it = q.find("type"); it != q.end()) query.types = SplitList(it->second);
    if (auto it = q.find("id"); it != q.end()) query.ids = SplitList(it->second);
    if (auto it = q.find("label"); it != q.end()) query.label = it->second;
    if (auto it = q.find("marking"); it != q.end()) query.marking = it->second;
    if (auto it = q.find("created_by"); it != q.end()) query.created_by = it->second;
    if (auto it = q.find("q"); it != q.end()) query.text = it->second;
    if (auto it = q.find("cursor"); it != q.end()) query.cursor = it->second;
    if (auto it = q.find("added_after"); it != q.end()) {
      auto t = ParseTimestamp(it->second, "added_after");
      if (!t.ok()) return RestError(t.status(), v);
      query.added_after_us = t->nanos / 1000;
    }
    if (auto it = q.find("versions"); it != q.end()) {
      if (it->second == "all") {
        query.versions = store::Versions::kAll;
      } else if (it->second == "first") {
        query.versions = store::Versions::kFirst;
      } else if (it->second != "last") {
        return RestError(Status::InvalidArgument("versions must be last, first or all"), v);
      }
    }
    if (path == "/search" && query.text.empty()) {
      return RestError(Status::InvalidArgument("search needs q="), v);
    }
    auto got = Collect(caller, query, limit);
    if (!got.ok()) return RestError(got.status(), v);
    return RestJson(http::status::ok, ObjectsBody(*got), v);
  }
  constexpr std::string_view kObjects = "/objects/";
  if (path.substr(0, kObjects.size()) == kObjects) {
    std::string_view rest = path.substr(kObjects.size());
    bool versions = false;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
      if (rest.substr(slash) != "/versions") {
        return RestError(Status::NotFound("no such resource"), v);
      }
      versions = true;
      rest = rest.substr(0, slash);
    }
    if (!stix::IsIdentifier(rest)) {
      return RestError(Status::InvalidArgument("'" + std::string(rest).substr(0, 100) +
                                               "' is not a STIX identifier"),
                       v);
    }
    if (get && versions) {
      auto all = store.GetVersions(rest);
      if (!all.ok()) return RestError(all.status(), v);
      Collected got;
      for (auto& o : *all) {
        if (Readable(caller, o)) got.objects.push_back(std::move(o));
      }
      if (got.objects.empty()) return RestError(Status::NotFound(std::string(rest)), v);
      return RestJson(http::status::ok, ObjectsBody(got), v);
    }
    if (get) {
      auto o = store.Get(rest);
      if (!o.ok()) return RestError(o.status(), v);
      if (!Readable(caller, *o)) {
        ++metrics.objects_withheld;
        return RestError(Status::NotFound(std::string(rest)), v);
      }
      ++metrics.objects_served;
      auto res = RestJson(http::status::ok, std::move(o->json), v);
      res.set(http::field::content_type, kStixType);
      return res;
    }
    if (req.method() == http::verb::delete_ && !versions) {
      if (!access.Allowed(caller, Operation::kDelete)) return forbid(Operation::kDelete);
      auto all = store.GetVersions(rest);
      if (!all.ok()) return RestError(all.status(), v);
      std::vector<std::string> readable;
      for (const auto& o : *all) {
        if (Readable(caller, o)) readable.push_back(o.version);
      }
      if (readable.empty()) return RestError(Status::NotFound(std::string(rest)), v);
      auto n = store.Delete(rest, readable);
      if (!n.ok()) return RestError(n.status(), v);
      if (options.on_events) {
        std::vector<Event> events;
        for (const auto& ver : readable) {
          events.push_back(Event{"delete", ActorOf(caller), std::string(rest), ver, ""});
        }
        options.on_events(events);
      }
      return RestJson(http::status::ok, "{\"deleted\":" + std::to_string(*n) + "}", v);
    }
  }
  if (path == "/objects" && req.method() == http::verb::post) {
    if (!access.Allowed(caller, Operation::kWriteIntel)) return forbid(Operation::kWriteIntel);
    json::Document doc;
    json::ParseLimits limits;
    limits.max_depth = 64;
    if (Status s = doc.Parse(req.body(), limits); !s.ok()) {
      return RestError(Status::InvalidArgument("body: " + s.message()), v);
    }
    json::Node root = doc.root();
    // A bundle, an array of objects, one object, or a MISP event (converted at the edge).
    std::string converted;
    json::Document converted_doc;
    json::Node objects;
    if (formats::LooksLikeMisp(root)) {
      auto bundle = formats::MispToStix(root);
      if (!bundle.ok()) return RestError(bundle.status(), v);
      converted = bundle->Serialize();
      if (Status s = converted_doc.Parse(converted); !s.ok()) return RestError(s, v);
      objects = converted_doc.root()["objects"];
    } else if (root.is_array()) {
      objects = root;
    } else if (root["type"].str() == "bundle") {
      objects = root["objects"];
      if (!objects.is_array()) objects = json::Node();
    } else if (root.is_object()) {
      converted = "[" + std::string(root.raw()) + "]";
      if (Status s = converted_doc.Parse(converted); !s.ok()) return RestError(s, v);
      objects = converted_doc.root();
    }
    if (!objects.is_array()) {
      return RestError(
          Status::InvalidArgument(
              "body must be a STIX bundle, an array of objects, an object or a MISP event"),
          v);
    }
    auto written = WriteObjects(caller, objects, nullptr);
    if (!written.ok()) return RestError(written.status(), v);
    json::Value report = json::Value::MakeObject();
    report.set("total", static_cast<std::uint64_t>(written->total));
    report.set("stored", static_cast<std::uint64_t>(written->successes.size()));
    report.set("rejected", static_cast<std::uint64_t>(written->failures.size()));
    report.set("successes", std::move(written->successes));
    report.set("failures", std::move(written->failures));
    return RestJson(http::status::ok, report.Serialize(), v);
  }
  return RestError(Status::NotFound("no such endpoint: " + std::string(req.method_string()) +
                                    " /api/v1" + std::string(path)),
                   v);
}

// ---- metrics ----------------------------------------------------------------------------------

HttpResponse NodeService::Impl::MetricsText(unsigned version) {
  std::string out;
  auto line = [&out](std::string_view name, std::string_view labels, std::uint64_t value) {
    out += name;
    if (!labels.empty()) {
      out += '{';
      out += labels;
      out += '}';
    }
    out += ' ';
    out += std::to_string(value);
    out += '\n';
  };
  out +=
      "# HELP entente_http_requests_total HTTP requests answered, by route class and status "
      "class.\n";
  out += "# TYPE entente_http_requests_total counter\n";
  for (std::size_t r = 0; r < metrics.by_class.size(); ++r) {
    for (std::size_t s = 1; s < 6; ++s) {
      std::uint64_t n = metrics.by_class[r][s];
      if (n == 0) continue;
      line("entente_http_requests_total",
           "route=\"" + std::string(kRouteNames[r]) + "\",code=\"" + std::to_string(s) + "xx\"", n);
    }
  }
  out +=
      "# HELP entente_http_request_duration_seconds Time from request parsed to response built.\n";
  out += "# TYPE entente_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += metrics.latency[i];
    char le[32];
    std::snprintf(le, sizeof le, "le=\"%g\"", kLatencyBuckets[i]);
    line("entente_http_request_duration_seconds_bucket", le, cumulative);
  }
  cumulative += metrics.latency[kLatencyBuckets.size()];
  line("entente_http_request_duration_seconds_bucket", "le=\"+Inf\"", cumulative);
  char sum[64];
  std::snprintf(sum, sizeof sum, "entente_http_request_duration_seconds_sum %.6f\n",
                static_cast<double>(metrics.latency_sum_us.load()) / 1e6);
  out += sum;
  line("entente_http_request_duration_seconds_count", "", metrics.latency_count);
  auto metric = [&](std::string_view kind, std::string_view name, std::string_view help,
                    std::uint64_t value) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " +
           std::string(name) + " " + std::string(kind) + "\n";
    line(name, "", value);
  };
  auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
    metric("counter", name, help, value);
  };
  auto gauge = [&](std::string_view name, std::string_view help, std::uint64_t value) {
    metric("gauge", name, help, value);
  };
  counter("entente_objects_ingested_total", "Object versions stored through the API.",
          metrics.objects_ingested);
  counter("entente_objects_rejected_total", "Objects refused on write (invalid, conflicting).",
          metrics.objects_rejected);
  counter("entente_objects_served_total", "Objects returned to callers.", metrics.objects_served);
  counter("entente_objects_withheld_total", "Objects withheld from callers not entitled to them.",
          metrics.objects_withheld);
  counter("entente_auth_failures_total", "Requests refused for missing or bad credentials.",
          metrics.auth_failures);
  counter("entente_forbidden_total", "Requests refused by role or scope.", metrics.forbidden);
  if (server_stats) {
    ServerStats s = server_stats();
    counter("entente_connections_accepted_total", "Connections accepted.", s.connections_accepted);
    counter("entente_connections_refused_total", "Connections refused over the limit.",
            s.connections_refused);
    counter("entente_connection_timeouts_total", "Connections closed for a time-out.", s.timeouts);
    counter("entente_requests_rejected_total", "Requests refused before the handler (400/413/431).",
            s.rejected_requests);
    gauge("entente_connections_open", "Connections open now.", s.connections_open);
  }
  {
    std::lock_guard lock(count_mu);
    auto now = std::chrono::steady_clock::now();
    if (now - counted_at > std::chrono::seconds(5)) {
      if (auto c = store.Count(); c.ok()) {
        counts = *c;
        counted_at = now;
      }
    }
    gauge("entente_store_objects", "Distinct objects in the store.", counts.objects);
    gauge("entente_store_versions", "Object versions in the store.", counts.versions);
  }
  if (auto cache = store.cache_stats(); cache.hits + cache.misses > 0) {
    counter("entente_store_cache_hits_total", "Latest versions served from the object cache.",
            cache.hits);
    counter("entente_store_cache_misses_total", "Latest versions read from the database.",
            cache.misses);
    gauge("entente_store_cache_bytes", "Memory held by the object cache.", cache.bytes);
  }
  if (options.extra_metrics) out += options.extra_metrics();
  HttpResponse res{http::status::ok, version};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = std::move(out);
  return res;
}

// ---- dashboard ----------------------------------------------------------------------------------

HttpResponse NodeService::Impl::HandleDashboardApi(const HttpRequest& req,
                                                   const ConnectionInfo& conn,
                                                   std::shared_ptr<const Principal> caller,
                                                   std::string_view path, const QueryParams& q) {
  const unsigned v = req.version();
  if (req.method() != http::verb::get) {
    return RestError(Status::InvalidArgument(std::string(path.substr(1)) + " is read with GET"), v);
  }
  if (!access.Allowed(*caller, Operation::kRead)) {
    ++metrics.forbidden;
    return RestError(Status::PermissionDenied("role does not allow 'read'"), v);
  }
  const std::int64_t now_us = Now().nanos / 1000;
  if (path == "/events") {
    std::int64_t after_us = now_us;
    if (auto last = req["Last-Event-ID"]; !last.empty()) {
      auto n = ParseInt(last);
      if (!n || *n < 0)
        return RestError(Status::InvalidArgument("Last-Event-ID: not an event id"), v);
      after_us = *n;
    }
    if (event_streams->fetch_add(1) >= options.max_event_streams) {
      --*event_streams;
      return RestError(
          Status::Unavailable("too many open event streams (" +
                              std::to_string(options.max_event_streams) + "); retry later"),
          v);
    }
    conn.stream =
        std::make_shared<EventStream>(store, access, std::move(caller), after_us, event_streams);
    HttpResponse res{http::status::ok, v};
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Accel-Buffering", "no");
    return res;
  }
  if (path == "/referrers") {
    auto id = q.find("id");
    std::vector<std::string> ids;
    if (id != q.end()) ids = SplitList(id->second);
    if (ids.empty()) {
      return RestError(Status::InvalidArgument("referrers needs id=<STIX identifier>[,...]"), v);
    }
    for (const auto& one : ids) {
      if (!stix::IsIdentifier(one)) {
        return RestError(Status::InvalidArgument("referrers: '" + one.substr(0, 100) +
                                                 "' is not a STIX identifier"),
                         v);
      }
    }
    std::size_t limit = 1000;
    if (auto it = q.find("limit"); it != q.end()) {
      auto n = ParseInt(it->second);
      if (!n || *n <= 0 || *n > 10000) {
        return RestError(Status::InvalidArgument("limit must be 1..10000"), v);
      }
      limit = static_cast<std::size_t>(*n);
    }
    std::vector<std::string> types;
    if (auto it = q.find("type"); it != q.end()) types = SplitList(it->second);
    auto got = Referrers(store, access, *caller, ids, std::move(types), limit);
    if (!got.ok()) return RestError(got.status(), v);
    Collected c;
    c.objects = std::move(*got);
    metrics.objects_served += c.objects.size();
    return RestJson(http::status::ok, ObjectsBody(c), v);
  }
  // /situation
  SituationQuery sq;
  sq.since_us = now_us - std::int64_t{30} * 86'400'000'000;
  if (auto it = q.find("since"); it != q.end()) {
    auto t = ParseTimestamp(it->second, "since");
    if (!t.ok()) return RestError(t.status(), v);
    sq.since_us = t->nanos / 1000;
  }
  auto got = Situation(store, access, *caller, sq);
  if (!got.ok()) return RestError(got.status(), v);
  return RestJson(http::status::ok, std::move(*got), v);
}

// ---- dispatch ---------------------------------------------------------------------------------

NodeService::NodeService(store::Store& store, AccessPolicy& access, ServiceOptions options)
    : impl_(std::make_unique<Impl>(store, access, std::move(options))) {}

NodeService::~NodeService() = default;

void NodeService::AddRoute(http::verb method, std::string prefix, Operation op,
                           RestHandler handler) {
  impl_->routes.push_back(Route{method, std::move(prefix), op, std::move(handler)});
}

bool NodeService::Readable(const Principal& principal, std::string_view id) {
  auto object = impl_->store.Get(id);
  return object.ok() && impl_->Readable(principal, *object);
}

Status NodeService::StoreObject(const Principal& caller, std::string_view object_json) {
  std::string array;
  array.reserve(object_json.size() + 2);
  array += '[';
  array += object_json;
  array += ']';
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(array).WithContext("object"));
  ENTENTE_ASSIGN_OR_RETURN(auto outcome, impl_->WriteObjects(caller, doc.root(), nullptr));
  if (outcome.failures.size() > 0) {
    const json::Value& f = outcome.failures.array().front();
    const json::Value* message = f.find("message");
    const json::Value* id = f.find("id");
    return Status::InvalidArgument((id ? id->str() : std::string("object")) + ": " +
                                   (message ? message->str() : std::string("refused")));
  }
  return Status::Ok();
}

void NodeService::SetServerStats(std::function<ServerStats()> stats) {
  impl_->server_stats = std::move(stats);
}

HttpResponse NodeService::Handle(const HttpRequest& req, const ConnectionInfo& conn) {
  auto started = std::chrono::steady_clock::now();
  const unsigned v = req.version();
  std::string_view target = req.target();
  std::string_view path = target.substr(0, target.find('?'));
  RouteClass route = RouteClass::kOther;
  std::string user;
  HttpResponse res = [&]() -> HttpResponse {
    if (path.empty() || path.front() != '/' || path.find("..") != std::string_view::npos ||
        path.find('\\') != std::string_view::npos || path.find("//") != std::string_view::npos) {
      return RestError(Status::InvalidArgument("malformed request path"), v);
    }
    // Operations endpoints: unauthenticated by design (bind the node to a private interface or
    // put /metrics behind the reverse proxy's authentication).
    if (path == "/healthz" || path == "/readyz") {
      route = RouteClass::kOps;
      bool ready = path == "/healthz" || ready_;
      return RestJson(ready ? http::status::ok : http::status::service_unavailable,
                      ready ? "{\"status\":\"ok\"}" : "{\"status\":\"starting\"}", v);
    }
    if (path == "/metrics") {
      route = RouteClass::kOps;
      if (!impl_->options.public_metrics) {
        auto who = impl_->access.Authenticate(req[http::field::authorization], Now().nanos / 1000);
        if (!who.ok()) return RestError(who.status(), v);
        if (!impl_->access.Allowed(**who, Operation::kMetrics)) {
          return RestError(Status::PermissionDenied("metrics need the admin role"), v);
        }
      }
      return impl_->MetricsText(v);
    }
    auto query = ParseQuery(target);
    if (!query.ok()) return RestError(query.status(), v);
    auto segs = SplitPath(path);
    bool taxii = !segs.empty() && (segs[0] == "taxii2" || segs[0] == impl_->options.api_root);
    bool rest =
        segs.size() >= 2 && segs[0] == "api" && segs[1] == "v1" && impl_->options.api_root != "api";
    if (segs.size() >= 2 && segs[0] == "api" && segs[1] == "v1") {
      rest = true;
      taxii = false;
    }
    if (!taxii && !rest && impl_->options.dashboard != nullptr) {
      route = RouteClass::kOther;
      return impl_->options.dashboard->Serve(req, path);
    }
    if (!taxii && !rest) {
      return RestError(Status::NotFound("no such endpoint: " + std::string(path).substr(0, 200)),
                       v);
    }
    bool read = req.method() == http::verb::get || req.method() == http::verb::head;
    route = taxii
                ? (segs[0] == "taxii2" ? RouteClass::kDiscovery
                                       : (read ? RouteClass::kTaxiiRead : RouteClass::kTaxiiWrite))
                : (read ? RouteClass::kRestRead : RouteClass::kRestWrite);
    // TAXII URLs end with a slash; redirect like the reference server does.
    if (taxii && path.back() != '/') {
      HttpResponse redirect{http::status::permanent_redirect, v};
      std::string location(path);
      location += '/';
      if (target.size() > path.size()) location += target.substr(path.size());
      redirect.set(http::field::location, location);
      return redirect;
    }
    auto caller = impl_->access.Authenticate(req[http::field::authorization], Now().nanos / 1000);
    if (!caller.ok()) {
      ++impl_->metrics.auth_failures;
      return taxii ? impl_->TaxiiError(http::status::unauthorized, "Unauthorized",
                                       caller.status().message(), v)
                   : RestError(caller.status(), v);
    }
    user = (*caller)->user;
    if (taxii) {
      if (!MediaTypeMatches(req[http::field::accept], "application/taxii+json")) {
        return impl_->TaxiiError(http::status::not_acceptable, "Not Acceptable",
                                 "Accept must include application/taxii+json;version=2.1", v);
      }
      if (!impl_->access.Allowed(**caller, Operation::kRead)) {
        ++impl_->metrics.forbidden;
        return impl_->TaxiiError(http::status::forbidden, "Forbidden", "role does not allow read",
                                 v);
      }
      return impl_->HandleTaxii(req, conn, **caller, segs, *query);
    }
    std::string_view rest_path = path.substr(std::string_view("/api/v1").size());
    if (rest_path.size() > 1 && rest_path.back() == '/') rest_path.remove_suffix(1);
    if (rest_path == "/events" || rest_path == "/situation" || rest_path == "/referrers") {
      return impl_->HandleDashboardApi(req, conn, *caller, rest_path, *query);
    }
    return impl_->HandleRest(req, **caller, rest_path, *query);
  }();
  auto elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
  auto& m = impl_->metrics;
  std::size_t cls = std::min<std::size_t>(static_cast<std::size_t>(res.result_int()) / 100, 5);
  ++m.by_class[static_cast<std::size_t>(route)][cls];
  double seconds = static_cast<double>(elapsed_us) / 1e6;
  std::size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  ++m.latency[bucket];
  m.latency_sum_us += static_cast<std::uint64_t>(elapsed_us);
  ++m.latency_count;
  if (impl_->options.access_log) {
    // Path only: query strings can carry search terms about RED content.
    std::string line = "{\"ts\":\"" + FormatTimestamp(Now(), 3) + "\",\"method\":\"" +
                       std::string(req.method_string()) + "\",\"path\":";
    json::AppendQuoted(line, path.substr(0, 256));
    line += ",\"status\":" + std::to_string(res.result_int()) +
            ",\"us\":" + std::to_string(elapsed_us) + ",\"user\":";
    json::AppendQuoted(line, user);
    line += ",\"peer\":";
    json::AppendQuoted(line, conn.peer);
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  return res;
}

}  // namespace entente::server
