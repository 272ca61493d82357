// Fuzzes what a node reads from its peers: signed pages (the federation feed), sealed-object
// wrappers inside them, and the access labels that decide distribution. The first byte picks
// the decoder. A parsed page's manifest must be computable and its verification (against a
// fixed key) must fail cleanly, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "entente/base/json.h"
#include "entente/federation/distribution.h"
#include "entente/federation/page.h"
#include "entente/identity/access.h"

using namespace entente;
using namespace entente::federation;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto page = ParsePage(std::string(in));
      if (page.ok()) {
        if (page->objects.size() != page->origins.size()) std::abort();
        (void)PageManifest(page->header, page->objects, page->origins);
        static const Bytes key(crypto::hybrid::SizesOf(page->sig_suite).pk, 7);
        if (VerifyPage(*page, page->sig_suite, key).ok()) std::abort();  // a forgery
      }
      break;
    }
    case 1: {
      json::Document doc;
      if (doc.Parse(in).ok()) {
        auto sealed = ParseSealed(doc.root());
        if (sealed.ok() && (sealed->sealed_ref.empty() || sealed->envelope.empty())) {
          std::abort();
        }
      }
      break;
    }
    default: {
      json::Document doc;
      if (doc.Parse(in).ok()) {
        auto label = identity::LabelOf(doc.root());
        if (label.ok()) {
          identity::TrustList trust;
          identity::TrustMember peer;
          peer.node_id = "de";
          peer.organization_ref = label->recipients.empty() ? "identity--x" : label->recipients[0];
          trust.members.push_back(peer);
          Decision d = Decide(*label, trust, trust.members[0]);
          if (d.route == Route::kSealed && d.recipients.empty()) std::abort();
        }
      }
      break;
    }
  }
  return 0;
}
