// The HTTP server on real loopback sockets: keep-alive, TLS 1.3 (and client certificates),
// limits, slow clients, connection floods and graceful shutdown.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <thread>

#include "entente/server/http_server.h"
#include "server_test_util.h"

namespace entente::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

HttpResponse Echo(const HttpRequest& req, const ConnectionInfo& info) {
  HttpResponse res{http::status::ok, req.version()};
  res.set(http::field::content_type, "text/plain");
  res.body() = std::string(req.target()) + "|" + info.client_cert_subject;
  return res;
}

std::unique_ptr<HttpServer> StartServer(ServerOptions options, Handler handler = Echo) {
  options.address = "127.0.0.1";
  options.port = 0;
  auto s = HttpServer::Start(options, std::move(handler));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// A plain keep-alive client.
struct Client {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;
  explicit Client(std::uint16_t port) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  HttpResponse Get(std::string target, beast::error_code* ec = nullptr) {
    HttpRequest req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(socket, req);
    HttpResponse res;
    beast::error_code local;
    http::read(socket, buffer, res, local);
    if (ec) *ec = local;
    return res;
  }
  void SendRaw(std::string_view text) { asio::write(socket, asio::buffer(text)); }
  HttpResponse Read(beast::error_code& ec) {
    HttpResponse res;
    http::read(socket, buffer, res, ec);
    return res;
  }
};

TEST(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto server = StartServer({});
  ASSERT_TRUE(server);
  Client c(server->port());
  for (int i = 0; i < 5; ++i) {
    auto res = c.Get("/r" + std::to_string(i));
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "/r" + std::to_string(i) + "|");
    EXPECT_TRUE(res.keep_alive());
  }
  EXPECT_EQ(server->stats().connections_accepted, 1u);
  EXPECT_EQ(server->stats().requests, 5u);
}

// The deadline moves with each request: a connection that keeps sending is never cut off,
// however long it lives, while one that goes quiet is (the next test).
TEST(HttpServerTest, BusyKeepAliveConnectionOutlivesTheTimeouts) {
  ServerOptions o;
  o.header_timeout = std::chrono::milliseconds(200);
  o.idle_timeout = std::chrono::milliseconds(200);
  auto server = StartServer(o);
  ASSERT_TRUE(server);
  Client c(server->port());
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(900);
  int served = 0;
  while (std::chrono::steady_clock::now() < until) {
    beast::error_code ec;
    auto res = c.Get("/busy", &ec);
    ASSERT_FALSE(ec) << "after " << served << " requests: " << ec.message();
    EXPECT_EQ(res.result_int(), 200);
    ++served;
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
  }
  EXPECT_GE(served, 8);
  EXPECT_EQ(server->stats().connections_accepted, 1u);
  EXPECT_EQ(server->stats().timeouts, 0u);
  // Quiet past the idle timeout: closed.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  beast::error_code ec;
  c.Read(ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(server->stats().timeouts, 1u);
}

TEST(HttpServerTest, RefusesOversizedHeadersAndBodies) {
  ServerOptions o;
  o.max_header_bytes = 2048;
  o.max_body_bytes = 1000;
  auto server = StartServer(o);
  {
    Client c(server->port());
    c.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
    beast::error_code ec;
    auto res = c.Read(ec);
    EXPECT_EQ(res.result_int(), 431);
  }
  {
    // Refused on the declared length, before the body is read.
    Client c(server->port());
    c.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n");
    beast::error_code ec;
    auto res = c.Read(ec);
    EXPECT_EQ(res.result_int(), 413);
  }
  {
    // Chunked bodies are counted as they arrive.
    Client c(server->port());
    std::string chunk(900, 'b');
    char size[16];
    std::snprintf(size, sizeof size, "%zx", chunk.size());
    c.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
              std::string(size) + "\r\n" + chunk + "\r\n" + size + "\r\n" + chunk +
              "\r\n0\r\n\r\n");
    beast::error_code ec;
    auto res = c.Read(ec);
    EXPECT_EQ(res.result_int(), 413);
  }
  {
    Client c(server->port());
    c.SendRaw("GARBAGE\r\n\r\n");
    beast::error_code ec;
    auto res = c.Read(ec);
    EXPECT_EQ(res.result_int(), 400);
  }
  // And still serves others.
  Client ok(server->port());
  EXPECT_EQ(ok.Get("/").result_int(), 200);
  EXPECT_GE(server->stats().rejected_requests, 4u);
}

TEST(HttpServerTest, SlowClientsTimeOutWhileOthersAreServed) {
  ServerOptions o;
  o.header_timeout = std::chrono::milliseconds(300);
  o.idle_timeout = std::chrono::milliseconds(300);
  auto server = StartServer(o);
  Client slow(server->port());
  slow.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  // Meanwhile a normal client is served at once.
  Client fast(server->port());
  EXPECT_EQ(fast.Get("/").result_int(), 200);
  auto started = std::chrono::steady_clock::now();
  beast::error_code ec;
  auto res = slow.Read(ec);
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(res.result_int(), 408) << res.body();
  EXPECT_LT(waited, std::chrono::seconds(3));
  // The connection is closed afterwards.
  slow.Read(ec);
  EXPECT_TRUE(ec);
  EXPECT_GE(server->stats().timeouts, 1u);
}

TEST(HttpServerTest, ConnectionsOverTheLimitGet503) {
  ServerOptions o;
  o.max_connections = 3;
  auto server = StartServer(o);
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<Client>(server->port()));
    EXPECT_EQ(held.back()->Get("/").result_int(), 200);
  }
  Client extra(server->port());
  beast::error_code ec;
  auto res = extra.Read(ec);
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(server->stats().connections_refused, 1u);
  held.pop_back();
  // Once a slot frees, new clients are served again.
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (server->stats().connections_open < 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Client later(server->port());
  EXPECT_EQ(later.Get("/").result_int(), 200);
}

TEST(HttpServerTest, GracefulStopFinishesInFlightRequests) {
  std::atomic<bool> entered{false};
  auto server = StartServer({}, [&](const HttpRequest& req, const ConnectionInfo& info) {
    entered = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    return Echo(req, info);
  });
  Client idle(server->port());
  HttpResponse res;
  std::thread t([&] {
    Client busy(server->port());
    res = busy.Get("/slow");
  });
  while (!entered) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server->Stop();
  server->Wait();
  t.join();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "/slow|");
  EXPECT_FALSE(res.keep_alive());
  // The idle connection was closed without a response.
  beast::error_code ec;
  idle.Read(ec);
  EXPECT_TRUE(ec);
}

TEST(HttpServerTest, ManyConcurrentConnections) {
  ServerOptions o;
  auto server = StartServer(o);
  constexpr int kConnections = 1000;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kConnections; ++i)
    clients.push_back(std::make_unique<Client>(server->port()));
  int ok = 0;
  for (auto& c : clients) ok += c->Get("/").result_int() == 200;
  EXPECT_EQ(ok, kConnections);
  EXPECT_EQ(server->stats().connections_open, static_cast<std::uint64_t>(kConnections));
}

// ---- TLS --------------------------------------------------------------------------------------

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<testing::TempDir>("tls");
    cert_ = (dir_->path() / "node.crt").string();
    key_ = (dir_->path() / "node.key").string();
    ASSERT_TRUE(WriteSelfSignedCertificate(cert_, key_, {"localhost", "127.0.0.1"}).ok());
    client_cert_ = (dir_->path() / "client.crt").string();
    client_key_ = (dir_->path() / "client.key").string();
    ASSERT_TRUE(WriteSelfSignedCertificate(client_cert_, client_key_, {"analyst.fr"}).ok());
  }
  // One HTTPS GET; returns the status, or -1 if the handshake failed.
  int Get(std::uint16_t port, asio::ssl::context& ctx, std::string* body = nullptr,
          int* version = nullptr) {
    asio::io_context ioc;
    beast::ssl_stream<tcp::socket> stream(ioc, ctx);
    stream.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
    beast::error_code ec;
    stream.handshake(asio::ssl::stream_base::client, ec);
    if (ec) return -1;
    if (version) *version = SSL_version(stream.native_handle());
    HttpRequest req{http::verb::get, "/tls", 11};
    req.set(http::field::host, "localhost");
    http::write(stream, req, ec);
    beast::flat_buffer buffer;
    HttpResponse res;
    http::read(stream, buffer, res, ec);
    if (ec) return -1;
    if (body) *body = res.body();
    return res.result_int();
  }
  std::unique_ptr<testing::TempDir> dir_;
  std::string cert_, key_, client_cert_, client_key_;
};

TEST_F(TlsTest, ServesTls13AndVerifiesAgainstTheNodeCertificate) {
  ServerOptions o;
  o.tls.certificate_file = cert_;
  o.tls.private_key_file = key_;
  auto server = StartServer(o);
  ASSERT_TRUE(server && server->tls());
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(cert_);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  int version = 0;
  std::string body;
  EXPECT_EQ(Get(server->port(), ctx, &body, &version), 200);
  EXPECT_EQ(version, TLS1_3_VERSION);
  EXPECT_EQ(body, "/tls|");

  // A client that only speaks TLS 1.2 is refused.
  asio::ssl::context old(asio::ssl::context::tls_client);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_2_VERSION);
  old.set_verify_mode(asio::ssl::verify_none);
  EXPECT_EQ(Get(server->port(), old), -1);

  // A client that trusts another CA refuses the node.
  asio::ssl::context wrong(asio::ssl::context::tls_client);
  wrong.load_verify_file(client_cert_);
  wrong.set_verify_mode(asio::ssl::verify_peer);
  EXPECT_EQ(Get(server->port(), wrong), -1);
}

// After the handshake, the handshake's time limit must not stay on the connection.
TEST_F(TlsTest, KeepAliveOutlivesTheHandshakeTimeout) {
  ServerOptions o;
  o.tls.certificate_file = cert_;
  o.tls.private_key_file = key_;
  o.header_timeout = std::chrono::milliseconds(300);
  o.idle_timeout = std::chrono::milliseconds(300);
  auto server = StartServer(o);
  ASSERT_TRUE(server);
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(cert_);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::io_context ioc;
  beast::ssl_stream<tcp::socket> stream(ioc, ctx);
  stream.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
  SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  stream.handshake(asio::ssl::stream_base::client);
  beast::flat_buffer buffer;
  for (int i = 0; i < 10; ++i) {  // 10 x 100 ms: well past the 300 ms limits
    HttpRequest req{http::verb::get, "/k" + std::to_string(i), 11};
    req.set(http::field::host, "localhost");
    beast::error_code ec;
    http::write(stream, req, ec);
    ASSERT_FALSE(ec) << "request " << i << ": " << ec.message();
    HttpResponse res;
    http::read(stream, buffer, res, ec);
    ASSERT_FALSE(ec) << "request " << i << ": " << ec.message();
    EXPECT_EQ(res.body(), "/k" + std::to_string(i) + "|");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(server->stats().connections_accepted, 1u);
}

TEST_F(TlsTest, ClientCertificatesWhenRequired) {
  ServerOptions o;
  o.tls.certificate_file = cert_;
  o.tls.private_key_file = key_;
  o.tls.client_ca_file = client_cert_;
  auto server = StartServer(o);
  asio::ssl::context anonymous(asio::ssl::context::tls_client);
  anonymous.load_verify_file(cert_);
  anonymous.set_verify_mode(asio::ssl::verify_peer);
  // TLS 1.3 reports a missing client certificate after the handshake: no response either way.
  EXPECT_EQ(Get(server->port(), anonymous), -1);

  asio::ssl::context with_cert(asio::ssl::context::tls_client);
  with_cert.load_verify_file(cert_);
  with_cert.set_verify_mode(asio::ssl::verify_peer);
  with_cert.use_certificate_chain_file(client_cert_);
  with_cert.use_private_key_file(client_key_, asio::ssl::context::pem);
  std::string body;
  EXPECT_EQ(Get(server->port(), with_cert, &body), 200);
  EXPECT_NE(body.find("CN=analyst.fr"), std::string::npos) << body;
}

TEST_F(TlsTest, BadTlsFilesAreRefusedAtStart) {
  ServerOptions o;
  o.tls.certificate_file = (dir_->path() / "missing.crt").string();
  o.tls.private_key_file = key_;
  auto s = HttpServer::Start(o, Echo);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("missing.crt"), std::string::npos);
}

}  // namespace
}  // namespace entente::server
