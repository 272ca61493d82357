// Running the `entente` binary from a test (ENTENTE_CLI names it), for the suites that drive
// the command line: tests/cli, tests/identity, tests/respond.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

struct CliRun {
  int exit_code;
  std::string out;
};

// Runs the entente binary with `args` (shell-quoted by the caller), capturing stdout.
inline CliRun Entente(const std::string& args) {
  std::string cmd = std::string(ENTENTE_CLI) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}
