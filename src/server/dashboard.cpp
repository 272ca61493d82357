#include "entente/server/dashboard.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <unordered_map>

#include "entente/base/time.h"
#include "entente/stix/markings.h"

namespace entente::server {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxStaticFile = 32u << 20;
constexpr std::int64_t kKeepAliveUs = 15'000'000;

HttpResponse Plain(http::status status, unsigned version, std::string_view text) {
  HttpResponse res{status, version};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::cache_control, "no-store");
  res.body() = std::string(text);
  return res;
}

bool SafeSegment(std::string_view seg) {
  if (seg.empty() || seg.front() == '.') return false;
  for (char c : seg) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '%' || c == '\\' || c == ':') return false;
  }
  return true;
}

std::int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// "YYYY-MM-DD" of a STIX timestamp, or "" if it is not one.
std::string DayOf(std::string_view timestamp) {
  if (timestamp.size() < 10 || !IsValidTimestamp(timestamp)) return {};
  return std::string(timestamp.substr(0, 10));
}

std::string TlpOf(json::Node object) {
  for (auto [unused, ref] : object["object_marking_refs"]) {
    (void)unused;
    if (auto tlp = stix::TlpOfMarking(ref.str())) return std::string(stix::TlpName(*tlp));
  }
  return {};
}

std::string ScalarText(json::Node n) {
  if (n.is_string()) return std::string(n.str());
  if (n.is_number()) return std::string(n.number_text());
  return {};
}

std::string DisplayName(json::Node o) {
  if (o["name"].is_string()) return std::string(o["name"].str());
  if (o["pattern"].is_string()) return std::string(o["pattern"].str().substr(0, 200));
  if (o["value"].is_string()) return std::string(o["value"].str().substr(0, 200));
  if (o["abstract"].is_string()) return std::string(o["abstract"].str().substr(0, 200));
  return std::string(o["type"].str());
}

// Resolves the member state and sector that the situation attributes an object to, looking up
// creator identities once (and only those the caller may read).
class Resolver {
 public:
  Resolver(store::Store& store, AccessPolicy& access, const Principal& caller)
      : store_(store), access_(access), caller_(caller) {}

  struct Who {
    std::string state;
    std::string sector;
  };

  const Who& Identity(std::string_view id) {
    auto it = cache_.find(std::string(id));
    if (it != cache_.end()) return it->second;
    Who who;
    if (cache_.size() < 100'000 && !id.empty()) {
      if (auto o = store_.Get(id); o.ok()) {
        json::Document doc;
        if (doc.Parse(o->json).ok() && access_.CanRead(caller_, doc.root(), {})) {
          who.state = std::string(doc.root()["x_entente_member_state"].str());
          who.sector = std::string(doc.root()["x_entente_sector"].str());
          if (who.sector.empty()) who.sector = std::string(doc.root()["sectors"].at(0).str());
        }
      }
    }
    return cache_.emplace(std::string(id), std::move(who)).first->second;
  }

  // What the situation knows of an incident or sighting (false for other types).
  struct Facts {
    bool incident = false;
    std::string_view id;
    std::string name;  // incidents
    std::string day;
    std::string state;
    std::string sector;
    std::string severity;  // incidents
    std::string tlp;
    std::string_view indicator;  // sightings
    std::int64_t count = 1;      // sightings
  };
  bool Describe(json::Node o, Facts& f) {
    std::string_view type = o["type"].str();
    if (type != "incident" && type != "sighting") return false;
    f = Facts{};
    f.incident = type == "incident";
    f.id = o["id"].str();
    f.state = std::string(o["x_entente_member_state"].str());
    f.sector = std::string(o["x_entente_sector"].str());
    std::string_view by = o["created_by_ref"].str();
    if (!f.incident && o["where_sighted_refs"].at(0).is_string()) {
      by = o["where_sighted_refs"].at(0).str();
    }
    if (f.state.empty() || f.sector.empty()) {
      const Who& who = Identity(by);
      if (f.state.empty()) f.state = who.state;
      if (f.sector.empty()) f.sector = who.sector;
    }
    if (f.incident) {
      f.name = DisplayName(o);
      f.day = DayOf(o["created"].str());
      f.severity = ScalarText(o["x_entente_severity"]);
    } else {
      f.day = DayOf(o["last_seen"].str());
      if (f.day.empty()) f.day = DayOf(o["first_seen"].str());
      if (f.day.empty()) f.day = DayOf(o["created"].str());
      f.indicator = o["sighting_of_ref"].str();
      auto count = o["count"].as_int64();
      f.count = count && *count > 0 ? *count : 1;
    }
    f.tlp = TlpOf(o);
    return true;
  }

  // Name of a stored object if the caller may read it, else "".
  std::string NameIfReadable(std::string_view id) {
    auto o = store_.Get(id);
    if (!o.ok()) return {};
    json::Document doc;
    if (!doc.Parse(o->json).ok() || !access_.CanRead(caller_, doc.root(), {})) return {};
    return DisplayName(doc.root());
  }

 private:
  store::Store& store_;
  AccessPolicy& access_;
  const Principal& caller_;
  std::unordered_map<std::string, Who> cache_;
};

// A situation row as JSON (docs/DASHBOARD.md), appended to `out` without building a DOM.
void AppendRow(std::string& out, const Resolver::Facts& f) {
  auto member = [&out](std::string_view key, std::string_view value, bool first = false) {
    if (!first) out += ',';
    out += '"';
    out += key;
    out += "\":";
    json::AppendQuoted(out, value);
  };
  out += '{';
  member("id", f.id, true);
  if (f.incident) member("name", f.name);
  member("day", f.day);
  member("state", f.state);
  member("sector", f.sector);
  if (f.incident) member("severity", f.severity);
  member("tlp", f.tlp);
  if (!f.incident) {
    member("indicator", f.indicator);
    out += ",\"count\":" + std::to_string(f.count);
  }
  out += '}';
}

struct Tally {
  std::int64_t incidents = 0;
  std::int64_t sightings = 0;
};

json::Value TallyMap(const std::map<std::string, Tally>& m) {
  json::Value out = json::Value::MakeObject();
  for (const auto& [k, t] : m) {
    json::Value v = json::Value::MakeObject();
    v.set("incidents", t.incidents);
    v.set("sightings", t.sightings);
    out.set(k.empty() ? std::string_view("unknown") : std::string_view(k), std::move(v));
  }
  return out;
}

// The `top` keys with the greatest counts (ties by key), for stable output.
std::vector<std::pair<std::string, std::int64_t>> Top(
    const std::unordered_map<std::string, std::int64_t>& counts, std::size_t top) {
  std::vector<std::pair<std::string, std::int64_t>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (v.size() > top) v.resize(top);
  return v;
}

}  // namespace

// ---- static files -------------------------------------------------------------------------------

std::string_view ContentTypeFor(std::string_view name) noexcept {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  }};
  auto dot = name.rfind('.');
  if (dot != std::string_view::npos) {
    std::string ext;
    for (char c : name.substr(dot))
      ext += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& [e, type] : kTypes) {
      if (e == ext) return type;
    }
  }
  return "application/octet-stream";
}

Result<std::unique_ptr<StaticSite>> StaticSite::Open(const fs::path& root) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical, ec)) {
    return Status::InvalidArgument("dashboard directory " + root.string() +
                                   " does not exist or is not a directory");
  }
  if (!fs::is_regular_file(canonical / "index.html", ec)) {
    return Status::InvalidArgument("dashboard directory " + root.string() +
                                   " has no index.html (build it: npm --prefix dashboard run "
                                   "build)");
  }
  return std::unique_ptr<StaticSite>(new StaticSite(std::move(canonical)));
}

HttpResponse StaticSite::Serve(const HttpRequest& request, std::string_view path) const {
  const unsigned v = request.version();
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    auto res = Plain(http::status::method_not_allowed, v, "method not allowed\n");
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  auto not_found = [&] { return Plain(http::status::not_found, v, "not found\n"); };
  if (path.empty() || path.front() != '/') return not_found();
  std::string relative = path == "/" ? "index.html" : std::string(path.substr(1));
  // Every segment must be an ordinary name: no "..", ".", hidden files, empty segments,
  // encoded bytes or separators of other systems.
  std::size_t start = 0;
  for (;;) {
    auto slash = relative.find('/', start);
    std::string_view seg = std::string_view(relative).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!SafeSegment(seg)) return not_found();
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::error_code ec;
  fs::path file = fs::weakly_canonical(root_ / relative, ec);
  if (ec) return not_found();
  // Symbolic links inside the build must not lead out of it.
  auto [root_end, unused] = std::mismatch(root_.begin(), root_.end(), file.begin(), file.end());
  (void)unused;
  if (root_end != root_.end() || !fs::is_regular_file(file, ec)) return not_found();
  auto size = fs::file_size(file, ec);
  if (ec || size > kMaxStaticFile) return not_found();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return not_found();
  std::string etag = "\"" + std::to_string(static_cast<long long>(st.st_mtime)) + "-" +
                     std::to_string(static_cast<unsigned long long>(size)) + "\"";

  HttpResponse res{http::status::ok, v};
  res.set(http::field::content_type, ContentTypeFor(file.filename().string()));
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", kDashboardCsp);
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  res.set("Cross-Origin-Resource-Policy", "same-origin");
  res.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  bool hashed = relative.rfind("assets/", 0) == 0;
  res.set(http::field::cache_control, hashed ? "public, max-age=31536000, immutable" : "no-cache");
  res.set(http::field::etag, etag);
  if (request[http::field::if_none_match] == etag) {
    res.result(http::status::not_modified);
    return res;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found();
  std::string body(static_cast<std::size_t>(size), '\0');
  in.read(body.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) return not_found();
  if (request.method() == http::verb::head) {
    res.content_length(size);
    return res;
  }
  res.body() = std::move(body);
  return res;
}

// ---- situation ----------------------------------------------------------------------------------

Result<std::string> Situation(store::Store& store, AccessPolicy& access, const Principal& caller,
                              const SituationQuery& q) {
  Resolver resolver(store, access, caller);
  store::Query query;
  query.types = {"incident", "sighting", "relationship"};
  query.modified_from = FormatTimestamp(Timestamp::FromMicros(q.since_us), 3);
  query.limit = 5000;
  // The row lists are the bulk of the answer: written as text, not as a DOM.
  std::string incidents = "[", sightings = "[";
  std::size_t incidents_listed = 0, sightings_listed = 0;
  Resolver::Facts facts;
  std::map<std::string, Tally> by_state, by_day, by_sector;
  std::unordered_map<std::string, std::int64_t> indicator_counts, actor_counts;
  bool truncated = false;
  json::Document doc;
  for (;;) {
    ENTENTE_ASSIGN_OR_RETURN(store::Page page, store.Find(query));
    for (const auto& object : page.objects) {
      if (!doc.Parse(object.json).ok()) continue;
      json::Node o = doc.root();
      if (!access.CanRead(caller, o, {})) continue;
      if (object.type == "relationship") {
        if (o["relationship_type"].str() != "attributed-to") continue;
        std::string_view target = o["target_ref"].str();
        if (target.rfind("intrusion-set--", 0) == 0 || target.rfind("threat-actor--", 0) == 0) {
          ++actor_counts[std::string(target)];
        }
        continue;
      }
      if (!resolver.Describe(o, facts)) continue;
      const bool incident = facts.incident;
      const std::int64_t weight = incident ? 1 : facts.count;
      auto add = [&](std::map<std::string, Tally>& m, const std::string& key) {
        Tally& t = m[key];
        (incident ? t.incidents : t.sightings) += weight;
      };
      add(by_state, facts.state);
      add(by_day, facts.day);
      add(by_sector, facts.sector);
      if (!incident) indicator_counts[std::string(facts.indicator)] += weight;
      std::size_t& listed = incident ? incidents_listed : sightings_listed;
      if (listed < (incident ? q.max_incidents : q.max_sightings)) {
        std::string& list = incident ? incidents : sightings;
        if (listed++ > 0) list += ',';
        AppendRow(list, facts);
      } else {
        truncated = true;
      }
    }
    if (!page.more) break;
    query.cursor = page.next;
  }
  json::Value out = json::Value::MakeObject();
  out.set("since", FormatTimestamp(Timestamp::FromMicros(q.since_us), 3));
  out.set("generated", FormatTimestamp(Now(), 3));
  out.set("incidents", json::Value::MakeArray());  // placeholders, replaced below
  out.set("sightings", json::Value::MakeArray());
  out.set("by_state", TallyMap(by_state));
  out.set("by_day", TallyMap(by_day));
  out.set("by_sector", TallyMap(by_sector));
  json::Value top_indicators = json::Value::MakeArray();
  for (const auto& [id, n] : Top(indicator_counts, q.top)) {
    json::Value e = json::Value::MakeObject();
    e.set("id", id);
    e.set("name", resolver.NameIfReadable(id));
    e.set("sightings", n);
    top_indicators.push_back(std::move(e));
  }
  out.set("top_indicators", std::move(top_indicators));
  json::Value top_actors = json::Value::MakeArray();
  for (const auto& [id, n] : Top(actor_counts, q.top)) {
    json::Value e = json::Value::MakeObject();
    e.set("id", id);
    e.set("name", resolver.NameIfReadable(id));
    e.set("incidents", n);
    top_actors.push_back(std::move(e));
  }
  out.set("top_actors", std::move(top_actors));
  out.set("truncated", truncated);
  std::string text = out.Serialize();
  incidents += ']';
  sightings += ']';
  auto splice = [&text](std::string_view key, const std::string& rows) {
    std::string placeholder = "\"" + std::string(key) + "\":[]";
    text.replace(text.find(placeholder), placeholder.size(),
                 "\"" + std::string(key) + "\":" + rows);
  };
  splice("incidents", incidents);
  splice("sightings", sightings);
  return text;
}

Result<std::vector<store::StoredObject>> Referrers(store::Store& store, AccessPolicy& access,
                                                   const Principal& caller,
                                                   const std::vector<std::string>& ids,
                                                   std::vector<std::string> types,
                                                   std::size_t limit) {
  if (ids.empty() || ids.size() > 200) {
    return Status::InvalidArgument("referrers: 1 to 200 ids, got " + std::to_string(ids.size()));
  }
  store::Query query;
  query.types = types.empty() ? std::vector<std::string>{"note",         "opinion", "sighting",
                                                         "relationship", "report",  "grouping"}
                              : std::move(types);
  query.limit = 5000;
  // Quoted, so that a longer id with one of these as a prefix does not count.
  std::vector<std::string> quoted;
  for (const auto& id : ids) quoted.push_back("\"" + id + "\"");
  std::vector<store::StoredObject> out;
  json::Document doc;
  for (;;) {
    ENTENTE_ASSIGN_OR_RETURN(store::Page page, store.Find(query));
    for (auto& object : page.objects) {
      if (std::find(ids.begin(), ids.end(), object.id) != ids.end()) continue;
      bool mentions = false;
      for (const auto& q : quoted) {
        if (object.json.find(q) != std::string::npos) {
          mentions = true;
          break;
        }
      }
      if (!mentions) continue;
      if (!doc.Parse(object.json).ok() || !access.CanRead(caller, doc.root(), {})) continue;
      out.push_back(std::move(object));
    }
    if (!page.more) break;
    query.cursor = page.next;
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.date_added_us > b.date_added_us; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

// ---- live events --------------------------------------------------------------------------------

EventStream::EventStream(store::Store& store, AccessPolicy& access,
                         std::shared_ptr<const Principal> caller, std::int64_t after_us,
                         std::shared_ptr<std::atomic<int>> subscribers)
    : store_(store),
      access_(access),
      caller_(std::move(caller)),
      after_us_(after_us),
      subscribers_(std::move(subscribers)),
      last_sent_us_(SteadyMicros()) {}

EventStream::~EventStream() {
  if (subscribers_) --*subscribers_;
}

std::optional<std::string> EventStream::Next() {
  std::string out;
  if (!opened_) {
    opened_ = true;
    out = "retry: 3000\n: connected\n\n";
  }
  store::Query query;
  query.added_after_us = after_us_;
  query.versions = store::Versions::kAll;
  query.limit = kMaxPerPoll;
  auto page = store_.Find(query);
  if (!page.ok()) {
    // The store is unavailable: end the stream; the client reconnects with Last-Event-ID.
    std::fprintf(stderr, "{\"level\":\"warn\",\"msg\":\"events stream ends\",\"why\":");
    std::string why;
    json::AppendQuoted(why, page.status().message());
    std::fprintf(stderr, "%s}\n", why.c_str());
    return std::nullopt;
  }
  Resolver resolver(store_, access_, *caller_);
  json::Document doc;
  for (const auto& object : page->objects) {
    after_us_ = std::max(after_us_, object.date_added_us);
    if (!doc.Parse(object.json).ok() || !access_.CanRead(*caller_, doc.root(), {})) continue;
    json::Node o = doc.root();
    json::Value e = json::Value::MakeObject();
    e.set("id", object.id);
    e.set("type", object.type);
    e.set("date_added", FormatTimestamp(Timestamp::FromMicros(object.date_added_us), 6));
    e.set("name", DisplayName(o));
    out += "id: " + std::to_string(object.date_added_us) + "\nevent: object\ndata: ";
    e.SerializeTo(out);
    if (Resolver::Facts facts; resolver.Describe(o, facts)) {
      out.pop_back();  // the closing brace: the row is the last member
      out += ",\"row\":";
      AppendRow(out, facts);
      out += '}';
    }
    out += "\n\n";
  }
  // The cursor moves past unreadable objects too, so a caller entitled to little does not
  // make the next poll read the same objects again.
  std::int64_t now = SteadyMicros();
  if (out.empty() && now - last_sent_us_ >= kKeepAliveUs) out = ": keep-alive\n\n";
  if (!out.empty()) last_sent_us_ = now;
  return out;
}

}  // namespace entente::server
