// Fuzzes the node's request handling: raw bytes are parsed as an HTTP/1.1 request (with the
// server's limits) and handed to NodeService::Handle, with a valid token half of the time so
// that TAXII and REST parameter parsing, routing, paging cursors and envelope parsing are all
// reached. Any crash, sanitizer report or non-HTTP answer is a bug.
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "entente/identity/directory.h"
#include "entente/server/access.h"
#include "entente/server/service.h"
#include "entente/store/store.h"

namespace {

using namespace entente;

struct Node {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<identity::Directory> directory;
  std::unique_ptr<server::DirectoryAccess> access;
  std::unique_ptr<server::NodeService> service;
  std::string token;
};

Node& TheNode() {
  static Node* node = [] {
    auto* n = new Node;
    auto dir = std::filesystem::temp_directory_path() /
               ("entente-fuzz-server-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto opened = store::Store::Open((dir / "store.db").string());
    if (!opened.ok()) std::abort();
    n->store = std::move(opened).value();
    auto directory = identity::Directory::Open((dir / "identity.db").string());
    if (!directory.ok()) std::abort();
    n->directory = std::move(directory).value();
    identity::User u;
    u.name = "fuzz";
    u.organization_ref = "identity--0d1e3c4b-6f0a-4d55-9a7e-5b0a3f1c2e01";
    u.member_state = "FR";
    u.roles = {identity::Role::kAnalyst, identity::Role::kAdmin};
    (void)n->directory->AddUser(u);
    auto token = n->directory->IssueToken("fuzz", u.roles, {"*"}, std::chrono::hours(24));
    if (!token.ok()) std::abort();
    n->token = *token;
    n->access = std::make_unique<server::DirectoryAccess>(*n->directory);
    server::ServiceOptions o;
    o.max_page = 20;
    o.collections = {{"91a7b528-80eb-42ed-a74d-c6fbd5a26116", "c", "", "", true, true, {}, "", ""}};
    n->service = std::make_unique<server::NodeService>(*n->store, *n->access, o);
    return n;
  }();
  return *node;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Node& node = TheNode();
  if (size == 0) return 0;
  bool authorise = (data[0] & 1) != 0;
  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data + 1, size - 1), ec);
  if (ec || !parser.is_header_done()) return 0;
  if (!parser.is_done()) parser.put_eof(ec);
  server::HttpRequest req = parser.release();
  if (authorise) req.set(http::field::authorization, "Bearer " + node.token);
  server::HttpResponse res = node.service->Handle(req, {});
  int status = res.result_int();
  if (status < 200 || status > 599) std::abort();
  return 0;
}
