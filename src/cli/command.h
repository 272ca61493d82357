// How subcommands plug into the `entente` command.
//
// Each cmd_<area>.cpp defines a static CommandRegistration; main.cpp builds the CLI11 app from
// the registry. A subcommand's callback reports failure by returning a Status; main.cpp prints
// it and maps its code to the documented exit code (docs/CLI.md).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "entente/base/status.h"

namespace entente::cli {

// Options every subcommand sees.
struct GlobalOptions {
  std::string home;   // --home, or $ENTENTE_HOME, or ./entente-home
  bool json = false;  // --json: machine-readable output on stdout
};

// Adds options and a callback to `app` (already created with the registered name). The
// callback returns the outcome; `run` is where it is stored for main.cpp.
using CommandSetup = std::function<void(CLI::App& app, GlobalOptions& global,
                                        std::function<void(std::function<Status()>)> run)>;

struct CommandRegistration {
  CommandRegistration(std::string name, std::string description, CommandSetup setup);
};

struct RegisteredCommand {
  std::string name;
  std::string description;
  CommandSetup setup;
};
std::vector<RegisteredCommand>& CommandRegistry();

// Exit codes (docs/CLI.md): 0 success; 1 operation failed; 2 usage error; 3 input rejected
// (invalid or over a limit); 4 not found; 5 storage or I/O error; 6 crypto verification failed;
// 7 permission denied.
int ExitCodeFor(const Status& status) noexcept;

// Whether stderr is a terminal (progress bars are drawn only then).
bool StderrIsTerminal() noexcept;

}  // namespace entente::cli
