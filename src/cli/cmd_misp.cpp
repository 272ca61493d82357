// `entente misp to-stix FILE...` and `entente misp from-stix FILE`: the MISP converter of the
// formats module (docs/MISP.md) from the command line. `entente ingest` routes MISP files
// through the same functions (formats::LooksLikeMisp).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "command.h"
#include "entente/base/json.h"
#include "entente/formats/misp.h"

namespace entente::cli {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) return Status::IoError("cannot open " + path);
  std::string data;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    data.append(buf, n);
    if (data.size() > (std::size_t{1} << 30)) {
      if (f != stdin) std::fclose(f);
      return Status::LimitExceeded(path + ": larger than 1 GiB");
    }
  }
  const bool failed = std::ferror(f) != 0;
  if (f != stdin) std::fclose(f);
  if (failed) return Status::IoError("cannot read " + path);
  return data;
}

void Print(const json::Value& v, bool pretty) {
  const std::string text = pretty ? v.Pretty() : v.Serialize();
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

Status ToStix(const std::vector<std::string>& files, bool pretty) {
  json::Value objects = json::Value::MakeArray();
  std::unordered_set<std::string> seen;
  std::string bundle_id;
  formats::MispStats stats;
  for (const auto& path : files) {
    ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
    json::Document doc;
    if (Status s = doc.Parse(text); !s.ok()) return s.WithContext(path);
    auto bundle = formats::MispToStix(doc.root(), {}, &stats);
    if (!bundle.ok()) return bundle.status().WithContext(path);
    if (bundle_id.empty()) bundle_id = bundle->find("id")->str();
    for (auto& o : bundle->find("objects")->array()) {
      // Identities and markings shared by several files appear once.
      if (seen.insert(o.find("id")->str()).second) objects.push_back(std::move(o));
    }
  }
  json::Value bundle = json::Value::MakeObject();
  bundle.set("type", "bundle");
  bundle.set("id", bundle_id);
  bundle.set("objects", std::move(objects));
  Print(bundle, pretty);
  std::fprintf(stderr, "misp: %zu events, %zu attributes, %zu objects -> %zu STIX objects\n",
               stats.events, stats.attributes, stats.objects, stats.stix_objects);
  return Status::Ok();
}

Status FromStix(const std::string& path, bool pretty) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  json::Document doc;
  if (Status s = doc.Parse(text); !s.ok()) return s.WithContext(path);
  auto event = formats::StixToMisp(doc.root());
  if (!event.ok()) return event.status().WithContext(path);
  Print(*event, pretty);
  return Status::Ok();
}

const CommandRegistration kMisp(
    "misp", "Convert between MISP event JSON and STIX 2.1 bundles",
    [](CLI::App& app, GlobalOptions& /*global*/, auto run) {
      app.require_subcommand(1);
      struct Args {
        std::vector<std::string> files;
        std::string file;
        bool pretty = false;
      };
      auto args = std::make_shared<Args>();
      CLI::App* to = app.add_subcommand(
          "to-stix", "Print one STIX 2.1 bundle for MISP event files ('-' reads stdin)");
      to->fallthrough();
      to->add_option("FILE", args->files, "MISP JSON: events, restSearch responses, collections")
          ->required();
      to->add_flag("--pretty", args->pretty, "Indent the output");
      to->callback([args, run] { run([args] { return ToStix(args->files, args->pretty); }); });
      CLI::App* from = app.add_subcommand(
          "from-stix", "Print a MISP event for a STIX 2.1 bundle ('-' reads stdin)");
      from->fallthrough();
      from->add_option("FILE", args->file, "STIX 2.1 bundle")->required();
      from->add_flag("--pretty", args->pretty, "Indent the output");
      from->callback([args, run] { run([args] { return FromStix(args->file, args->pretty); }); });
    });

}  // namespace
}  // namespace entente::cli
