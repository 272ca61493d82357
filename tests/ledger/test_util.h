// Helpers shared by the ledger tests.
#pragma once

#include <memory>

#include "entente/crypto/hybrid.h"
#include "entente/ledger/entry.h"

namespace entente::ledger::testing {

inline std::shared_ptr<const crypto::hybrid::SigPrivateKey> TestKey() {
  static const auto key = [] {
    auto pair = crypto::hybrid::SigKeyGen(crypto::hybrid::SigSuite::kMlDsa65Ed25519);
    auto k = crypto::hybrid::SigPrivateKey::FromPrivate(crypto::hybrid::SigSuite::kMlDsa65Ed25519,
                                                        pair->sk.view());
    return std::shared_ptr<const crypto::hybrid::SigPrivateKey>(std::move(*k));
  }();
  return key;
}

inline Entry MakeEntry(std::uint64_t i, std::string kind = "share") {
  Entry e;
  e.kind = std::move(kind);
  e.time = "2026-11-23T01:02:03.000Z";
  e.actor = "identity--5f0c3c36-1d7c-4d4b-9a52-0c3f5f8f4f11";
  e.subject = "indicator--00000000-0000-4000-8000-" + std::to_string(100000000000 + i);
  return e;
}

}  // namespace entente::ledger::testing
