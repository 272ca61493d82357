// `entente version`: build facts, for bug reports.
#include <cstdio>

#include "command.h"

namespace entente::cli {
namespace {

const CommandRegistration kVersion("version", "Print the version of this build",
                                   [](CLI::App& app, GlobalOptions& global, auto run) {
                                     app.callback([&global, run] {
                                       run([&global]() -> Status {
                                         if (global.json) {
                                           std::printf("{\"version\":\"0.1.0\"}\n");
                                         } else {
                                           std::printf("entente 0.1.0\n");
                                         }
                                         return Status::Ok();
                                       });
                                     });
                                   });

}  // namespace
}  // namespace entente::cli
