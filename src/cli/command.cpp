#include "command.h"

#include <unistd.h>

namespace entente::cli {

std::vector<RegisteredCommand>& CommandRegistry() {
  static std::vector<RegisteredCommand> registry;
  return registry;
}

CommandRegistration::CommandRegistration(std::string name, std::string description,
                                         CommandSetup setup) {
  CommandRegistry().push_back({std::move(name), std::move(description), std::move(setup)});
}

int ExitCodeFor(const Status& status) noexcept {
  switch (status.code()) {
    case ErrorCode::kOk:
      return 0;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kConflict:
    case ErrorCode::kAlreadyExists:
      return 3;
    case ErrorCode::kNotFound:
      return 4;
    case ErrorCode::kIoError:
    case ErrorCode::kCorruption:
    case ErrorCode::kUnavailable:
      return 5;
    case ErrorCode::kCryptoError:
      return 6;
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kUnauthenticated:
      return 7;
    default:
      return 1;
  }
}

bool StderrIsTerminal() noexcept { return isatty(STDERR_FILENO) == 1; }

}  // namespace entente::cli
