// Hostile input of the identity module: trust list documents, bearer tokens and the access
// label of objects. The first byte chooses the parser; the rest is its input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "entente/identity/identity.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  namespace id = entente::identity;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto list = id::ParseTrustList(text);
      if (list.ok()) {
        // What parses re-encodes, and the encoding parses to the same members.
        auto encoded = id::EncodeTrustList(*list);
        if (!encoded.ok()) std::abort();
        auto again = id::ParseTrustList(*encoded);
        if (!again.ok() || again->members.size() != list->members.size()) std::abort();
        (void)id::TrustListSigningInput(*list);
      }
      break;
    }
    case 1: {
      auto token_id = id::TokenIdOf(text);
      if (token_id.ok() && token_id->size() != 16) std::abort();
      break;
    }
    default: {
      auto label = id::LabelOf(text);
      if (label.ok()) {
        id::Principal p;
        p.roles = {id::Role::kReader};
        p.scopes = {"*"};
        p.member_state = "FR";
        // A principal with no organisation or identity never reads above GREEN.
        if (label->tlp > entente::stix::Tlp::kGreen && id::CanRead(p, *label)) std::abort();
      }
      break;
    }
  }
  return 0;
}
