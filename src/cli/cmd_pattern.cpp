// `entente pattern check|match|anchors`: the STIX patterning language from the command line.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "command.h"
#include "entente/base/json.h"
#include "entente/pattern/anchors.h"
#include "entente/pattern/ast.h"
#include "entente/pattern/evaluator.h"

namespace entente::cli {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read " + path);
  return ss.str();
}

void Print(const json::Value& v) { std::printf("%s\n", v.Serialize().c_str()); }

Status Check(const std::string& text, const GlobalOptions& global) {
  auto parsed = pattern::Parse(text);
  if (!parsed.ok()) return parsed.status().WithContext("invalid pattern");
  // Grammar-valid; say whether this node can also evaluate it (RE2 regexes, CIDR operands).
  auto compiled = pattern::CompiledPattern::Compile(*parsed);
  if (global.json) {
    json::Value out = json::Value::MakeObject();
    out.set("valid", true);
    out.set("canonical", pattern::ToString(*parsed));
    out.set("evaluable", compiled.ok());
    if (!compiled.ok()) out.set("warning", compiled.status().message());
    Print(out);
  } else {
    std::printf("valid: %s\n", pattern::ToString(*parsed).c_str());
    if (!compiled.ok()) {
      std::fprintf(stderr, "warning: %s\n", compiled.status().ToString().c_str());
    }
  }
  return Status::Ok();
}

Status Match(const std::string& text, const std::string& file, const GlobalOptions& global) {
  auto compiled = pattern::CompiledPattern::Compile(text);
  if (!compiled.ok()) return compiled.status().WithContext("pattern");
  ENTENTE_ASSIGN_OR_RETURN(std::string data, ReadFile(file));
  pattern::ObservationSet set;
  if (Status s = set.AddJson(data); !s.ok()) return s.WithContext(file);
  ENTENTE_ASSIGN_OR_RETURN(pattern::MatchResult result, compiled->Match(set));
  if (global.json) {
    json::Value out = json::Value::MakeObject();
    out.set("matched", result.matched);
    out.set("observations", static_cast<std::int64_t>(set.size()));
    json::Value ids = json::Value::MakeArray();
    for (auto i : result.observations) ids.push_back(set.observations()[i].id);
    out.set("matched_observations", std::move(ids));
    if (set.unresolved_refs()) {
      out.set("unresolved_refs", static_cast<std::int64_t>(set.unresolved_refs()));
    }
    Print(out);
  } else {
    std::printf("%s\n", result.matched ? "true" : "false");
  }
  return Status::Ok();
}

Status Anchors(const std::string& text, const GlobalOptions& global) {
  auto parsed = pattern::Parse(text);
  if (!parsed.ok()) return parsed.status().WithContext("invalid pattern");
  pattern::AnchorSet set = pattern::CompileAnchors(*parsed);
  if (global.json) {
    json::Value out = json::Value::MakeObject();
    out.set("anchored", set.anchored);
    json::Value list = json::Value::MakeArray();
    for (const auto& a : set.anchors) {
      json::Value o = json::Value::MakeObject();
      o.set("scope", a.scope);
      o.set("value", a.value);
      o.set("kind", std::string(pattern::AnchorKindName(a.kind)));
      o.set("cidr", a.is_cidr);
      list.push_back(std::move(o));
    }
    out.set("anchors", std::move(list));
    if (!set.anchored) out.set("reason", set.reason);
    Print(out);
    return Status::Ok();
  }
  if (!set.anchored) {
    std::printf("unanchored: %s\n", set.reason.c_str());
    return Status::Ok();
  }
  for (const auto& a : set.anchors) {
    std::printf("%s\t%s\t%s%s\n", a.scope.c_str(), a.value.c_str(),
                std::string(pattern::AnchorKindName(a.kind)).c_str(), a.is_cidr ? "\tcidr" : "");
  }
  return Status::Ok();
}

const CommandRegistration kPattern(
    "pattern", "STIX 2.1 patterns: check syntax, match against observed-data, show index anchors",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      app.require_subcommand(1);
      auto* check = app.add_subcommand("check",
                                       "Exit 0 if PATTERN is valid, 3 with the column of "
                                       "the first error otherwise");
      // CLI11 binds options by reference: the strings live as long as the process.
      static std::string check_storage, match_storage, file_storage, anchors_storage;
      auto* check_text = &check_storage;
      check->add_option("PATTERN", *check_text, "The STIX pattern")->required();
      check->fallthrough();
      check->callback([&global, run, check_text] {
        run([&global, check_text] { return Check(*check_text, global); });
      });

      auto* match = app.add_subcommand(
          "match",
          "Print true or false: does PATTERN match the observed-data in FILE (a bundle or an array "
          "of bundles); --json lists the matching observations");
      auto* match_text = &match_storage;
      auto* match_file = &file_storage;
      match->add_option("PATTERN", *match_text, "The STIX pattern")->required();
      match->add_option("FILE", *match_file, "STIX bundle JSON (or an array of bundles)")
          ->required();
      match->fallthrough();
      match->callback([&global, run, match_text, match_file] {
        run([&global, match_text, match_file] { return Match(*match_text, *match_file, global); });
      });

      auto* anchors = app.add_subcommand(
          "anchors",
          "Print the values of PATTERN the detection index looks up (scope, value, kind)");
      auto* anchors_text = &anchors_storage;
      anchors->add_option("PATTERN", *anchors_text, "The STIX pattern")->required();
      anchors->fallthrough();
      anchors->callback([&global, run, anchors_text] {
        run([&global, anchors_text] { return Anchors(*anchors_text, global); });
      });
    });

}  // namespace
}  // namespace entente::cli
