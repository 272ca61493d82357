// A small HTTPS (and, for loopback tools, plain HTTP) client for talking to peer nodes:
// Boost.Beast over Asio and OpenSSL, one keep-alive connection, TLS 1.2+ with the peer's
// certificate (or CA) pinned from PEM and its host name or IP checked.
//
// Every operation has a deadline (connect, TLS handshake, write, read), so a silent or slow
// peer costs at most `timeout` per request; a response body over `max_body_bytes` is refused
// before it is read in full (kLimitExceeded), so a hostile peer cannot exhaust memory.
//
// Threads: one request at a time per client (not thread-safe); use one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"

namespace entente::federation {

struct ClientOptions {
  std::string ca_pem;  // trusted certificate(s) for the peer; empty: the system roots
  std::chrono::milliseconds timeout{15'000};
  std::size_t max_body_bytes = 80u << 20;
};

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
};

struct ParsedUrl {
  bool tls = true;
  std::string host;
  std::string port;
  std::string path;  // always ends with '/'
};
// "https://host:port/base/" (http:// too). kInvalidArgument otherwise.
Result<ParsedUrl> ParseUrl(std::string_view url);

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> Create(std::string_view base_url,
                                                    ClientOptions options);
  ~HttpClient();

  // `target` is relative to the base URL's path ("api/v1/federation/objects?..."). kUnavailable
  // for connection failures and timeouts, kLimitExceeded for an oversized body. Any HTTP status
  // is a successful result. Retries once on a kept-alive connection the peer closed.
  Result<HttpResult> Get(std::string_view target, std::string_view bearer);
  Result<HttpResult> Post(std::string_view target, std::string_view bearer, std::string body,
                          std::string_view content_type = "application/json");

  std::uint64_t bytes_received() const noexcept;
  std::uint64_t bytes_sent() const noexcept;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace entente::federation
