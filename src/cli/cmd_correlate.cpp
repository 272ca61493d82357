// `entente correlate`: what else the node knows about a value, and which reports or incidents
// share infrastructure with one. Computed from posting lists per value (detect/stored.h).
#include <cstdio>

#include "command.h"
#include "entente/base/json.h"
#include "entente/detect/stored.h"
#include "node_home.h"

namespace entente::cli {
namespace {

json::Value Strings(const std::vector<std::string>& v) {
  json::Value out = json::Value::MakeArray();
  for (const auto& s : v) out.push_back(s);
  return out;
}

const CommandRegistration kCorrelate(
    "correlate",
    "What else is known about a value; which reports or incidents share infrastructure",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      struct Options {
        std::vector<std::string> values;
        std::string shared_with;
        std::size_t cap = 1000;
      };
      auto o = std::make_shared<Options>();
      app.add_option("values", o->values, "Observable values (IP, domain, URL, e-mail, hash, ...)");
      app.add_option("--shared-with", o->shared_with,
                     "A report, grouping or incident id: list the others sharing a value with it");
      app.add_option("--cap", o->cap, "Objects listed per value; more makes it over-correlating")
          ->check(CLI::Range(1, 1000000));
      app.callback([&global, run, o] {
        run([&global, o]() -> Status {
          if (o->values.empty() && o->shared_with.empty()) {
            return Status::InvalidArgument("give values, or --shared-with ID");
          }
          ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home, true));
          ENTENTE_ASSIGN_OR_RETURN(detect::Correlator correlator,
                                   detect::Correlator::Build(*store, o->cap));
          json::Value out = json::Value::MakeObject();
          if (!o->values.empty()) {
            json::Value results = json::Value::MakeArray();
            for (const auto& value : o->values) {
              json::Value r = json::Value::MakeObject();
              r.set("value", value);
              auto c = correlator.Lookup(value);
              if (!c.ok()) {
                r.set("objects", json::Value::MakeArray());
                r.set("total", 0);
              } else {
                r.set("type", c->type);
                r.set("objects", Strings(c->objects));
                r.set("containers", Strings(c->containers));
                r.set("members", Strings(c->creators));
                r.set("total", c->total);
                r.set("over_correlating", c->capped);
              }
              results.push_back(std::move(r));
            }
            out.set("values", std::move(results));
          }
          if (!o->shared_with.empty()) {
            ENTENTE_ASSIGN_OR_RETURN(auto shared, correlator.SharedWith(o->shared_with));
            json::Value s = json::Value::MakeObject();
            for (const auto& [container, values] : shared) s.set(container, Strings(values));
            out.set("shared_with", o->shared_with);
            out.set("sharing", std::move(s));
          }
          json::Value over = json::Value::MakeObject();
          for (const auto& [value, n] : correlator.over_correlating()) over.set(value, n);
          out.set("over_correlating_values", std::move(over));
          std::printf("%s\n", global.json ? out.Serialize().c_str() : out.Pretty().c_str());
          return Status::Ok();
        });
      });
    });

}  // namespace
}  // namespace entente::cli
