// Node data commands: init, ingest, get, query, export, stats.
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "command.h"
#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/base/uuid.h"
#include "entente/formats/misp.h"
#include "entente/stix/reader.h"
#include "entente/store/ingest.h"
#include "node_home.h"

namespace entente::cli {
namespace {

namespace fs = std::filesystem;

void PrintJson(const json::Value& v) { std::printf("%s\n", v.Serialize().c_str()); }

// ---- init -------------------------------------------------------------------------------------

const CommandRegistration kInit(
    "init", "Create a node home (store and configuration); safe to run again",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto name = std::make_shared<std::string>("entente-node");
      auto store = std::make_shared<std::string>();
      auto state = std::make_shared<std::string>();
      app.add_option("--name", *name, "Name of this node (e.g. the member state and agency)");
      app.add_option("--state", *state,
                     "The member state this node speaks for when it proposes and votes "
                     "(ISO code, e.g. FR; EU for the coordination node)");
      app.add_option("--store", *store,
                     "Where a new node keeps its store: "
                     "sqlite:PATH (default sqlite:store.db in the "
                     "home) or postgresql://... (docs/STORE.md)");
      app.callback([&global, run, name, store, state] {
        run([&global, name, store, state]() -> Status {
          ENTENTE_RETURN_IF_ERROR(InitNodeHome(global.home, *name, *store));
          if (!state->empty()) ENTENTE_RETURN_IF_ERROR(SetNodeMemberState(global.home, *state));
          if (global.json) {
            json::Value v = json::Value::MakeObject();
            v.set("home", global.home);
            v.set("store", store::RedactStoreUrl(StorePath(global.home)));
            PrintJson(v);
          } else {
            std::printf("node home ready: %s\n", global.home.c_str());
          }
          return Status::Ok();
        });
      });
    });

// ---- ingest -----------------------------------------------------------------------------------

// Files under a directory that look like STIX content, in a stable order.
std::vector<std::string> ExpandPaths(const std::vector<std::string>& paths, Status* error) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (p == "-") {
      out.push_back(p);
    } else if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        auto ext = it->path().extension().string();
        if (it->is_regular_file() && (ext == ".json" || ext == ".jsonl" || ext == ".ndjson")) {
          found.push_back(it->path().string());
        }
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      *error = Status::NotFound("no such file or directory: " + p);
      return {};
    }
  }
  return out;
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void Update(const std::string& file, std::uint64_t bytes, std::uint64_t total,
              std::uint64_t objects) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double frac = total > 0 ? static_cast<double>(bytes) / static_cast<double>(total) : 0;
    if (frac > 1) frac = 1;
    int filled = static_cast<int>(frac * 30);
    std::fprintf(stderr, "\r[%.*s%.*s] %3d%% %llu objects  %s", filled,
                 "##############################", 30 - filled, "                              ",
                 static_cast<int>(frac * 100), static_cast<unsigned long long>(objects),
                 file.substr(file.size() > 40 ? file.size() - 40 : 0).c_str());
    std::fflush(stderr);
  }
  void Done() {
    if (enabled_) std::fprintf(stderr, "\r%80s\r", "");
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

json::Value ReportJson(const store::IngestReport& r, double seconds) {
  json::Value v = json::Value::MakeObject();
  v.set("read", r.read);
  v.set("added", r.added);
  v.set("duplicates", r.duplicates);
  v.set("rejected", r.rejected);
  v.set("upgraded_from_2_0", r.upgraded);
  v.set("converted_from_misp", r.converted);
  json::Value by_type = json::Value::MakeObject();
  for (const auto& [t, n] : r.added_by_type) by_type.set(t, n);
  v.set("added_by_type", std::move(by_type));
  json::Value errors = json::Value::MakeArray();
  for (const auto& e : r.errors) errors.push_back(e);
  v.set("errors", std::move(errors));
  if (!r.stopped.empty()) v.set("stopped", r.stopped);
  v.set("seconds", seconds);
  return v;
}

const CommandRegistration kIngest(
    "ingest", "Validate and store STIX 2.1 (or 2.0) content, or MISP events converted to STIX",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      struct Options {
        std::vector<std::string> paths;
        bool strict = false;
        std::size_t batch = 20000;
      };
      auto o = std::make_shared<Options>();
      app.add_option("paths", o->paths, "Files, directories (*.json, *.jsonl) or - for stdin")
          ->required();
      app.add_flag("--strict", o->strict, "Reject the whole input on the first invalid object");
      app.add_option("--batch", o->batch, "Objects per committed transaction")
          ->check(CLI::Range(1, 1000000));
      app.footer(
          "Invalid objects are rejected one by one (named in the report) and the rest stored,\n"
          "unless --strict. Exit code 3 if any object was rejected, 0 otherwise.");
      app.callback([&global, run, o] {
        run([&global, o]() -> Status {
          Status error;
          auto files = ExpandPaths(o->paths, &error);
          ENTENTE_RETURN_IF_ERROR(error);
          ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home));
          ProgressBar bar(StderrIsTerminal());
          store::IngestReport total;
          auto start = std::chrono::steady_clock::now();
          for (const auto& file : files) {
            ENTENTE_ASSIGN_OR_RETURN(auto reader, stix::ObjectReader::OpenFile(file));
            std::error_code ec;
            std::uint64_t size = file == "-" ? 0 : fs::file_size(file, ec);
            store::IngestOptions options;
            options.strict = o->strict;
            // MISP events (one per top-level value, as MISP exports them) may be large.
            options.reader_limits.max_object_bytes = std::size_t{256} << 20;
            options.json_limits.max_bytes = std::size_t{256} << 20;
            // MISP event JSON is converted at the edge (misp-stix conventions).
            options.convert = [](json::Node value,
                                 const store::IngestOptions::Emit& emit) -> Status {
              if (!formats::LooksLikeMisp(value)) return Status::NotFound("not a known format");
              return formats::MispToStixStream(
                  value, formats::MispOptions{},
                  [&emit](json::Value&& obj) { return emit(obj.Serialize()); });
            };
            options.batch_size = o->batch;
            options.on_progress = [&](std::uint64_t bytes, std::uint64_t objects) {
              bar.Update(file, bytes, size, total.read + objects);
            };
            auto report = store::Ingest(*store, reader, options);
            if (!report.ok()) {
              bar.Done();
              return report.status().WithContext(file);
            }
            if (!report->stopped.empty()) report->stopped = file + ": " + report->stopped;
            for (auto& e : report->errors) e = file + ": " + e;
            total.Merge(*report);
          }
          bar.Done();
          double seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          if (global.json) {
            PrintJson(ReportJson(total, seconds));
          } else {
            std::printf("read %llu, added %llu, duplicates %llu, rejected %llu (%.2f s)\n",
                        static_cast<unsigned long long>(total.read),
                        static_cast<unsigned long long>(total.added),
                        static_cast<unsigned long long>(total.duplicates),
                        static_cast<unsigned long long>(total.rejected), seconds);
            for (const auto& e : total.errors) std::fprintf(stderr, "rejected: %s\n", e.c_str());
            if (!total.stopped.empty())
              std::fprintf(stderr, "stopped: %s\n", total.stopped.c_str());
          }
          if (!total.stopped.empty()) return Status::InvalidArgument(total.stopped);
          if (total.rejected > 0) {
            return Status::InvalidArgument(std::to_string(total.rejected) + " object(s) rejected");
          }
          return Status::Ok();
        });
      });
    });

// ---- get --------------------------------------------------------------------------------------

// An ATT&CK id (T1566.001, TA0001, G0016, S0002, C0001, M1036) names the object whose
// external_references carry it; resolved by a pass over the latest objects of those types.
Result<std::string> ResolveExternalId(store::Store& store, const std::string& external_id) {
  std::string wanted = external_id;
  for (auto& c : wanted) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  store::Query q;
  q.types = {"attack-pattern", "intrusion-set",    "malware",       "tool",
             "campaign",       "course-of-action", "x-mitre-tactic"};
  q.limit = 5000;
  json::Document doc;
  for (;;) {
    ENTENTE_ASSIGN_OR_RETURN(store::Page page, store.Find(q));
    for (const auto& obj : page.objects) {
      if (obj.json.find(wanted) == std::string::npos) continue;  // cheap pre-filter
      if (!doc.Parse(obj.json).ok()) continue;
      for (auto [k, ref] : doc.root()["external_references"]) {
        if (ref["external_id"].str() == wanted) return obj.id;
      }
    }
    if (!page.more) break;
    q.cursor = page.next;
  }
  return Status::NotFound("no object with external id " + external_id);
}

const CommandRegistration kGet(
    "get", "Print a stored object (latest version by default)",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      struct Options {
        std::string id;
        std::string version = "last";
      };
      auto o = std::make_shared<Options>();
      app.add_option("id", o->id,
                     "STIX id (intrusion-set--...) or ATT&CK id (G0034, T1566.001, S0002)")
          ->required();
      app.add_option("--version", o->version, "last, first, all, or a `modified` timestamp");
      app.callback([&global, run, o] {
        run([&global, o]() -> Status {
          ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home, true));
          std::string id = o->id;
          if (id.find("--") == std::string::npos) {
            ENTENTE_ASSIGN_OR_RETURN(id, ResolveExternalId(*store, o->id));
          }
          if (o->version == "all") {
            ENTENTE_ASSIGN_OR_RETURN(auto versions, store->GetVersions(id));
            for (const auto& v : versions) std::printf("%s\n", v.json.c_str());
            return Status::Ok();
          }
          store::Versions which =
              o->version == "first" ? store::Versions::kFirst : store::Versions::kLast;
          std::string exact = (o->version == "first" || o->version == "last") ? "" : o->version;
          ENTENTE_ASSIGN_OR_RETURN(auto obj, store->Get(id, which, exact));
          if (global.json) {
            std::printf("%s\n", obj.json.c_str());
          } else {
            auto v = json::Value::Parse(obj.json);
            std::printf("%s\n", v.ok() ? v->Pretty().c_str() : obj.json.c_str());
          }
          return Status::Ok();
        });
      });
    });

// ---- query / export ---------------------------------------------------------------------------

struct QueryOptions {
  std::vector<std::string> types, ids;
  std::string added_after, modified_from, modified_to, label, marking, created_by, text;
  std::string versions = "last";
  bool no_revoked = false;
  std::size_t limit = 100;
  std::string cursor;
};

void AddQueryOptions(CLI::App& app, QueryOptions& q) {
  app.add_option("--type", q.types, "Only these STIX types (repeatable)");
  app.add_option("--id", q.ids, "Only these ids (repeatable)");
  app.add_option("--added-after", q.added_after,
                 "Only versions added to this node after (RFC 3339)");
  app.add_option("--modified-from", q.modified_from,
                 "Only versions modified at or after (RFC 3339)");
  app.add_option("--modified-to", q.modified_to, "Only versions modified at or before (RFC 3339)");
  app.add_option("--label", q.label, "Only objects with this label");
  app.add_option("--marking", q.marking, "Only objects with this marking-definition id");
  app.add_option("--created-by", q.created_by, "Only objects created by this identity id");
  app.add_option("--text", q.text, "Full-text search on names and descriptions");
  app.add_option("--versions", q.versions, "last (default), first or all")
      ->check(CLI::IsMember({"last", "first", "all"}));
  app.add_flag("--no-revoked", q.no_revoked, "Leave out revoked objects");
}

Result<store::Query> BuildQuery(const QueryOptions& o) {
  store::Query q;
  q.types = o.types;
  q.ids = o.ids;
  if (!o.added_after.empty()) {
    ENTENTE_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(o.added_after, "--added-after"));
    q.added_after_us = t.micros();
  }
  if (!o.modified_from.empty()) q.modified_from = o.modified_from;
  if (!o.modified_to.empty()) q.modified_to = o.modified_to;
  q.label = o.label;
  q.marking = o.marking;
  q.created_by = o.created_by;
  q.text = o.text;
  q.versions = o.versions == "all"     ? store::Versions::kAll
               : o.versions == "first" ? store::Versions::kFirst
                                       : store::Versions::kLast;
  q.include_revoked = !o.no_revoked;
  q.limit = o.limit;
  q.cursor = o.cursor;
  return q;
}

const CommandRegistration kQuery(
    "query", "Find stored objects by type, id, time, label, marking, creator or text",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<QueryOptions>();
      AddQueryOptions(app, *o);
      app.add_option("--limit", o->limit, "Objects per page (1-10000)")
          ->check(CLI::Range(1, 10000));
      app.add_option("--cursor", o->cursor, "Continue from the `next` of a previous page");
      app.footer("Prints one object per line; with --json one object {objects, more, next}.");
      app.callback([&global, run, o] {
        run([&global, o]() -> Status {
          ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home, true));
          ENTENTE_ASSIGN_OR_RETURN(store::Query q, BuildQuery(*o));
          ENTENTE_ASSIGN_OR_RETURN(store::Page page, store->Find(q));
          if (global.json) {
            std::string out = "{\"objects\":[";
            for (std::size_t i = 0; i < page.objects.size(); ++i) {
              if (i) out += ',';
              out += page.objects[i].json;
            }
            out += "],\"more\":";
            out += page.more ? "true" : "false";
            if (page.more) {
              out += ",\"next\":";
              json::AppendQuoted(out, page.next);
            }
            out += "}";
            std::printf("%s\n", out.c_str());
          } else {
            for (const auto& obj : page.objects) std::printf("%s\n", obj.json.c_str());
            if (page.more) std::fprintf(stderr, "more: --cursor %s\n", page.next.c_str());
          }
          return Status::Ok();
        });
      });
    });

const CommandRegistration kExport(
    "export", "Write stored objects as one STIX 2.1 bundle (streamed, any size)",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<QueryOptions>();
      auto out_path = std::make_shared<std::string>("-");
      AddQueryOptions(app, *o);
      app.add_option("--out", *out_path, "Output file (default: standard output)");
      app.callback([&global, run, o, out_path] {
        run([&global, o, out_path]() -> Status {
          ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home, true));
          ENTENTE_ASSIGN_OR_RETURN(store::Query q, BuildQuery(*o));
          q.limit = 5000;
          FILE* out = *out_path == "-" ? stdout : std::fopen(out_path->c_str(), "wb");
          if (out == nullptr) return Status::IoError("cannot write " + *out_path);
          std::unique_ptr<FILE, int (*)(FILE*)> closer(out == stdout ? nullptr : out, &std::fclose);
          std::string head = "{\"type\":\"bundle\",\"id\":\"bundle--" + UuidToString(UuidV4()) +
                             "\",\"objects\":[";
          std::fwrite(head.data(), 1, head.size(), out);
          std::uint64_t n = 0;
          for (;;) {
            ENTENTE_ASSIGN_OR_RETURN(store::Page page, store->Find(q));
            for (const auto& obj : page.objects) {
              if (n++ > 0) std::fputc(',', out);
              std::fputc('\n', out);
              std::fwrite(obj.json.data(), 1, obj.json.size(), out);
            }
            if (!page.more) break;
            q.cursor = page.next;
          }
          std::fputs("\n]}\n", out);
          if (std::ferror(out)) return Status::IoError("write failed: " + *out_path);
          if (*out_path != "-")
            std::fprintf(stderr, "exported %llu objects\n", static_cast<unsigned long long>(n));
          return Status::Ok();
        });
      });
    });

// ---- stats ------------------------------------------------------------------------------------

const CommandRegistration kStats(
    "stats", "Count what the node holds: latest versions per STIX type",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      app.footer("--json prints {\"objects\": {type: count}, \"total\": n, \"versions\": m}.");
      app.callback([&global, run] {
        run([&global]() -> Status {
          ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home, true));
          ENTENTE_ASSIGN_OR_RETURN(store::Counts counts, store->Count());
          if (global.json) {
            json::Value v = json::Value::MakeObject();
            json::Value objects = json::Value::MakeObject();
            for (const auto& [t, n] : counts.latest_by_type) objects.set(t, n);
            v.set("objects", std::move(objects));
            v.set("total", counts.objects);
            v.set("versions", counts.versions);
            PrintJson(v);
          } else {
            std::printf("%-28s %10s\n", "type", "objects");
            for (const auto& [t, n] : counts.latest_by_type) {
              std::printf("%-28s %10llu\n", t.c_str(), static_cast<unsigned long long>(n));
            }
            std::printf("%-28s %10llu  (%llu versions)\n", "total",
                        static_cast<unsigned long long>(counts.objects),
                        static_cast<unsigned long long>(counts.versions));
          }
          return Status::Ok();
        });
      });
    });

}  // namespace
}  // namespace entente::cli

namespace entente::cli {
namespace {

// ---- check ------------------------------------------------------------------------------------

const CommandRegistration kCheck(
    "check", "Verify the store's integrity (SQLite checks and version invariants)",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      app.callback([&global, run] {
        run([&global]() -> Status {
          ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home, true));
          ENTENTE_RETURN_IF_ERROR(store->CheckIntegrity());
          if (global.json) {
            std::printf("{\"ok\":true}\n");
          } else {
            std::printf("store ok\n");
          }
          return Status::Ok();
        });
      });
    });

}  // namespace
}  // namespace entente::cli
