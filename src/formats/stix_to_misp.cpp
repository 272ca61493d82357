#include "entente/formats/misp.h"
#include "misp_internal.h"

namespace entente::formats {
Result<json::Value> StixToMisp(json::Node bundle) {
  (void)bundle;
  return Status::Unsupported("not yet");
}
}  // namespace entente::formats
