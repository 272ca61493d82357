#include "entente/federation/client.h"

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace entente::federation {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl out;
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    out.tls = false;
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument("peer URL must start with https://: '" + std::string(url) + "'");
  }
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.path.back() != '/') out.path += '/';
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("bad IPv6 URL host");
    out.host = std::string(authority.substr(1, close - 1));
    authority = authority.substr(close + 1);
    if (!authority.empty() && authority.front() == ':') out.port = std::string(authority.substr(1));
  } else {
    std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.port.empty()) out.port = out.tls ? "443" : "80";
  if (out.host.empty()) return Status::InvalidArgument("peer URL has no host: " + std::string(url));
  for (char c : out.port) {
    if (c < '0' || c > '9') return Status::InvalidArgument("bad port in " + std::string(url));
  }
  return out;
}

struct HttpClient::Impl {
  ParsedUrl url;
  ClientOptions options;
  asio::io_context ioc;
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  std::unique_ptr<beast::tcp_stream> plain;
  beast::flat_buffer buffer;
  bool connected = false;
  std::uint64_t rx = 0, tx = 0;

  beast::tcp_stream& Tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Runs the io_context until the started operation completes.
  void RunIo() {
    ioc.restart();
    ioc.run();
  }

  void Close() {
    if (tls || plain) {
      beast::error_code ignored;
      Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
      Tcp().socket().close(ignored);
    }
    tls.reset();
    plain.reset();
    buffer.clear();
    connected = false;
  }

  Status Connect() {
    Close();
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type results;
    resolver.async_resolve(url.host, url.port,
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             results = std::move(r);
                           });
    RunIo();
    if (ec) return Status::Unavailable("resolve " + url.host + ": " + ec.message());
    if (url.tls) {
      tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, ctx);
      boost::system::error_code ip_ec;
      asio::ip::make_address(url.host, ip_ec);
      if (ip_ec && !SSL_set_tlsext_host_name(tls->native_handle(), url.host.c_str())) {
        return Status::Internal("cannot set TLS server name");
      }
      tls->set_verify_mode(asio::ssl::verify_peer);
      tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    } else {
      plain = std::make_unique<beast::tcp_stream>(ioc);
    }
    Tcp().expires_after(options.timeout);
    Tcp().async_connect(results, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    RunIo();
    if (ec) {
      return Status::Unavailable("connect " + url.host + ":" + url.port + ": " + ec.message());
    }
    if (tls) {
      Tcp().expires_after(options.timeout);
      tls->async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
      RunIo();
      if (ec) {
        return Status::Unavailable("TLS handshake with " + url.host + ":" + url.port + ": " +
                                   ec.message());
      }
    }
    connected = true;
    return Status::Ok();
  }

  Result<HttpResult> Once(http::request<http::string_body>& req) {
    if (!connected) ENTENTE_RETURN_IF_ERROR(Connect());
    beast::error_code ec;
    std::size_t n = 0;
    Tcp().expires_after(options.timeout);
    auto on_write = [&](beast::error_code e, std::size_t bytes) {
      ec = e;
      n = bytes;
    };
    if (tls) {
      http::async_write(*tls, req, on_write);
    } else {
      http::async_write(*plain, req, on_write);
    }
    RunIo();
    if (ec) {
      connected = false;
      return Status::Unavailable("write to " + url.host + ": " + ec.message());
    }
    tx += n;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(64 * 1024);
    Tcp().expires_after(options.timeout);
    auto on_read = [&](beast::error_code e, std::size_t bytes) {
      ec = e;
      n = bytes;
    };
    if (tls) {
      http::async_read(*tls, buffer, parser, on_read);
    } else {
      http::async_read(*plain, buffer, parser, on_read);
    }
    RunIo();
    if (ec == http::error::body_limit) {
      Close();
      return Status::LimitExceeded("response from " + url.host + " over " +
                                   std::to_string(options.max_body_bytes) + " bytes");
    }
    if (ec) {
      connected = false;
      return Status::Unavailable("read from " + url.host + ": " + ec.message());
    }
    rx += n;
    auto res = parser.release();
    HttpResult out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    if (!res.keep_alive()) Close();
    return out;
  }

  Result<HttpResult> Request(http::verb method, std::string_view target, std::string_view bearer,
                             std::string body, std::string_view content_type) {
    http::request<http::string_body> req{method, url.path + std::string(target), 11};
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "entente-federation/1");
    req.set(http::field::accept, "application/taxii+json;version=2.1, application/json");
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + std::string(bearer));
    if (method == http::verb::post) {
      req.set(http::field::content_type, content_type);
      req.body() = std::move(body);
      req.prepare_payload();
    }
    req.keep_alive(true);
    bool was_connected = connected;
    auto r = Once(req);
    if (!r.ok() && was_connected && r.status().code() == ErrorCode::kUnavailable) {
      Close();  // the peer closed a kept-alive connection: one fresh attempt
      r = Once(req);
    }
    if (!r.ok()) Close();
    return r;
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() {
  if (impl_) impl_->Close();
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(std::string_view base_url,
                                                       ClientOptions options) {
  auto impl = std::make_unique<Impl>();
  ENTENTE_ASSIGN_OR_RETURN(impl->url, ParseUrl(base_url));
  impl->options = std::move(options);
  impl->ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (!impl->options.ca_pem.empty()) {
    impl->ctx.add_certificate_authority(asio::buffer(impl->options.ca_pem), ec);
    if (ec) return Status::InvalidArgument("peer certificate PEM: " + ec.message());
  } else {
    impl->ctx.set_default_verify_paths(ec);
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<HttpResult> HttpClient::Get(std::string_view target, std::string_view bearer) {
  return impl_->Request(http::verb::get, target, bearer, {}, {});
}

Result<HttpResult> HttpClient::Post(std::string_view target, std::string_view bearer,
                                    std::string body, std::string_view content_type) {
  return impl_->Request(http::verb::post, target, bearer, std::move(body), content_type);
}

std::uint64_t HttpClient::bytes_received() const noexcept { return impl_->rx; }
std::uint64_t HttpClient::bytes_sent() const noexcept { return impl_->tx; }

}  // namespace entente::federation
