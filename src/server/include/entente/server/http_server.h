// The node's HTTP/1.1 server: Boost.Beast on Asio with C++20 coroutines, plain or TLS 1.3.
//
// It owns connections, limits and shutdown; what a request means is the Handler's business
// (NodeService). Every connection is one coroutine: read a request header within
// `header_timeout`, refuse oversized headers (431) and bodies (413) before reading them, read
// the body within `body_timeout`, call the handler, write the response, repeat while the
// client keeps the connection alive and it has been idle less than `idle_timeout`. A slow
// client (slowloris) therefore costs one socket for at most header_timeout, and memory per
// connection is bounded by max_header_bytes + max_body_bytes.
//
// Connections beyond `max_connections` are answered 503 and closed at once, so a flood cannot
// exhaust descriptors or memory while established clients keep being served.
//
// Threading: `threads` I/O threads, each with its own event loop; a connection is assigned to
// one of them in turn when accepted and stays there, so its handler calls never move between
// threads. The handler is called on all of them concurrently and must be thread-safe; while
// it runs, the other connections of its thread wait (a slow handler, such as a large POST that
// syncs the store, delays them by its duration; more threads than cores shortens that wait).
// Stop() may be called from any thread (a signal handler thread included): it stops
// accepting, lets in-flight requests finish and answer (with `Connection: close`), and closes
// idle connections; Wait() returns when all are done or `drain_timeout` has passed.
#pragma once

#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "entente/base/status.h"

namespace entente::server {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// A response body produced over time (server-sent events). The server writes the handler's
// response header with chunked transfer encoding, then calls Next() on the connection's strand
// right away and every poll_interval(), writing what it returns as one chunk, until Next()
// returns nullopt, the client goes away, a write stalls past body_timeout, or the server
// stops (the stream is ended within one poll_interval of Stop()). The connection is closed
// afterwards. Next() runs on an I/O thread: it must not block for long, and it bounds what
// it returns (the server holds at most one chunk per stream in memory).
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  virtual std::optional<std::string> Next() = 0;
  virtual std::chrono::milliseconds poll_interval() const { return std::chrono::milliseconds(500); }
};

// Facts about the connection a request came on, for logging and authentication.
struct ConnectionInfo {
  std::string peer;  // "127.0.0.1:53412"
  bool tls = false;
  std::string client_cert_subject;  // verified client certificate subject, if any
  // A handler that answers with a streamed body sets this (the response's own body is then
  // ignored); the server clears it before the next request. Mutable because handlers receive
  // the connection facts read-only.
  mutable std::shared_ptr<BodyStream> stream;
};

// Answers one request. Called concurrently from the I/O threads.
using Handler = std::function<HttpResponse(const HttpRequest&, const ConnectionInfo&)>;

struct TlsOptions {
  std::string certificate_file;  // PEM chain; empty: plain HTTP
  std::string private_key_file;  // PEM
  std::string client_ca_file;    // PEM; when set, clients must present a certificate it signed
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8443;  // 0: pick a free port (see HttpServer::port())
  TlsOptions tls;
  int threads = 2;
  std::size_t max_connections = 20000;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64u << 20;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds drain_timeout{10'000};
};

// Counters the server keeps about itself (read with stats()).
struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // over max_connections
  std::uint64_t connections_open = 0;
  std::uint64_t requests = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t rejected_requests = 0;  // 400/413/431 before the handler
};

class HttpServer {
 public:
  // Binds and starts listening (the port is open when this returns ok). IoError if the address
  // cannot be bound; InvalidArgument for unusable TLS files.
  static Result<std::unique_ptr<HttpServer>> Start(ServerOptions options, Handler handler);
  ~HttpServer();  // Stop() + Wait()

  std::uint16_t port() const noexcept;
  bool tls() const noexcept;
  ServerStats stats() const noexcept;

  void Stop() noexcept;
  void Wait();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Creates a self-signed ECDSA P-256 certificate for `host_names` (subjectAltName DNS/IP
// entries) valid for `days`, and writes certificate and key as PEM (key file mode 0600).
// For a node's first start and for tests; production nodes use their agency's PKI.
Status WriteSelfSignedCertificate(const std::string& certificate_file,
                                  const std::string& private_key_file,
                                  const std::vector<std::string>& host_names, int days = 825);

}  // namespace entente::server
