#include "entente/server/http_server.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

namespace entente::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Raises the descriptor limit to its hard maximum: a node serving thousands of connections
// must not be stopped by the shell's default of 1024.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

HttpResponse PlainError(http::status status, std::string_view text) {
  HttpResponse res{status, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::connection, "close");
  res.body() = "{\"error\":{\"code\":\"" + std::string(text) +
               "\",\"http_status\":" + std::to_string(static_cast<int>(status)) + "}}";
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

// The connection's one deadline, for the operation in progress (reading a request header,
// reading a body, writing a response). Re-arming it is a store into a shared struct, not a
// timer operation: the timer fires at the deadline it was set for, finds the deadline moved
// later, and waits again, so a busy keep-alive connection costs one timer wait per timeout
// period instead of a wait and a cancel per request. When it fires while armed it cancels the
// socket's pending operation and records that it did. Everything runs on the connection's
// executor (one thread), so the state needs no lock.
template <class Stream>
class Deadline {
 public:
  explicit Deadline(Stream& stream)
      : stream_(stream), timer_(stream.get_executor()), state_(std::make_shared<State>()) {}
  ~Deadline() { state_->gone = true; }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // Watches the next operation: cancels it if it is still pending after `timeout`.
  void Arm(std::chrono::milliseconds timeout) {
    state_->armed = true;
    state_->fired = false;
    state_->at = std::chrono::steady_clock::now() + timeout;
    // A wait already pending for an earlier time will re-wait on its own; one for a later time
    // (the previous deadline was longer) must be replaced.
    if (!state_->waiting || state_->at < timer_.expiry()) Wait();
  }
  void Disarm() { state_->armed = false; }
  bool fired() const { return state_->fired; }

 private:
  struct State {
    std::chrono::steady_clock::time_point at{};
    std::uint64_t generation = 0;
    bool armed = false;
    bool fired = false;
    bool waiting = false;
    bool gone = false;  // the connection ended: a completion still queued must do nothing
  };

  void Wait() {
    State& st = *state_;
    st.waiting = true;
    std::uint64_t generation = ++st.generation;
    timer_.expires_at(st.at);
    timer_.async_wait([this, state = state_, generation](boost::beast::error_code ec) {
      if (state->gone || generation != state->generation) return;
      state->waiting = false;
      if (ec || !state->armed) return;
      if (std::chrono::steady_clock::now() < state->at) {
        Wait();
        return;
      }
      state->armed = false;
      state->fired = true;
      boost::beast::error_code ignored;
      boost::beast::get_lowest_layer(stream_).socket().cancel(ignored);
    });
  }

  Stream& stream_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

}  // namespace

// One open connection, as the shutdown logic sees it.
struct Connection {
  std::function<void()> cancel;  // posts a cancel of the socket on its strand
  std::atomic<bool> idle{true};  // waiting for a request (nothing in flight)
};

struct HttpServer::Impl {
  ServerOptions options;
  Handler handler;
  // One io_context per I/O thread, each run by its thread alone: a connection lives on one of
  // them (assigned in turn at accept), so its handlers need no strand and no thread hands work
  // to another. The acceptor is on the first.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::size_t next_context = 0;
  std::optional<ssl::context> tls;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  bool waited = false;

  std::mutex mu;
  std::condition_variable drained;
  std::list<std::shared_ptr<Connection>> connections;

  std::atomic<std::uint64_t> accepted{0}, refused{0}, open{0}, requests{0}, timeouts{0},
      rejected{0};

  explicit Impl(int thread_count) {
    for (int i = 0; i < thread_count; ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      guards.push_back(asio::make_work_guard(*contexts.back()));
    }
    acceptor.emplace(*contexts.front());
  }

  std::list<std::shared_ptr<Connection>>::iterator Register(std::shared_ptr<Connection> c) {
    std::lock_guard lock(mu);
    return connections.insert(connections.end(), std::move(c));
  }
  void Unregister(std::list<std::shared_ptr<Connection>>::iterator it) {
    std::lock_guard lock(mu);
    connections.erase(it);
    --open;
    if (connections.empty()) drained.notify_all();
  }

  asio::awaitable<void> Accept();
  asio::awaitable<void> Refuse(tcp::socket socket);
  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, ConnectionInfo info, Connection& self);
  template <class Stream>
  asio::awaitable<void> WriteStream(Stream& stream, const HttpRequest& request, HttpResponse head,
                                    BodyStream& body);
  asio::awaitable<void> ServePlain(tcp::socket socket);
  asio::awaitable<void> ServeTls(tcp::socket socket);
};

asio::awaitable<void> HttpServer::Impl::Accept() {
  for (;;) {
    tcp::socket socket(*contexts[next_context++ % contexts.size()]);
    auto [ec] = co_await acceptor->async_accept(socket, kNoThrow);
    if (stopping) co_return;
    if (ec) {
      // EMFILE and friends: back off briefly rather than spin.
      asio::steady_timer t(acceptor->get_executor(), std::chrono::milliseconds(50));
      co_await t.async_wait(kNoThrow);
      continue;
    }
    if (open.load() >= options.max_connections) {
      ++refused;
      asio::co_spawn(socket.get_executor(), Refuse(std::move(socket)), asio::detached);
      continue;
    }
    ++accepted;
    ++open;
    auto executor = socket.get_executor();
    if (tls) {
      asio::co_spawn(executor, ServeTls(std::move(socket)), asio::detached);
    } else {
      asio::co_spawn(executor, ServePlain(std::move(socket)), asio::detached);
    }
  }
}

asio::awaitable<void> HttpServer::Impl::Refuse(tcp::socket socket) {
  // Plain sockets get a short 503; a TLS client would not understand it, so it is just closed.
  if (!tls) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(2));
    auto res = PlainError(http::status::service_unavailable, "too_many_connections");
    co_await http::async_write(stream, res, kNoThrow);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
  co_return;
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::Serve(Stream& stream, ConnectionInfo info,
                                              Connection& self) {
  beast::flat_buffer buffer;
  bool first = true;
  // The header, body and write deadlines are one per-connection timer (Deadline) that cancels
  // the pending operation rather than the stream's own time-out, which would close the
  // socket (and costs a timer wait and cancel per operation): a stalled client is told 408
  // before it goes.
  Deadline<Stream> deadline(stream);
  for (;;) {
    self.idle = true;
    if (stopping) break;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    deadline.Arm(first ? options.header_timeout : options.idle_timeout);
    first = false;
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    (void)n;
    deadline.Disarm();
    if (deadline.fired() && ec == asio::error::operation_aborted) ec = beast::error::timeout;
    if (ec) {
      if (ec == beast::error::timeout) {
        ++timeouts;
        // A client that started a request and stalled is told why; an idle one is just closed.
        if (buffer.size() > 0 && !stopping) {
          beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
          auto res = PlainError(http::status::request_timeout, "request_timeout");
          co_await http::async_write(stream, res, kNoThrow);
        }
      } else if (ec == http::error::body_limit) {
        ++rejected;
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
        auto res = PlainError(http::status::payload_too_large, "body_too_large");
        co_await http::async_write(stream, res, kNoThrow);
      } else if (ec == http::error::header_limit) {
        ++rejected;
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
        auto res = PlainError(http::status::request_header_fields_too_large, "header_too_large");
        co_await http::async_write(stream, res, kNoThrow);
      } else if (ec != http::error::end_of_stream && ec != asio::error::eof &&
                 ec != asio::error::operation_aborted && ec != asio::error::connection_reset &&
                 ec.category() ==
                     beast::http::make_error_code(http::error::bad_target).category()) {
        ++rejected;
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
        auto res = PlainError(http::status::bad_request, "malformed_request");
        co_await http::async_write(stream, res, kNoThrow);
      }
      break;
    }
    self.idle = false;
    if (auto length = parser.content_length(); length && *length > options.max_body_bytes) {
      ++rejected;
      auto res = PlainError(http::status::payload_too_large, "body_too_large");
      co_await http::async_write(stream, res, kNoThrow);
      break;
    }
    if (!parser.is_done()) {
      deadline.Arm(options.body_timeout);
      auto [body_ec, body_n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
      (void)body_n;
      deadline.Disarm();
      if (deadline.fired() && body_ec == asio::error::operation_aborted) {
        body_ec = beast::error::timeout;
      }
      if (body_ec) {
        if (body_ec == http::error::body_limit) {
          ++rejected;
          auto res = PlainError(http::status::payload_too_large, "body_too_large");
          co_await http::async_write(stream, res, kNoThrow);
        } else if (body_ec == beast::error::timeout) {
          ++timeouts;
        }
        break;
      }
    }
    ++requests;
    HttpRequest request = parser.release();
    HttpResponse response;
    try {
      response = handler(request, info);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"handler threw\",\"what\":\"%s\"}\n",
                   e.what());
      response = PlainError(http::status::internal_server_error, "internal");
    }
    if (info.stream) {
      std::shared_ptr<BodyStream> body = std::move(info.stream);
      info.stream.reset();
      co_await WriteStream(stream, request, std::move(response), *body);
      break;
    }
    bool keep_alive = request.keep_alive() && response.keep_alive() && !stopping;
    if (response.result() == http::status::internal_server_error) keep_alive = false;
    response.version(request.version());
    response.keep_alive(keep_alive);
    response.prepare_payload();
    deadline.Arm(options.body_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, response, kNoThrow);
    (void)written;
    deadline.Disarm();
    if (write_ec && deadline.fired()) ++timeouts;
    if (write_ec || !keep_alive) break;
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::WriteStream(Stream& stream, const HttpRequest& request,
                                                    HttpResponse head, BodyStream& body) {
  http::response<http::empty_body> header{head.result(), request.version()};
  for (const auto& field : head.base()) {
    if (field.name() != http::field::content_length &&
        field.name() != http::field::transfer_encoding) {
      header.set(field.name_string(), field.value());
    }
  }
  header.keep_alive(false);
  header.chunked(true);
  http::response_serializer<http::empty_body> serializer{header};
  beast::get_lowest_layer(stream).expires_after(options.body_timeout);
  auto [header_ec, header_n] = co_await http::async_write_header(stream, serializer, kNoThrow);
  (void)header_n;
  if (header_ec) co_return;
  asio::steady_timer tick(stream.get_executor());
  for (;;) {
    std::optional<std::string> chunk;
    if (!stopping) {
      try {
        chunk = body.Next();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"stream threw\",\"what\":\"%s\"}\n",
                     e.what());
      }
    }
    if (!chunk) break;
    if (!chunk->empty()) {
      beast::get_lowest_layer(stream).expires_after(options.body_timeout);
      auto [ec, n] =
          co_await asio::async_write(stream, http::make_chunk(asio::buffer(*chunk)), kNoThrow);
      (void)n;
      if (ec) co_return;
    }
    beast::get_lowest_layer(stream).expires_never();
    tick.expires_after(body.poll_interval());
    co_await tick.async_wait(kNoThrow);
  }
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await asio::async_write(stream, http::make_chunk_last(), kNoThrow);
}

asio::awaitable<void> HttpServer::Impl::ServePlain(tcp::socket socket) {
  auto self = std::make_shared<Connection>();
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  ConnectionInfo info;
  {
    beast::error_code ec;
    auto ep = stream->socket().remote_endpoint(ec);
    if (!ec) info.peer = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  // The cancel runs on the connection's strand and finds the stream gone if the coroutine
  // ended first.
  std::weak_ptr<beast::tcp_stream> weak = stream;
  auto executor = stream->get_executor();
  self->cancel = [weak, executor] {
    asio::post(executor, [weak] {
      if (auto s = weak.lock()) s->cancel();
    });
  };
  auto it = Register(self);
  co_await Serve(*stream, info, *self);
  beast::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream->close();
  stream.reset();
  Unregister(it);
}

asio::awaitable<void> HttpServer::Impl::ServeTls(tcp::socket socket) {
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  auto self = std::make_shared<Connection>();
  auto owned = std::make_shared<TlsStream>(beast::tcp_stream(std::move(socket)), *tls);
  TlsStream& stream = *owned;
  ConnectionInfo info;
  info.tls = true;
  {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
    if (!ec) info.peer = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  std::weak_ptr<TlsStream> weak = owned;
  auto executor = stream.get_executor();
  self->cancel = [weak, executor] {
    asio::post(executor, [weak] {
      if (auto s = weak.lock()) beast::get_lowest_layer(*s).cancel();
    });
  };
  auto it = Register(self);
  beast::get_lowest_layer(stream).expires_after(options.header_timeout);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
  if (!ec) {
    // From here Serve's Deadline watches every operation.
    beast::get_lowest_layer(stream).expires_never();
    if (X509* cert = SSL_get1_peer_certificate(stream.native_handle())) {
      char name[512];
      X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof name);
      info.client_cert_subject = name;
      X509_free(cert);
    }
    co_await Serve(stream, info, *self);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kNoThrow);
  } else if (ec == beast::error::timeout) {
    ++timeouts;
  }
  beast::get_lowest_layer(stream).close();
  owned.reset();
  Unregister(it);
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(ServerOptions options, Handler handler) {
  if (options.threads < 1) options.threads = 1;
  auto impl = std::make_unique<Impl>(options.threads);
  impl->options = options;
  impl->handler = std::move(handler);
  RaiseFileLimit();

  if (!options.tls.certificate_file.empty()) {
    impl->tls.emplace(ssl::context::tls_server);
    auto& ctx = *impl->tls;
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION);
    beast::error_code ec;
    ctx.use_certificate_chain_file(options.tls.certificate_file, ec);
    if (ec) {
      return Status::InvalidArgument("TLS certificate " + options.tls.certificate_file + ": " +
                                     ec.message());
    }
    ctx.use_private_key_file(options.tls.private_key_file, ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument("TLS private key " + options.tls.private_key_file + ": " +
                                     ec.message());
    }
    if (!options.tls.client_ca_file.empty()) {
      ctx.load_verify_file(options.tls.client_ca_file, ec);
      if (ec) {
        return Status::InvalidArgument("TLS client CA " + options.tls.client_ca_file + ": " +
                                       ec.message());
      }
      ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }

  beast::error_code ec;
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) return Status::InvalidArgument("listen address '" + options.address + "' is not an IP");
  tcp::endpoint endpoint(address, options.port);
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IoError("cannot listen on " + options.address + ":" +
                           std::to_string(options.port) + ": " + ec.message());
  }
  asio::co_spawn(*impl->contexts.front(), impl->Accept(), asio::detached);
  for (auto& context : impl->contexts) {
    impl->threads.emplace_back([io = context.get()] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop();
  Wait();
}

std::uint16_t HttpServer::port() const noexcept {
  beast::error_code ec;
  auto ep = impl_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

bool HttpServer::tls() const noexcept { return impl_->tls.has_value(); }

ServerStats HttpServer::stats() const noexcept {
  ServerStats s;
  s.connections_accepted = impl_->accepted;
  s.connections_refused = impl_->refused;
  s.connections_open = impl_->open;
  s.requests = impl_->requests;
  s.timeouts = impl_->timeouts;
  s.rejected_requests = impl_->rejected;
  return s;
}

void HttpServer::Stop() noexcept {
  if (impl_->stopping.exchange(true)) return;
  asio::post(*impl_->contexts.front(), [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor->close(ignored);
  });
  // The threads now return once their connections are gone (or Wait() stops them).
  for (auto& guard : impl_->guards) guard.reset();
  // Idle connections are closed now; busy ones finish their request and then close.
  std::lock_guard lock(impl_->mu);
  for (auto& c : impl_->connections) {
    if (c->idle) c->cancel();
  }
}

void HttpServer::Wait() {
  if (impl_->waited) return;
  if (!impl_->stopping) {
    // Wait() without Stop() serves until someone else calls Stop(): block on the threads.
    for (auto& t : impl_->threads) t.join();
    impl_->waited = true;
    return;
  }
  {
    std::unique_lock lock(impl_->mu);
    auto deadline = std::chrono::steady_clock::now() + impl_->options.drain_timeout;
    while (!impl_->connections.empty()) {
      if (impl_->drained.wait_until(lock, deadline) == std::cv_status::timeout) break;
      // A connection that became idle after Stop() is closed on the next pass.
      for (auto& c : impl_->connections) {
        if (c->idle) c->cancel();
      }
    }
  }
  for (auto& context : impl_->contexts) context->stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->waited = true;
}

// ---- self-signed certificates -----------------------------------------------------------------

Status WriteSelfSignedCertificate(const std::string& certificate_file,
                                  const std::string& private_key_file,
                                  const std::vector<std::string>& host_names, int days) {
  if (host_names.empty()) return Status::InvalidArgument("a certificate needs a host name");
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  Status status = Status::Ok();
  auto fail = [&](const char* what) { status = Status::CryptoError(std::string(what)); };
  if (key == nullptr || cert == nullptr) {
    fail("cannot create a key or certificate");
  } else {
    X509_set_version(cert, 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(days) * 86400);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("Entente node"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(host_names[0].c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(cert, name);
    std::string san;
    for (const auto& h : host_names) {
      if (!san.empty()) san += ",";
      bool ip = !h.empty() && (std::isdigit(static_cast<unsigned char>(h[0])) ||
                               h.find(':') != std::string::npos);
      san += (ip ? "IP:" : "DNS:") + h;
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] :
         {std::pair{NID_subject_alt_name, san},
          std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")},
          std::pair{NID_key_usage, std::string("critical,digitalSignature,keyCertSign")},
          std::pair{NID_ext_key_usage, std::string("serverAuth,clientAuth")}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
      if (ext == nullptr) {
        fail("cannot build a certificate extension");
        break;
      }
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    if (status.ok() && X509_sign(cert, key, EVP_sha256()) == 0) fail("cannot sign certificate");
  }
  if (status.ok()) {
    FILE* kf = std::fopen(private_key_file.c_str(), "wb");
    if (kf == nullptr) {
      status = Status::IoError("cannot write " + private_key_file);
    } else {
      chmod(private_key_file.c_str(), 0600);
      if (PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        status = Status::IoError("cannot write " + private_key_file);
      }
      std::fclose(kf);
    }
  }
  if (status.ok()) {
    FILE* cf = std::fopen(certificate_file.c_str(), "wb");
    if (cf == nullptr) {
      status = Status::IoError("cannot write " + certificate_file);
    } else {
      if (PEM_write_X509(cf, cert) != 1)
        status = Status::IoError("cannot write " + certificate_file);
      std::fclose(cf);
    }
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return status;
}

}  // namespace entente::server
