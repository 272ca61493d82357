// `entente sanctions list|screen|export`: the EU cyber sanctions register (docs/RESPOND.md).
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "entente/respond/common.h"
#include "entente/respond/sanctions.h"
#include "node_home.h"

namespace entente::cli {
namespace {

using namespace entente::respond;

struct SanctionsOptions {
  std::string reg, name, format = "fsf";
  std::size_t max = 10;
  double min_score = 0.6;
};

Result<Register> LoadRegister(const std::string& given) {
  return Register::Load(given.empty() ? FindDataFile("eu-cyber-listings.json", ExeDir()) : given);
}

json::Value ListingJson(const Listing& l) {
  json::Value v = json::Value::MakeObject();
  v.set("id", l.id);
  v.set("type", l.type);
  v.set("name", l.name);
  json::Value a = json::Value::MakeArray();
  for (const auto& s : l.aliases) a.push_back(s);
  v.set("aliases", std::move(a));
  v.set("date_listed", l.date_listed);
  v.set("review_date", l.review_date);
  v.set("status", l.status);
  v.set("linked_operation", l.linked_operation);
  v.set("reasons", l.reasons);
  json::Value acts = json::Value::MakeArray();
  for (const auto& s : l.legal_acts) acts.push_back(s);
  v.set("legal_acts", std::move(acts));
  return v;
}

const CommandRegistration kSanctions(
    "sanctions", "The EU cyber sanctions register: list, screen names, export (FSF XML, STIX)",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      app.require_subcommand(1);
      auto o = std::make_shared<SanctionsOptions>();
      app.add_option("--register", o->reg,
                     "Listings file (default data/respond/eu-cyber-listings.json)");

      CLI::App* list = app.add_subcommand("list", "List the register");
      list->callback([o, &global, run] {
        run([o, &global]() -> Status {
          ENTENTE_ASSIGN_OR_RETURN(Register reg, LoadRegister(o->reg));
          if (global.json) {
            json::Value arr = json::Value::MakeArray();
            for (const auto& l : reg.listings()) arr.push_back(ListingJson(l));
            std::printf("%s\n", arr.Pretty().c_str());
            return Status::Ok();
          }
          for (const auto& l : reg.listings()) {
            std::printf("%s  %-6s  %s  listed %s  review %s  %s\n", l.id.c_str(), l.type.c_str(),
                        l.name.c_str(), l.date_listed.c_str(), l.review_date.c_str(),
                        l.status.c_str());
          }
          return Status::Ok();
        });
      });

      CLI::App* screen =
          app.add_subcommand("screen", "Find listed parties whose name resembles NAME");
      screen->add_option("NAME", o->name, "A name in any order, Latin, Cyrillic or Greek script")
          ->required();
      screen->add_option("--max", o->max, "At most this many results");
      screen->add_option("--min-score", o->min_score, "Minimum score 0-1 (default 0.6)");
      screen->callback([o, &global, run] {
        run([o, &global]() -> Status {
          ENTENTE_ASSIGN_OR_RETURN(Register reg, LoadRegister(o->reg));
          Screener s(reg);
          auto matches = s.Screen(o->name, o->max, o->min_score);
          if (global.json) {
            json::Value arr = json::Value::MakeArray();
            for (const auto& m : matches) {
              json::Value v = ListingJson(reg.listings()[m.listing]);
              char buf[16];
              std::snprintf(buf, sizeof buf, "%.3f", m.score);
              v.set("score", json::Value::NumberFromText(buf));
              v.set("matched_name", m.matched_name);
              arr.push_back(std::move(v));
            }
            std::printf("%s\n", arr.Pretty().c_str());
            return Status::Ok();
          }
          if (matches.empty()) std::printf("no listed party resembles \"%s\"\n", o->name.c_str());
          for (const auto& m : matches) {
            const Listing& l = reg.listings()[m.listing];
            std::printf("%.3f  %s  %s  (matched \"%s\"; %s)\n", m.score, l.id.c_str(),
                        l.name.c_str(), m.matched_name.c_str(), l.linked_operation.c_str());
          }
          return Status::Ok();
        });
      });

      CLI::App* exp = app.add_subcommand("export", "Export as EU FSF-shaped XML or a STIX bundle");
      exp->add_option("--format", o->format, "fsf or stix")->check(CLI::IsMember({"fsf", "stix"}));
      exp->callback([o, run] {
        run([o]() -> Status {
          ENTENTE_ASSIGN_OR_RETURN(Register reg, LoadRegister(o->reg));
          Timestamp now = Now();
          if (o->format == "fsf") {
            std::fputs(reg.ExportFsf(FormatTimestamp(now)).c_str(), stdout);
          } else {
            std::printf("%s\n", reg.ExportStix(now).Pretty().c_str());
          }
          return Status::Ok();
        });
      });
    });

}  // namespace
}  // namespace entente::cli
