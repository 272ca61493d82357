// entente: the command-line front of a node. Subcommands come from cmd_*.cpp (see command.h).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "command.h"

int main(int argc, char** argv) {
  using entente::cli::CommandRegistry;
  CLI::App app{
      "Entente: shared cyber situational awareness, detection, attribution and joint response "
      "for allied national cyber agencies.",
      "entente"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "entente 0.1.0");
  entente::cli::GlobalOptions global;
  if (const char* env = std::getenv("ENTENTE_HOME")) global.home = env;
  if (global.home.empty()) global.home = "entente-home";
  app.add_option("--home", global.home,
                 "Node home directory (default: $ENTENTE_HOME or ./entente-home)");
  app.add_flag("--json", global.json, "Machine-readable JSON output on stdout");

  entente::Status outcome;
  bool ran = false;
  auto run = [&](std::function<entente::Status()> fn) {
    ran = true;
    outcome = fn();
  };
  auto& registry = CommandRegistry();
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& command : registry) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    sub->fallthrough();  // --home/--json may follow the subcommand name
    command.setup(*sub, global, run);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!ran) return 0;
  if (!outcome.ok()) {
    std::fprintf(stderr, "entente: %s\n", outcome.ToString().c_str());
    return entente::cli::ExitCodeFor(outcome);
  }
  return 0;
}
