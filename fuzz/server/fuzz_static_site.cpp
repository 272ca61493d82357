// The dashboard's static file server under hostile request paths: whatever the bytes, a
// response never carries a file from outside the build directory (a sibling file and a
// symbolic link pointing at it are planted) nor a hidden file inside it, and never crashes.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "entente/server/dashboard.h"

namespace {

namespace fs = std::filesystem;
using entente::server::StaticSite;

constexpr std::string_view kOutside = "OUTSIDE-THE-BUILD-7f3a";
constexpr std::string_view kHidden = "HIDDEN-FILE-91c2";

const StaticSite& Site() {
  static std::unique_ptr<StaticSite> site = [] {
    fs::path dir =
        fs::temp_directory_path() / ("entente-fuzz-static-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "dist/assets");
    std::ofstream(dir / "dist/index.html") << "<!doctype html><title>x</title>";
    std::ofstream(dir / "dist/assets/app-1a2b.js") << "console.log(1)";
    std::ofstream(dir / "dist/.env") << kHidden;
    std::ofstream(dir / "secret.txt") << kOutside;
    fs::create_symlink(dir / "secret.txt", dir / "dist/assets/link.txt");
    auto s = StaticSite::Open(dir / "dist");
    if (!s.ok()) std::abort();
    return std::move(*s);
  }();
  return *site;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const StaticSite& site = Site();
  std::string path(reinterpret_cast<const char*>(data), size);
  entente::server::HttpRequest req{entente::server::http::verb::get, "/", 11};
  auto res = site.Serve(req, path);
  const std::string& body = res.body();
  if (body.find(kOutside) != std::string::npos || body.find(kHidden) != std::string::npos) {
    std::abort();
  }
  if (res.result_int() == 200 && res["Content-Security-Policy"].empty()) std::abort();
  return 0;
}
