// entente serve: the node as a network service (TAXII 2.1, REST API, operations endpoints).
//
// Settings, strongest first: command-line flags, environment (ENTENTE_LISTEN, ENTENTE_TLS_CERT,
// ENTENTE_TLS_KEY, ENTENTE_CLIENT_CA, ENTENTE_THREADS), the "server" object of HOME/node.json,
// defaults. Without certificate files the node makes a self-signed one in HOME/tls/ on first
// start; --plain serves HTTP without TLS (only for loopback benchmarks and local tools).
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "command.h"
#include "entente/base/file.h"
#include "entente/base/json.h"
#include "entente/base/uuid.h"
#include "entente/identity/directory.h"
#include "entente/server/dashboard.h"
#include "entente/server/http_server.h"
#include "entente/server/service.h"
#include "node_home.h"
#include "openapi.h"
#include "serve_federation.h"
#include "serve_routes.h"

namespace entente::cli {
namespace {

namespace fs = std::filesystem;

struct ServeFlags {
  std::string listen;
  std::string tls_cert, tls_key, client_ca;
  bool plain = false;
  int threads = 0;
  bool access_log = false;
  bool public_metrics = false;
  std::string dashboard;
  bool no_dashboard = false;
  int sync_interval_ms = 10000;  // federation: pull from peers at least this often
};

std::string FromEnv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// node.json's "server" object (or an empty object).
json::Value ServerConfig(const std::string& home) {
  auto text = ReadFileToString(home + "/node.json");
  if (!text.ok()) return json::Value::MakeObject();
  auto v = json::Value::Parse(*text);
  if (!v.ok() || !v->find("server") || !v->find("server")->is_object()) {
    return json::Value::MakeObject();
  }
  return *v->find("server");
}

std::string ConfigString(const json::Value& config, std::string_view key) {
  const json::Value* v = config.find(key);
  return v != nullptr && v->is_string() ? v->str() : std::string();
}

// The collections a node offers unless node.json lists its own. Ids are derived from the
// node's identity so they are stable across restarts and distinct between nodes.
Result<std::vector<server::CollectionConfig>> Collections(const std::string& home,
                                                          const json::Value& config) {
  std::vector<server::CollectionConfig> out;
  if (const json::Value* list = config.find("collections"); list && list->is_array()) {
    for (const auto& c : list->array()) {
      server::CollectionConfig cc;
      cc.id = ConfigString(c, "id");
      cc.title = ConfigString(c, "title");
      cc.description = ConfigString(c, "description");
      cc.scope = ConfigString(c, "scope");
      cc.marking = ConfigString(c, "marking");
      cc.label = ConfigString(c, "label");
      if (const auto* r = c.find("can_read")) cc.can_read = r->boolean();
      if (const auto* w = c.find("can_write")) cc.can_write = w->boolean();
      if (const auto* types = c.find("types"); types && types->is_array()) {
        for (const auto& t : types->array()) cc.types.push_back(t.str());
      }
      if (!IsUuid(cc.id, false) || cc.title.empty()) {
        return Status::InvalidArgument(
            "node.json server.collections: each needs a UUID id and a title");
      }
      out.push_back(std::move(cc));
    }
    return out;
  }
  std::string node = NodeIdentity(home);
  Uuid ns{};
  ParseUuid("3b1f0d0e-7a66-5c2a-9f43-1e2d3c4b5a69", ns);
  auto id = [&](std::string_view name) {
    return UuidToString(UuidV5(ns, node + "/" + std::string(name)));
  };
  out.push_back({id("community"),
                 "Community",
                 "Everything this node shares; each object is visible by its TLP marking and "
                 "recipients",
                 "",
                 true,
                 true,
                 {},
                 "",
                 ""});
  out.push_back({id("indicators"),
                 "Indicators",
                 "Indicators only (read-only view)",
                 "",
                 true,
                 false,
                 {"indicator"},
                 "",
                 ""});
  out.push_back({id("sightings"),
                 "Sightings",
                 "Sightings recorded by members' scanners",
                 "",
                 true,
                 true,
                 {"sighting", "observed-data"},
                 "",
                 ""});
  return out;
}

// The dashboard's production build: --dashboard, ENTENTE_DASHBOARD, node.json
// server.dashboard, else the first of SHARE/entente/dashboard beside the binary's prefix and
// dashboard/dist in a source tree that holds the binary's build directory. "" if none.
std::string FindDashboard(const ServeFlags& flags, const json::Value& config) {
  if (!flags.dashboard.empty()) return flags.dashboard;
  if (auto e = FromEnv("ENTENTE_DASHBOARD"); !e.empty()) return e;
  if (auto c = ConfigString(config, "dashboard"); !c.empty()) return c;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  fs::path dir = exe.parent_path();
  if (fs::exists(dir.parent_path() / "share/entente/dashboard/index.html", ec)) {
    return (dir.parent_path() / "share/entente/dashboard").string();
  }
  for (int up = 0; up < 6 && !dir.empty() && dir != dir.root_path(); ++up) {
    if (fs::exists(dir / "dashboard/dist/index.html", ec)) return (dir / "dashboard/dist").string();
    dir = dir.parent_path();
  }
  return {};
}

Status Serve(const GlobalOptions& global, const ServeFlags& flags) {
  json::Value config = ServerConfig(global.home);
  server::ServerOptions options;
  std::string listen = !flags.listen.empty() ? flags.listen : FromEnv("ENTENTE_LISTEN");
  if (listen.empty()) listen = ConfigString(config, "listen");
  if (listen.empty()) listen = "127.0.0.1:8443";
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("--listen wants ADDRESS:PORT, got '" + listen + "'");
  }
  options.address = listen.substr(0, colon);
  if (options.address.size() > 2 && options.address.front() == '[') {
    options.address = options.address.substr(1, options.address.size() - 2);
  }
  try {
    int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    options.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return Status::InvalidArgument("--listen: bad port in '" + listen + "'");
  }
  int threads = flags.threads;
  if (threads <= 0 && !FromEnv("ENTENTE_THREADS").empty()) {
    threads = std::atoi(FromEnv("ENTENTE_THREADS").c_str());
  }
  if (threads <= 0) {
    if (const auto* t = config.find("threads"); t && t->as_int64()) {
      threads = static_cast<int>(*t->as_int64());
    }
  }
  options.threads = threads > 0 ? threads : 2;

  if (!flags.plain) {
    auto pick = [&](const std::string& flag, const char* env, std::string_view key) {
      if (!flag.empty()) return flag;
      if (auto e = FromEnv(env); !e.empty()) return e;
      return ConfigString(config, key);
    };
    options.tls.certificate_file = pick(flags.tls_cert, "ENTENTE_TLS_CERT", "tls_cert");
    options.tls.private_key_file = pick(flags.tls_key, "ENTENTE_TLS_KEY", "tls_key");
    options.tls.client_ca_file = pick(flags.client_ca, "ENTENTE_CLIENT_CA", "client_ca");
    if (options.tls.certificate_file.empty()) {
      fs::create_directories(global.home + "/tls");
      options.tls.certificate_file = global.home + "/tls/node.crt";
      options.tls.private_key_file = global.home + "/tls/node.key";
      if (!fs::exists(options.tls.certificate_file)) {
        ENTENTE_RETURN_IF_ERROR(server::WriteSelfSignedCertificate(
            options.tls.certificate_file, options.tls.private_key_file,
            {"localhost", "127.0.0.1", "::1"}));
      }
    }
  }

  // Memory for the store's cache of latest versions (GET by id, read checks): MiB, 0 for none.
  std::int64_t cache_mb = 256;
  std::string cache_text;  // as given, for the error message
  if (auto e = FromEnv("ENTENTE_OBJECT_CACHE_MB"); !e.empty()) {
    cache_text = e;
    auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), cache_mb);
    if (ec != std::errc() || end != e.data() + e.size()) cache_mb = -1;
  } else if (const auto* c = config.find("object_cache_mb"); c != nullptr) {
    cache_text = c->is_string() ? c->str() : "a non-integer";
    cache_mb = c->as_int64().value_or(-1);
    if (c->as_int64()) cache_text = std::to_string(cache_mb);
  }
  if (cache_mb < 0 || cache_mb > (std::int64_t{1} << 20)) {
    return Status::InvalidArgument(
        "object_cache_mb (ENTENTE_OBJECT_CACHE_MB or node.json server.object_cache_mb) must "
        "be an integer 0..1048576, not '" +
        cache_text + "'");
  }
  ENTENTE_ASSIGN_OR_RETURN(
      auto store, OpenNodeStore(global.home, false, static_cast<std::size_t>(cache_mb) << 20));
  ENTENTE_ASSIGN_OR_RETURN(auto directory, identity::Directory::Open(global.home + "/identity.db"));
  server::DirectoryAccess access(*directory);

  server::ServiceOptions service_options;
  ENTENTE_ASSIGN_OR_RETURN(service_options.collections, Collections(global.home, config));
  service_options.title = "Entente node " + NodeIdentity(global.home);
  service_options.openapi_json = std::string(kOpenApiJson);
  service_options.access_log = flags.access_log;
  service_options.public_metrics = flags.public_metrics;
  service_options.max_content_length = options.max_body_bytes;
  std::unique_ptr<server::StaticSite> dashboard;
  if (!flags.no_dashboard) {
    if (std::string dir = FindDashboard(flags, config); !dir.empty()) {
      ENTENTE_ASSIGN_OR_RETURN(dashboard, server::StaticSite::Open(dir));
      service_options.dashboard = dashboard.get();
    } else {
      std::fprintf(stderr,
                   "{\"level\":\"info\",\"msg\":\"no dashboard build found (npm --prefix "
                   "dashboard run build, or --dashboard DIR); serving the APIs only\"}\n");
    }
  }
  ENTENTE_ASSIGN_OR_RETURN(NodeExtras extras,
                           AttachNodeExtras(global.home, *store, service_options));
  if (flags.sync_interval_ms < 100 || flags.sync_interval_ms > 3'600'000) {
    return Status::InvalidArgument("--sync-interval must be 100..3600000 ms");
  }
  ENTENTE_ASSIGN_OR_RETURN(NodeFederation federation,
                           AttachFederation(global.home, *store, service_options,
                                            std::chrono::milliseconds(flags.sync_interval_ms)));
  server::NodeService service(*store, access, service_options);
  ENTENTE_RETURN_IF_ERROR(AddNodeRoutes(global.home, *store, extras, service));
  AddFederationRoutes(federation, service);

  // Signals are taken synchronously by this thread: the I/O threads inherit the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ENTENTE_ASSIGN_OR_RETURN(
      auto http, server::HttpServer::Start(options, [&service](const server::HttpRequest& req,
                                                               const server::ConnectionInfo& c) {
        return service.Handle(req, c);
      }));
  service.SetServerStats([&http] { return http->stats(); });
  std::string host = options.address.find(':') != std::string::npos ? "[" + options.address + "]"
                                                                    : options.address;
  std::printf("{\"listening\":\"%s://%s:%u\",\"tls\":%s,\"collections\":%zu,\"dashboard\":%s}\n",
              http->tls() ? "https" : "http", host.c_str(), http->port(),
              http->tls() ? "true" : "false", service_options.collections.size(),
              dashboard ? "true" : "false");
  std::fflush(stdout);
  std::fprintf(stderr, "{\"level\":\"info\",\"msg\":\"serving\",\"port\":%u}\n", http->port());
  federation.Start();

  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "{\"level\":\"info\",\"msg\":\"stopping\",\"signal\":%d}\n", received);
  federation.Stop();
  http->Stop();
  http->Wait();
  extras.Close();
  std::fprintf(stderr, "{\"level\":\"info\",\"msg\":\"stopped\"}\n");
  return Status::Ok();
}

const CommandRegistration kServe(
    "serve", "Run the node: TAXII 2.1 and REST API over TLS 1.3",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto flags = std::make_shared<ServeFlags>();
      app.add_option("--listen", flags->listen, "ADDRESS:PORT (default 127.0.0.1:8443)");
      app.add_option("--tls-cert", flags->tls_cert, "PEM certificate chain");
      app.add_option("--tls-key", flags->tls_key, "PEM private key");
      app.add_option("--client-ca", flags->client_ca, "Require client certificates from this CA");
      app.add_flag("--plain", flags->plain, "Serve plain HTTP (loopback tools and benchmarks)");
      app.add_option("--threads", flags->threads, "I/O threads (default 2)");
      app.add_flag("--access-log", flags->access_log, "One JSON line per request on stderr");
      app.add_flag("--public-metrics", flags->public_metrics,
                   "Serve /metrics without a token (default: admin token)");
      app.add_option("--dashboard", flags->dashboard,
                     "Serve this dashboard build at / (default: dashboard/dist of the source "
                     "tree or share/entente/dashboard)");
      app.add_flag("--no-dashboard", flags->no_dashboard, "Serve the APIs only");
      app.add_option("--sync-interval", flags->sync_interval_ms,
                     "Federation: pull from every peer at least this often, in ms (default "
                     "10000; pushes from peers trigger a pull at once)");
      app.callback(
          [&global, run, flags] { run([&global, flags] { return Serve(global, *flags); }); });
    });

}  // namespace
}  // namespace entente::cli
