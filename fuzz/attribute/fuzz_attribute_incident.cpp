// Hostile incident bundles: the JSON reader, the evidence extraction against a knowledge base,
// the knowledge-base reader on the same objects (history of attributed incidents), and ranking
// with explanations must all return a value or a clear error, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "entente/attribute/engine.h"

namespace {

using namespace entente;
using namespace entente::attribute;

// A small knowledge base: two groups, a sub-technique family, malware and a tool.
constexpr std::string_view kKb = R"([
  {"type":"attack-pattern","id":"attack-pattern--1","name":"Phishing","external_references":[{"source_name":"mitre-attack","external_id":"T1566"}]},
  {"type":"attack-pattern","id":"attack-pattern--2","name":"Spearphishing Attachment","x_mitre_is_subtechnique":true,"external_references":[{"source_name":"mitre-attack","external_id":"T1566.001"}]},
  {"type":"attack-pattern","id":"attack-pattern--3","name":"PowerShell","external_references":[{"source_name":"mitre-attack","external_id":"T1059.001"}]},
  {"type":"malware","id":"malware--1","name":"Custom","x_mitre_aliases":["Custom","CustomRAT"],"external_references":[{"source_name":"mitre-attack","external_id":"S9001"}]},
  {"type":"tool","id":"tool--1","name":"Mimikatz","external_references":[{"source_name":"mitre-attack","external_id":"S0002"}]},
  {"type":"intrusion-set","id":"intrusion-set--1","name":"Alpha","aliases":["A"]},
  {"type":"intrusion-set","id":"intrusion-set--2","name":"Beta"},
  {"type":"relationship","id":"relationship--1","relationship_type":"uses","source_ref":"intrusion-set--1","target_ref":"malware--1"},
  {"type":"relationship","id":"relationship--2","relationship_type":"uses","source_ref":"intrusion-set--1","target_ref":"attack-pattern--2"},
  {"type":"relationship","id":"relationship--3","relationship_type":"uses","source_ref":"intrusion-set--2","target_ref":"tool--1"},
  {"type":"relationship","id":"relationship--4","relationship_type":"uses","source_ref":"malware--1","target_ref":"attack-pattern--3"}
])";

const KnowledgeBase& Kb() {
  static const KnowledgeBase* kb = [] {
    static json::Document doc;
    if (!doc.Parse(kKb).ok()) __builtin_trap();
    auto r = KnowledgeBase::FromBundle(doc.root());
    if (!r.ok()) __builtin_trap();
    return new KnowledgeBase(std::move(*r));
  }();
  return *kb;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  json::ParseLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_depth = 64;
  json::Document doc;
  if (!doc.Parse(text, limits).ok()) return 0;
  const KnowledgeBase& kb = Kb();
  std::vector<std::string> unresolved;
  IncidentLimits il;
  il.max_objects = 10'000;
  il.max_items = 1'000;
  auto ev = EvidenceFromBundle(doc.root(), kb, Admiralty{'C', 3}, &unresolved, il);
  if (ev.ok()) {
    ProfileSet ps = ProfileSet::Build(kb);
    Assessment a = ps.Assess(*ev, Calibration{}, 2);
    json::Value v = AssessmentToJson(a, *ev, ps);
    if (v.Serialize().empty()) __builtin_trap();
  }
  // The same objects as knowledge-base input (history of attributed incidents).
  KbLimits kl;
  kl.max_objects = 10'000;
  kl.max_refs = 1'000;
  auto history = KnowledgeBase::FromBundle(doc.root(), kl);
  if (history.ok()) {
    ProfileSet ps = ProfileSet::Build(*history);
    if (ev.ok()) {
      // Evidence indices refer to the small KB; ranking against another KB must not crash.
      Evidence e = *ev;
      (void)ps.Rank(e);
    }
    (void)history->FindGroup("A");
  }
  return 0;
}
