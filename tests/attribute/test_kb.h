// Shared fixture data: the ATT&CK knowledge base shipped in data/attack, loaded once.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "entente/attribute/knowledge_base.h"

namespace entente::attribute::testing {

inline const KnowledgeBase& AttackKb() {
  static const KnowledgeBase* kb = [] {
    auto r = KnowledgeBase::FromFile(std::string(ENTENTE_DATA_DIR) +
                                     "/attack/attack-enterprise-kb.json");
    if (!r.ok()) {
      ADD_FAILURE() << r.status().ToString();
      return new KnowledgeBase();
    }
    return new KnowledgeBase(std::move(*r));
  }();
  return *kb;
}

inline constexpr const char* kApt29 = "intrusion-set--899ce53f-13a0-479b-a0e4-67d46e241542";
inline constexpr const char* kSandworm = "intrusion-set--381fcf73-60f6-4ab2-9991-6af3cbc35192";
inline constexpr const char* kLazarus = "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a";

}  // namespace entente::attribute::testing
