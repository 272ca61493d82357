// Whole-file reads for small inputs (models, configuration, knowledge bases). Large inputs
// are streamed by their readers instead.
#pragma once

#include <string>

#include "entente/base/status.h"

namespace entente {

// The file's bytes; IoError naming the path if it cannot be read.
Result<std::string> ReadFileToString(const std::string& path);

}  // namespace entente
