#pragma once

#include <string>

#include "entente/detect/public_suffix.h"

namespace entente::detect::testing {

inline std::string DataDir() { return std::string(ENTENTE_DATA_DIR) + "/detect"; }

// The system public suffix list (Debian package publicsuffix, see scripts/install-deps).
inline const PublicSuffixList* SystemPsl() {
  static PublicSuffixList* psl = [] {
    auto r = PublicSuffixList::Load(std::string(kDefaultPublicSuffixPath));
    return r.ok() ? new PublicSuffixList(std::move(*r)) : nullptr;
  }();
  return psl;
}

}  // namespace entente::detect::testing
