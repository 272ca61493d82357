#include "entente/crypto/qkd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "entente/base/json.h"
#include "entente/base/uuid.h"
#include "entente/crypto/keys.h"
#include "entente/crypto/symmetric.h"

namespace entente::crypto::qkd {
namespace {

constexpr std::size_t kMaxResponse = 1u << 20;
constexpr std::size_t kMaxRequest = 64u << 10;

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
};
Result<Url> ParseUrl(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument("KME URL must start with https:// or http://: " + url);
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    u.host = rest;
    u.port = u.tls ? "443" : "80";
  } else {
    u.host = rest.substr(0, colon);
    u.port = rest.substr(colon + 1);
  }
  if (u.host.empty() || u.host.find('/') != std::string::npos)
    return Status::InvalidArgument("bad KME URL " + url);
  return u;
}

Result<std::vector<KeyMaterial>> ParseKeyContainer(std::string_view body) {
  json::Document doc;
  json::ParseLimits limits;
  limits.max_bytes = kMaxResponse;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(body, limits).WithContext("KME key container"));
  const json::Node keys = doc.root()["keys"];
  if (!keys.is_array()) return Status::InvalidArgument("KME key container has no 'keys' array");
  std::vector<KeyMaterial> out;
  for (const auto& entry : keys) {
    const json::Node& k = entry.second;
    if (!k["key_ID"].is_string() || !k["key"].is_string()) {
      return Status::InvalidArgument("KME key without key_ID or key");
    }
    auto key = Base64Decode(k["key"].str());
    if (!key.ok()) return key.status().WithContext("KME key");
    KeyMaterial m;
    m.key_id = std::string(k["key_ID"].str());
    m.key = SecretBytes(ByteView(key.value()));
    SecureWipe(key.value().data(), key.value().size());
    out.push_back(std::move(m));
  }
  return out;
}

using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

Result<SslCtxPtr> MakeCtx(bool server, const std::string& cert, const std::string& key,
                          const std::string& ca) {
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()), &SSL_CTX_free);
  if (!ctx) return Status::Internal("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Status::InvalidArgument("cannot load TLS certificate/key " + cert + ": " +
                                   OpenSslError());
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1) {
    return Status::InvalidArgument("cannot load CA file " + ca + ": " + OpenSslError());
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                     nullptr);
  return ctx;
}

}  // namespace

struct Client::Tls {
  SslCtxPtr ctx{nullptr, &SSL_CTX_free};
  Url url;
};

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Create(ClientConfig config) {
  if (config.sae_id.empty()) return Status::InvalidArgument("QKD client needs its SAE id");
  std::unique_ptr<Client> c(new Client());
  c->tls_ = std::make_unique<Tls>();
  ENTENTE_ASSIGN_OR_RETURN(c->tls_->url, ParseUrl(config.base_url));
  if (c->tls_->url.tls) {
    if (config.cert_file.empty() || config.key_file.empty() || config.ca_file.empty()) {
      return Status::InvalidArgument(
          "https KME needs cert_file, key_file and ca_file (mutual TLS)");
    }
    ENTENTE_ASSIGN_OR_RETURN(c->tls_->ctx,
                             MakeCtx(false, config.cert_file, config.key_file, config.ca_file));
  }
  c->config_ = std::move(config);
  return c;
}

Result<std::unique_ptr<Client>> Client::FromConfigFile(const std::string& path) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, keys::ReadSmallFile(path));
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text).WithContext(path));
  ClientConfig c;
  auto str = [&](const char* name, std::string& out) {
    if (doc.root()[name].is_string()) out = std::string(doc.root()[name].str());
  };
  str("base_url", c.base_url);
  str("sae_id", c.sae_id);
  str("peer_sae_id", c.peer_sae_id);
  str("cert_file", c.cert_file);
  str("key_file", c.key_file);
  str("ca_file", c.ca_file);
  if (auto t = doc.root()["timeout_ms"].as_int64()) c.timeout_ms = static_cast<int>(*t);
  return Create(std::move(c));
}

Result<std::string> Client::Request(const std::string& method, const std::string& path,
                                    const std::string& body) {
  const Url& u = tls_->url;
  const std::string where = "KME " + config_.base_url + " " + method + " " + path;
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(nullptr, &BIO_free_all);
  const std::string target = u.host + ":" + u.port;
  if (u.tls) {
    bio.reset(BIO_new_ssl_connect(tls_->ctx.get()));
    SSL* ssl = nullptr;
    if (!bio || BIO_get_ssl(bio.get(), &ssl) != 1 || ssl == nullptr)
      return Status::Internal("TLS setup failed");
    SSL_set_tlsext_host_name(ssl, u.host.c_str());
    SSL_set1_host(ssl, u.host.c_str());
    BIO_set_conn_hostname(bio.get(), target.c_str());
  } else {
    bio.reset(BIO_new_connect(target.c_str()));
  }
  if (!bio || BIO_do_connect(bio.get()) != 1) {
    return Status::Unavailable(where + ": cannot connect: " + OpenSslError());
  }
  if (u.tls && BIO_do_handshake(bio.get()) != 1) {
    return Status::Unavailable(where + ": TLS handshake failed: " + OpenSslError());
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + u.host +
                    "\r\nAccept: application/json\r\nConnection: close\r\n";
  if (!u.tls) req += "X-SAE-ID: " + config_.sae_id + "\r\n";
  if (!body.empty()) {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  if (BIO_write(bio.get(), req.data(), static_cast<int>(req.size())) !=
      static_cast<int>(req.size())) {
    return Status::Unavailable(where + ": write failed");
  }
  std::string resp;
  char buf[8192];
  for (;;) {
    const int n = BIO_read(bio.get(), buf, sizeof(buf));
    if (n <= 0) break;
    resp.append(buf, static_cast<std::size_t>(n));
    if (resp.size() > kMaxResponse) return Status::LimitExceeded(where + ": response over 1 MiB");
  }
  if (resp.empty()) {
    // With TLS 1.3 a KME that refuses our certificate does so after the handshake: no response.
    return Status::Unavailable(where + ": connection closed without a response: " + OpenSslError());
  }
  const auto head_end = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos || resp.size() < 12) {
    return Status::InvalidArgument(where + ": malformed HTTP response");
  }
  const int code = std::atoi(resp.substr(9, 3).c_str());
  std::string headers = resp.substr(0, head_end);
  for (auto& ch : headers) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (headers.find("transfer-encoding: chunked") != std::string::npos) {
    return Status::Unsupported(where + ": chunked responses are not supported");
  }
  std::string payload = resp.substr(head_end + 4);
  if (code == 200) return payload;
  std::string message = payload.substr(0, 200);
  if (code == 401) return Status::Unauthenticated(where + ": 401 " + message);
  if (code == 400) return Status::InvalidArgument(where + ": 400 " + message);
  return Status::Unavailable(where + ": HTTP " + std::to_string(code) + " " + message);
}

Result<KmeStatus> Client::GetStatus(const std::string& slave_sae_id) {
  ENTENTE_ASSIGN_OR_RETURN(std::string body,
                           Request("GET", "/api/v1/keys/" + slave_sae_id + "/status", ""));
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(body).WithContext("KME status"));
  const json::Node r = doc.root();
  KmeStatus s;
  auto str = [&](const char* n) {
    return r[n].is_string() ? std::string(r[n].str()) : std::string();
  };
  auto num = [&](const char* n) { return r[n].as_int64().value_or(0); };
  s.source_kme_id = str("source_KME_ID");
  s.target_kme_id = str("target_KME_ID");
  s.master_sae_id = str("master_SAE_ID");
  s.slave_sae_id = str("slave_SAE_ID");
  s.key_size = num("key_size");
  s.stored_key_count = num("stored_key_count");
  s.max_key_count = num("max_key_count");
  s.max_key_per_request = num("max_key_per_request");
  s.max_key_size = num("max_key_size");
  s.min_key_size = num("min_key_size");
  s.max_sae_id_count = num("max_SAE_ID_count");
  return s;
}

Result<std::vector<KeyMaterial>> Client::GetKeys(const std::string& slave_sae_id, int number,
                                                 int size_bits) {
  json::Value::Object req;
  req.emplace_back("number", number);
  req.emplace_back("size", size_bits);
  ENTENTE_ASSIGN_OR_RETURN(std::string body,
                           Request("POST", "/api/v1/keys/" + slave_sae_id + "/enc_keys",
                                   json::Value::MakeObject(std::move(req)).Serialize()));
  return ParseKeyContainer(body);
}

Result<std::vector<KeyMaterial>> Client::GetKeysWithIds(const std::string& master_sae_id,
                                                        const std::vector<std::string>& key_ids) {
  json::Value::Array ids;
  for (const auto& id : key_ids) {
    json::Value::Object o;
    o.emplace_back("key_ID", id);
    ids.push_back(json::Value::MakeObject(std::move(o)));
  }
  json::Value::Object req;
  req.emplace_back("key_IDs", json::Value::MakeArray(std::move(ids)));
  ENTENTE_ASSIGN_OR_RETURN(std::string body,
                           Request("POST", "/api/v1/keys/" + master_sae_id + "/dec_keys",
                                   json::Value::MakeObject(std::move(req)).Serialize()));
  return ParseKeyContainer(body);
}

Result<SecretBytes> Client::GetKeyWithId(const std::string& key_id) {
  ENTENTE_ASSIGN_OR_RETURN(auto keys, GetKeysWithIds(config_.peer_sae_id, {key_id}));
  for (auto& k : keys) {
    if (k.key_id == key_id) return std::move(k.key);
  }
  return Status::NotFound("KME did not return QKD key " + key_id);
}

// --- simulator ---------------------------------------------------------------------------------

struct KmeSimulator::Impl {
  Options options;
  SslCtxPtr ctx{nullptr, &SSL_CTX_free};
  int listen_fd = -1;
  int port = 0;
  std::atomic<bool> stop{false};
  std::atomic<int> requests{0};
  std::thread thread;
  std::mutex mu;
  struct Stored {
    std::string master, slave;
    Bytes key;
  };
  std::map<std::string, Stored> keys;

  ~Impl() {
    stop = true;
    if (thread.joinable()) thread.join();
    if (listen_fd >= 0) ::close(listen_fd);
    for (auto& [id, s] : keys) SecureWipe(s.key.data(), s.key.size());
  }

  static std::string Response(int code, const std::string& body) {
    const char* reason = code == 200   ? "OK"
                         : code == 400 ? "Bad Request"
                         : code == 401 ? "Unauthorized"
                                       : "Service Unavailable";
    return "HTTP/1.1 " + std::to_string(code) + " " + reason +
           "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  static std::string Error(int code, const std::string& message) {
    json::Value::Object o;
    o.emplace_back("message", message);
    return Response(code, json::Value::MakeObject(std::move(o)).Serialize());
  }

  std::string Container(std::vector<std::pair<std::string, Bytes>> items) {
    json::Value::Array arr;
    for (auto& [id, key] : items) {
      json::Value::Object o;
      o.emplace_back("key_ID", id);
      o.emplace_back("key", Base64Encode(key));
      arr.push_back(json::Value::MakeObject(std::move(o)));
      SecureWipe(key.data(), key.size());
    }
    json::Value::Object root;
    root.emplace_back("keys", json::Value::MakeArray(std::move(arr)));
    return Response(200, json::Value::MakeObject(std::move(root)).Serialize());
  }

  std::string Handle(const std::string& caller, const std::string& method, const std::string& path,
                     const std::string& body) {
    const std::string prefix = "/api/v1/keys/";
    if (caller.empty()) return Error(401, "unknown SAE");
    if (path.rfind(prefix, 0) != 0) return Error(400, "unknown path");
    const std::string rest = path.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos) return Error(400, "unknown path");
    const std::string sae = rest.substr(0, slash), call = rest.substr(slash + 1);
    json::Document doc;
    if (method == "POST" && !doc.Parse(body).ok()) return Error(400, "body is not JSON");
    std::lock_guard<std::mutex> lock(mu);
    if (method == "GET" && call == "status") {
      std::int64_t stored = 0;
      for (const auto& [id, s] : keys) stored += (s.master == caller && s.slave == sae) ? 1 : 0;
      json::Value::Object o;
      o.emplace_back("source_KME_ID", "KME-SIM-A");
      o.emplace_back("target_KME_ID", "KME-SIM-B");
      o.emplace_back("master_SAE_ID", caller);
      o.emplace_back("slave_SAE_ID", sae);
      o.emplace_back("key_size", options.default_key_size);
      o.emplace_back("stored_key_count", stored);
      o.emplace_back("max_key_count", 100000);
      o.emplace_back("max_key_per_request", options.max_key_per_request);
      o.emplace_back("max_key_size", 4096);
      o.emplace_back("min_key_size", 64);
      o.emplace_back("max_SAE_ID_count", 0);
      return Response(200, json::Value::MakeObject(std::move(o)).Serialize());
    }
    if (method == "POST" && call == "enc_keys") {
      const auto number = doc.root()["number"].as_int64().value_or(1);
      const auto size = doc.root()["size"].as_int64().value_or(options.default_key_size);
      if (number < 1 || number > options.max_key_per_request || size < 64 || size > 4096 ||
          size % 8 != 0) {
        return Error(400, "number or size out of range");
      }
      std::vector<std::pair<std::string, Bytes>> out;
      for (std::int64_t i = 0; i < number; ++i) {
        Bytes key(static_cast<std::size_t>(size / 8));
        if (!RandomBytes(key).ok()) return Error(503, "no randomness");
        const std::string id = UuidToString(UuidV4());
        keys[id] = Stored{caller, sae, key};
        out.emplace_back(id, std::move(key));
      }
      return Container(std::move(out));
    }
    if (method == "POST" && call == "dec_keys") {
      const json::Node ids = doc.root()["key_IDs"];
      if (!ids.is_array()) return Error(400, "key_IDs missing");
      std::vector<std::pair<std::string, Bytes>> out;
      for (const auto& e : ids) {
        const json::Node id = e.second["key_ID"];
        if (!id.is_string()) return Error(400, "key_ID missing");
        auto it = keys.find(std::string(id.str()));
        if (it == keys.end() || it->second.master != sae || it->second.slave != caller) {
          return Error(400, "unknown key_ID " + std::string(id.str()));
        }
        out.emplace_back(it->first, std::move(it->second.key));
        keys.erase(it);
      }
      return Container(std::move(out));
    }
    return Error(400, "unknown call");
  }

  void Serve(int fd) {
    SSL* ssl = nullptr;
    std::string caller;
    if (ctx) {
      ssl = SSL_new(ctx.get());
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        return;
      }
      if (X509* peer = SSL_get1_peer_certificate(ssl)) {
        char cn[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
        caller = cn;
        X509_free(peer);
      }
    }
    auto rd = [&](char* b, int n) {
      return ssl ? SSL_read(ssl, b, n)
                 : static_cast<int>(::read(fd, b, static_cast<std::size_t>(n)));
    };
    std::string req;
    char buf[4096];
    std::size_t need = std::string::npos;
    while (req.size() < kMaxRequest) {
      const int n = rd(buf, sizeof(buf));
      if (n <= 0) break;
      req.append(buf, static_cast<std::size_t>(n));
      const auto he = req.find("\r\n\r\n");
      if (he != std::string::npos) {
        std::string lower = req.substr(0, he);
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const auto cl = lower.find("content-length:");
        need = he + 4 +
               (cl == std::string::npos
                    ? 0
                    : static_cast<std::size_t>(std::atoi(lower.c_str() + cl + 15)));
        if (req.size() >= need) break;
      }
    }
    std::string response;
    const auto he = req.find("\r\n\r\n");
    const auto sp1 = req.find(' '), sp2 = req.find(' ', sp1 + 1);
    if (he == std::string::npos || sp1 == std::string::npos || sp2 == std::string::npos ||
        need > req.size()) {
      response = Error(400, "malformed request");
    } else {
      if (!ssl) {
        const auto h = req.find("X-SAE-ID: ");
        if (h != std::string::npos && h < he)
          caller = req.substr(h + 10, req.find("\r\n", h) - h - 10);
      }
      ++requests;
      response = Handle(caller, req.substr(0, sp1), req.substr(sp1 + 1, sp2 - sp1 - 1),
                        req.substr(he + 4, need - he - 4));
    }
    if (ssl) {
      SSL_write(ssl, response.data(), static_cast<int>(response.size()));
      SSL_shutdown(ssl);
      SSL_free(ssl);
    } else {
      (void)!::write(fd, response.data(), response.size());
    }
  }

  void Loop() {
    while (!stop) {
      pollfd p{listen_fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd, nullptr, nullptr);
      if (fd < 0) continue;
      timeval tv{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      Serve(fd);
      ::close(fd);
    }
  }
};

Result<std::unique_ptr<KmeSimulator>> KmeSimulator::Start(Options options) {
  std::unique_ptr<KmeSimulator> s(new KmeSimulator());
  s->impl_ = std::make_unique<Impl>();
  Impl& im = *s->impl_;
  im.options = options;
  if (!options.cert_file.empty()) {
    ENTENTE_ASSIGN_OR_RETURN(im.ctx,
                             MakeCtx(true, options.cert_file, options.key_file, options.ca_file));
  }
  im.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (im.listen_fd < 0 ||
      ::bind(im.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(im.listen_fd, 16) != 0 ||
      ::getsockname(im.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Status::IoError("KME simulator cannot listen on 127.0.0.1");
  }
  im.port = ntohs(addr.sin_port);
  im.thread = std::thread([&im] { im.Loop(); });
  return s;
}

KmeSimulator::~KmeSimulator() = default;
int KmeSimulator::port() const { return impl_->port; }
std::string KmeSimulator::base_url() const {
  return std::string(impl_->ctx ? "https" : "http") + "://" +
         (impl_->ctx ? "localhost" : "127.0.0.1") + ":" + std::to_string(impl_->port);
}
int KmeSimulator::requests() const { return impl_->requests; }

}  // namespace entente::crypto::qkd
