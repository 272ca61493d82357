// `entente indicators import LIST...`: plain indicator feeds (one value per line, optional TAB
// and comma-separated labels: the format of most public IOC lists) become STIX 2.1 indicators
// in the node's store, created by the node's identity, so they are shared, scanned for and
// correlated like any other indicator.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "command.h"
#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/base/uuid.h"
#include "entente/detect/observable.h"
#include "entente/stix/markings.h"
#include "entente/stix/reader.h"
#include "entente/store/ingest.h"
#include "node_home.h"

namespace entente::cli {
namespace {

// The STIX pattern for a plain value, by its inferred type; "" when it has none.
std::string PatternFor(const std::string& value) {
  detect::InferredValue t = detect::InferType(value);
  auto quoted = [&] {
    std::string q;
    for (char c : value) {
      if (c == '\'' || c == '\\') q += '\\';
      q += c;
    }
    return "'" + q + "'";
  };
  switch (t.type) {
    case detect::ObservableType::kIpv4:
      return "[ipv4-addr:value = " + quoted() + "]";
    case detect::ObservableType::kIpv6:
      return "[ipv6-addr:value = " + quoted() + "]";
    case detect::ObservableType::kDomain:
      return "[domain-name:value = " + quoted() + "]";
    case detect::ObservableType::kUrl:
      return "[url:value = " + quoted() + "]";
    case detect::ObservableType::kEmail:
      return "[email-addr:value = " + quoted() + "]";
    case detect::ObservableType::kMd5:
      return "[file:hashes.MD5 = " + quoted() + "]";
    case detect::ObservableType::kSha1:
      return "[file:hashes.'SHA-1' = " + quoted() + "]";
    case detect::ObservableType::kSha256:
      return "[file:hashes.'SHA-256' = " + quoted() + "]";
    default:
      return "";
  }
}

const CommandRegistration kIndicators(
    "indicators", "Import plain indicator lists (value[TAB labels] per line) as STIX indicators",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      struct Options {
        std::vector<std::string> lists;
        std::string tlp = "TLP:GREEN";
        int confidence = 50;
        std::string valid_from;
      };
      auto o = std::make_shared<Options>();
      CLI::App* import =
          app.add_subcommand("import", "Import indicator lists into the node's store");
      app.require_subcommand(1);
      import->add_option("lists", o->lists, "Indicator list files")
          ->required()
          ->check(CLI::ExistingFile);
      import->add_option("--tlp", o->tlp, "TLP marking for the indicators (default TLP:GREEN)");
      import->add_option("--confidence", o->confidence, "Confidence 0-100 (default 50)")
          ->check(CLI::Range(0, 100));
      import->add_option("--valid-from", o->valid_from,
                         "valid_from (RFC 3339; default: the list file's modification time, so "
                         "importing the same file again changes nothing)");
      import->callback([&global, run, o] {
        run([&global, o]() -> Status {
          auto tlp = stix::ParseTlp(o->tlp);
      if (!tlp) return Status::InvalidArgument("unknown TLP level '" + o->tlp + "'");
      if (!o->valid_from.empty()) {
        ENTENTE_RETURN_IF_ERROR(ParseTimestamp(o->valid_from, "--valid-from").status());
      }
      ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home));
      std::string creator = NodeIdentity(global.home);
      std::size_t skipped = 0;
      store::IngestReport total;
      for (const auto& list : o->lists) {
        std::string valid_from = o->valid_from;
        if (valid_from.empty()) {
          std::error_code ec;
          auto mtime = std::filesystem::last_write_time(list, ec);
          // file_clock -> system_clock: libstdc++ 12 has no clock_cast; offset by "now".
          auto sys = std::chrono::system_clock::now() +
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(
                         mtime - std::filesystem::file_time_type::clock::now());
          std::int64_t us =
              std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count() *
              1000000;
          valid_from = FormatTimestamp(ec ? Now() : Timestamp::FromMicros(us), 3);
        }
        std::ifstream in(list);
        std::string line, lines_json;
        std::size_t n = 0;
        while (std::getline(in, line)) {
          ++n;
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (line.empty() || line[0] == '#') continue;
          std::size_t tab = line.find('\t');
          std::string value = line.substr(0, tab);
          std::string pattern = PatternFor(value);
          if (pattern.empty()) {
            ++skipped;
            continue;
          }
          json::Value ind = json::Value::MakeObject();
          ind.set("type", "indicator");
          ind.set("spec_version", "2.1");
          // Deterministic per (list value, creator): re-importing a list changes nothing.
          Uuid ns;
          ParseUuid(kStixScoNamespace, ns);
          ind.set("id", "indicator--" + UuidToString(UuidV5(ns, creator + "|" + pattern)));
          if (!creator.empty()) ind.set("created_by_ref", creator);
          ind.set("created", valid_from);
          ind.set("modified", valid_from);
          ind.set("name", value);
          ind.set("indicator_types", json::Value::MakeArray({json::Value("malicious-activity")}));
          ind.set("pattern", pattern);
          ind.set("pattern_type", "stix");
          ind.set("valid_from", valid_from);
          ind.set("confidence", o->confidence);
          if (tab != std::string::npos && tab + 1 < line.size()) {
            json::Value labels = json::Value::MakeArray();
            std::string rest = line.substr(tab + 1);
            std::size_t start = 0;
            while (start <= rest.size()) {
              std::size_t comma = rest.find(',', start);
              std::string label = rest.substr(start, comma - start);
              if (!label.empty()) labels.push_back(label);
              if (comma == std::string::npos) break;
              start = comma + 1;
            }
            if (labels.size() > 0) ind.set("labels", std::move(labels));
          }
          ind.set("object_marking_refs",
                  json::Value::MakeArray({json::Value(stix::Tlp2MarkingId(*tlp))}));
          lines_json += ind.Serialize();
          lines_json += '\n';
        }
        auto reader = stix::ObjectReader::FromText(lines_json);
        ENTENTE_ASSIGN_OR_RETURN(store::IngestReport report, store::Ingest(*store, reader));
        for (auto& e : report.errors) e = list + ": " + e;
        total.Merge(report);
      }
      if (global.json) {
        json::Value v = json::Value::MakeObject();
        v.set("added", total.added);
        v.set("duplicates", total.duplicates);
        v.set("rejected", total.rejected);
        v.set("skipped_untyped", skipped);
        std::printf("%s\n", v.Serialize().c_str());
      } else {
        std::printf(
            "indicators added %llu, already present %llu, rejected %llu, values of no known type "
            "%zu\n",
            static_cast<unsigned long long>(total.added),
            static_cast<unsigned long long>(total.duplicates),
            static_cast<unsigned long long>(total.rejected), skipped);
      }
      if (total.rejected > 0)
        return Status::InvalidArgument(total.errors.empty() ? "rejected" : total.errors[0]);
      return Status::Ok();
    });
});
});

}  // namespace
}  // namespace entente::cli
