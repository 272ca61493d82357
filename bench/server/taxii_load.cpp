// Load generator for the node's TAXII API (a client, on loopback, plain HTTP keep-alive):
//   taxii_load post PORT TOKEN COLLECTION COUNT [BATCH] [CONNECTIONS]
//                                                        POST COUNT new indicators, envelopes
//                                                        of BATCH, over CONNECTIONS clients at
//                                                        once (members posting side by side)
//   taxii_load page PORT TOKEN COLLECTION [LIMIT]         page through the whole collection
//   taxii_load ids  PORT TOKEN COLLECTION N FILE          write N object paths for wrk
// Prints objects/s, bytes and requests. Used by bench/server/run.sh (docs/BENCHMARKS.md).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "entente/base/json.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Connection {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  beast::flat_buffer buffer;
  std::string token;
  std::uint64_t bytes = 0;
  std::uint64_t requests = 0;
  Connection(std::uint16_t port, std::string t) : token(std::move(t)) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket.set_option(tcp::no_delay(true));
  }
  http::response<http::string_body> Send(http::verb verb, const std::string& target,
                                         std::string body = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, "application/taxii+json;version=2.1");
    req.set(http::field::authorization, "Bearer " + token);
    if (verb == http::verb::post) {
      req.set(http::field::content_type, "application/taxii+json;version=2.1");
      req.body() = std::move(body);
      req.prepare_payload();
    }
    http::write(socket, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1u << 30);
    http::read(socket, buffer, parser);
    auto res = parser.release();
    bytes += res.body().size();
    ++requests;
    return res;
  }
};

// splitmix64: the n-th object's id bits, spread like random UUIDv4s (what STIX producers
// send: the spec asks for version 4 UUIDs), not in counting order.
std::uint64_t Mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string Indicator(std::uint64_t n) {
  char id[64];
  const std::uint64_t hi = Mix(2 * n);
  const std::uint64_t lo = Mix(2 * n + 1);
  std::snprintf(id, sizeof id, "indicator--%08llx-%04llx-4%03llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xffff),
                static_cast<unsigned long long>(hi & 0xfff),
                static_cast<unsigned long long>(0x8000 | (lo >> 50)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  char ip[32];
  std::snprintf(
      ip, sizeof ip, "10.%llu.%llu.%llu", static_cast<unsigned long long>((n >> 16) & 255),
      static_cast<unsigned long long>((n >> 8) & 255), static_cast<unsigned long long>(n & 255));
  return std::string(R"({"type":"indicator","spec_version":"2.1","id":")") + id +
         R"(","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","name":"load test","pattern":"[ipv4-addr:value = ')" +
         ip + R"(']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z"})";
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s post|page|ids PORT TOKEN COLLECTION ...\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  auto port = static_cast<std::uint16_t>(std::stoi(argv[2]));
  std::string base = std::string("/api/collections/") + argv[4] + "/";
  auto start = std::chrono::steady_clock::now();
  if (mode == "post" && argc >= 6) {
    std::uint64_t count = std::stoull(argv[5]);
    std::uint64_t batch = argc >= 7 ? std::stoull(argv[6]) : 1000;
    std::uint64_t connections = argc >= 8 ? std::max<std::uint64_t>(1, std::stoull(argv[7])) : 1;
    std::uint64_t offset =
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count() &
                                   0xffffff)
        << 20;
    std::vector<std::uint64_t> sent(connections, 0), requests(connections, 0);
    std::vector<int> failed(connections, 0);
    std::vector<std::thread> clients;
    for (std::uint64_t k = 0; k < connections; ++k) {
      clients.emplace_back([&, k] {
        Connection c(port, argv[3]);
        // This client's share of the ids: [first, first + share).
        std::uint64_t share = count / connections + (k < count % connections ? 1 : 0);
        std::uint64_t first = offset + k * (count / connections + 1);
        while (sent[k] < share) {
          std::string body = "{\"objects\":[";
          for (std::uint64_t i = 0; i < batch && sent[k] < share; ++i, ++sent[k]) {
            if (i) body += ',';
            body += Indicator(first + sent[k]);
          }
          body += "]}";
          auto res = c.Send(http::verb::post, base + "objects/", std::move(body));
          if (res.result_int() != 202) {
            std::fprintf(stderr, "POST failed: %d %s\n", res.result_int(),
                         res.body().substr(0, 300).c_str());
            failed[k] = 1;
            return;
          }
        }
        requests[k] = c.requests;
      });
    }
    for (auto& t : clients) t.join();
    for (int f : failed) {
      if (f) return 1;
    }
    std::uint64_t total = 0, total_requests = 0;
    for (std::uint64_t k = 0; k < connections; ++k) {
      total += sent[k];
      total_requests += requests[k];
    }
    double s = Seconds(start);
    std::printf(
        "{\"mode\":\"post\",\"objects\":%llu,\"seconds\":%.3f,\"objects_per_s\":%.0f,"
        "\"requests\":%llu,\"connections\":%llu}\n",
        static_cast<unsigned long long>(total), s, static_cast<double>(total) / s,
        static_cast<unsigned long long>(total_requests),
        static_cast<unsigned long long>(connections));
    return 0;
  }
  Connection c(port, argv[3]);
  if (mode == "page" || mode == "ids") {
    std::size_t limit = mode == "page" && argc >= 6 ? std::stoul(argv[5]) : 1000;
    std::size_t want = mode == "ids" && argc >= 7 ? std::stoul(argv[5]) : SIZE_MAX;
    std::ofstream out;
    if (mode == "ids") out.open(argv[6]);
    std::uint64_t objects = 0;
    std::string next;
    entente::json::Document doc;
    for (;;) {
      std::string target = base + "objects/?limit=" + std::to_string(limit);
      if (!next.empty()) target += "&next=" + next;
      auto res = c.Send(http::verb::get, target);
      if (res.result_int() != 200) {
        std::fprintf(stderr, "GET failed: %d %s\n", res.result_int(),
                     res.body().substr(0, 300).c_str());
        return 1;
      }
      if (!doc.Parse(res.body()).ok()) {
        std::fprintf(stderr, "bad JSON page\n");
        return 1;
      }
      auto page = doc.root()["objects"];
      objects += page.size();
      if (mode == "ids") {
        for (auto [k, o] : page) {
          (void)k;
          out << "/api/v1/objects/" << o["id"].str() << "\n";
          if (--want == 0) return 0;
        }
      }
      if (!doc.root()["more"].boolean()) break;
      next = std::string(doc.root()["next"].str());
    }
    double s = Seconds(start);
    std::printf(
        "{\"mode\":\"page\",\"objects\":%llu,\"seconds\":%.3f,\"objects_per_s\":%.0f,\"requests\":%"
        "llu,\"bytes\":%llu}\n",
        static_cast<unsigned long long>(objects), s, static_cast<double>(objects) / s,
        static_cast<unsigned long long>(c.requests), static_cast<unsigned long long>(c.bytes));
    return 0;
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
