// `entente scan`: matches log files against indicator lists (and, later, the node's stored
// indicators). docs/DETECT.md describes formats, matching rules and the output.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "entente/base/json.h"
#include "entente/detect/indicator_list.h"
#include "entente/detect/scanner.h"
#include "entente/detect/stored.h"
#include "node_home.h"

namespace entente::cli {
namespace {

struct ScanArgs {
  std::vector<std::string> indicators;
  std::string warninglists;
  std::string public_suffix_list = std::string(detect::kDefaultPublicSuffixPath);
  bool suppress = false;
  bool no_parents = false;
  bool no_cidrs = false;
  std::uint32_t cap = 1000;
  std::string format = "auto";
  std::vector<std::string> inputs;
  bool no_store = false;      // do not use the node's stored indicators
  bool no_sightings = false;  // do not write sightings to the node's store
};

std::string HitJson(const detect::Hit& h) {
  std::string out = "{\"value\":";
  json::AppendQuoted(out, h.value);
  out += ",\"type\":";
  json::AppendQuoted(out, detect::ObservableTypeName(h.type));
  out += ",\"match\":";
  json::AppendQuoted(out, detect::MatchKindName(h.kind));
  out += ",\"matched\":";
  json::AppendQuoted(out, h.matched);
  out += ",\"indicators\":[";
  int confidence = -1;
  std::string tlp;
  for (std::size_t i = 0; i < h.indicators.size(); ++i) {
    if (i) out += ',';
    json::AppendQuoted(out, h.indicators[i]->ref);
    confidence = std::max(confidence, h.indicators[i]->confidence);
    if (!h.indicators[i]->tlp.empty()) tlp = h.indicators[i]->tlp;
  }
  out += "],\"file\":";
  json::AppendQuoted(out, h.input);
  out += ",\"line\":" + std::to_string(h.line) + ",\"offset\":" + std::to_string(h.offset);
  if (!h.ts.empty()) {
    out += ",\"ts\":";
    json::AppendQuoted(out, h.ts);
  }
  if (!h.uid.empty()) {
    out += ",\"uid\":";
    json::AppendQuoted(out, h.uid);
  }
  if (confidence >= 0) out += ",\"confidence\":" + std::to_string(confidence);
  if (!tlp.empty()) {
    out += ",\"tlp\":";
    json::AppendQuoted(out, tlp);
  }
  out += ",\"warninglisted\":";
  out += h.warninglists.empty() ? "false" : "true";
  if (!h.warninglists.empty()) {
    out += ",\"warninglists\":";
    json::AppendQuoted(out, h.warninglists);
  }
  out += "}\n";
  return out;
}

Status RunScan(const ScanArgs& a, const GlobalOptions& global) {
  bool json_out = global.json;
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  detect::PublicSuffixList psl;
  if (!a.public_suffix_list.empty() && a.public_suffix_list != "none") {
    auto loaded = detect::PublicSuffixList::Load(a.public_suffix_list);
    if (!loaded.ok())
      return loaded.status().WithContext(
          "public suffix list (install Debian package publicsuffix or pass --public-suffix-list "
          "none)");
    psl = std::move(*loaded);
  }
  detect::IndexBuilder builder;
  std::size_t values = 0, rejected = 0;
  for (const auto& list : a.indicators) {
    detect::ListLoadStats st;
    ENTENTE_RETURN_IF_ERROR(detect::LoadIndicatorList(list, builder, &st));
    values += st.values;
    rejected += st.rejected;
    for (const auto& s : st.samples) std::fprintf(stderr, "entente scan: skipped %s\n", s.c_str());
  }
  // The node's own indicators (those every member shared with it), when it has a store.
  std::unique_ptr<store::Store> store;
  detect::StoredIndicatorStats stored;
  if (!a.no_store) {
    auto opened = OpenNodeStore(global.home);
    if (opened.ok()) {
      store = std::move(opened).value();
      ENTENTE_RETURN_IF_ERROR(detect::AddStoredIndicators(*store, builder, &stored));
      values += stored.values;
      std::fprintf(
          stderr,
          "entente scan: %zu stored indicators (%zu indexed, %zu not indexable, %zu not STIX "
          "patterns, %zu invalid)\n",
          stored.indicators, stored.anchored, stored.unanchored, stored.not_stix,
          stored.invalid_patterns);
    } else if (a.indicators.empty()) {
      return opened.status().WithContext("no --indicators given and no node store");
    }
  }
  std::unique_ptr<detect::SightingRecorder> sightings;
  if (store && !a.no_sightings) {
    sightings = std::make_unique<detect::SightingRecorder>(NodeIdentity(global.home));
  }
  std::vector<std::string> warnings;
  ENTENTE_ASSIGN_OR_RETURN(auto index, builder.Build(psl.empty() ? nullptr : &psl, &warnings));
  for (const auto& w : warnings) std::fprintf(stderr, "entente scan: warning: %s\n", w.c_str());
  std::unique_ptr<detect::Warninglists> wl;
  if (!a.warninglists.empty()) {
    std::vector<std::string> wl_warnings;
    ENTENTE_ASSIGN_OR_RETURN(auto loaded, detect::Warninglists::Load(a.warninglists, &wl_warnings));
    wl = std::make_unique<detect::Warninglists>(std::move(loaded));
    for (const auto& w : wl_warnings)
      std::fprintf(stderr, "entente scan: warninglists: %s\n", w.c_str());
  }
  double load_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto& ist = index->stats();
  std::fprintf(stderr,
               "entente scan: %zu indicator values (%zu exact, %zu prefixes, %zu suffix rules; %zu "
               "rejected), "
               "%zu warninglist entries, loaded in %.2f s\n",
               values, ist.exact_values, ist.v4_prefixes + ist.v6_prefixes, ist.suffix_rules,
               rejected, wl ? wl->size() : 0, load_s);

  detect::IndexHandle handle(index);
  detect::ScanOptions opt;
  opt.parent_domains = !a.no_parents;
  opt.cidrs = !a.no_cidrs;
  opt.suppress_warninglisted = a.suppress;
  opt.max_hits_per_indicator = a.cap;
  if (a.format == "text")
    opt.format = detect::InputFormat::kText;
  else if (a.format == "jsonl")
    opt.format = detect::InputFormat::kJsonLines;
  else if (a.format == "zeek-tsv")
    opt.format = detect::InputFormat::kZeekTsv;
  else if (a.format == "zeek-json")
    opt.format = detect::InputFormat::kZeekJson;
  else if (a.format == "csv")
    opt.format = detect::InputFormat::kCsv;
  else if (a.format != "auto")
    return Status::InvalidArgument("unknown --format '" + a.format + "'");

  std::string out;
  auto flush = [&] {
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
  };
  detect::Scanner scanner(
      handle, wl.get(), opt,
      [&](const detect::Hit& h) {
        if (sightings) sightings->Add(h);
        if (json_out) {
          out += HitJson(h);
        } else {
          out += h.input + ":" + std::to_string(h.line) + ": " + h.value + " (" +
                 std::string(detect::ObservableTypeName(h.type)) + ", " +
                 std::string(detect::MatchKindName(h.kind)) + " " + h.matched + ")";
          for (const auto* m : h.indicators) out += " " + m->ref;
          if (!h.warninglists.empty()) out += " [warninglisted: " + h.warninglists + "]";
          out += "\n";
        }
        if (out.size() > (1 << 16)) flush();
      },
      [](const std::string& w) { std::fprintf(stderr, "entente scan: warning: %s\n", w.c_str()); });
  for (const auto& in : a.inputs) {
    Status s = scanner.ScanPath(in);
    if (!s.ok()) {
      if (a.inputs.size() == 1) return s;
      std::fprintf(stderr, "entente scan: warning: %s\n", s.message().c_str());
    }
  }
  scanner.Finish();
  flush();
  std::size_t sightings_written = 0;
  if (sightings) {
    ENTENTE_ASSIGN_OR_RETURN(sightings_written, sightings->Write(*store));
  }
  const auto& sum = scanner.summary();
  double mbps = sum.seconds > 0 ? static_cast<double>(sum.bytes) / 1e6 / sum.seconds : 0;
  char line[1024];
  std::snprintf(
      line, sizeof line,
      "{\"summary\":{\"inputs\":%llu,\"bytes\":%llu,\"records\":%llu,\"candidates\":%llu,\"hits\":%"
      "llu,"
      "\"warninglisted\":%llu,\"suppressed_warninglisted\":%llu,\"public_suffix_skipped\":%llu,"
      "\"capped\":%llu,\"warnings\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.1f,\"load_seconds\":%.3f,"
      "\"sightings_written\":%zu}}"
      "\n",
      static_cast<unsigned long long>(sum.inputs), static_cast<unsigned long long>(sum.bytes),
      static_cast<unsigned long long>(sum.records), static_cast<unsigned long long>(sum.candidates),
      static_cast<unsigned long long>(sum.hits), static_cast<unsigned long long>(sum.warninglisted),
      static_cast<unsigned long long>(sum.suppressed_warninglisted),
      static_cast<unsigned long long>(sum.public_suffix_skipped),
      static_cast<unsigned long long>(sum.capped), static_cast<unsigned long long>(sum.warnings),
      sum.seconds, mbps, load_s, sightings_written);
  if (json_out) {
    std::fputs(line, stdout);
  } else {
    std::fputs(line + 1, stderr);
  }
  std::fflush(stdout);
  return Status::Ok();
}

const CommandRegistration kScan(
    "scan",
    "Scan logs (files, directories, - for stdin; gzip, Zeek, JSON, CSV, text) for indicators",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto args = std::make_shared<ScanArgs>();
      app.add_option("--indicators", args->indicators,
                     "Plain indicator list(s): value[TAB labels] per line, type inferred")
          ->check(CLI::ExistingFile);
      app.add_option("--warninglists", args->warninglists,
                     "Directory of MISP warninglists (<type>.txt[.gz])")
          ->check(CLI::ExistingDirectory);
      app.add_flag("--suppress-warninglisted", args->suppress,
                   "Drop hits on warninglisted values (default: flag them)");
      app.add_option("--public-suffix-list", args->public_suffix_list,
                     "Public suffix list file ('none' disables the public-suffix rule)");
      app.add_flag("--no-parents", args->no_parents, "Match domains exactly only");
      app.add_flag("--no-cidrs", args->no_cidrs, "Do not match addresses against prefixes");
      app.add_option("--max-hits-per-indicator", args->cap,
                     "Cap on hits reported per indicator (default 1000)");
      app.add_option("--format", args->format,
                     "auto|text|jsonl|zeek-tsv|zeek-json|csv (default auto)");
      app.add_flag("--no-store", args->no_store,
                   "Do not use the node's stored indicators (only --indicators lists)");
      app.add_flag("--no-sightings", args->no_sightings,
                   "Do not record STIX sightings of stored indicators in the node's store");
      app.add_option("inputs", args->inputs, "Files, directories, or - for stdin")->required();
      app.footer(
          "Indicators: the node's stored STIX indicators (their patterns compiled to index\n"
          "anchors) plus any --indicators lists. Hits on stored indicators are recorded as STIX\n"
          "sightings (with observed-data) in the node's store unless --no-sightings.");
      app.callback(
          [args, &global, run] { run([args, &global] { return RunScan(*args, global); }); });
    });

}  // namespace
}  // namespace entente::cli
