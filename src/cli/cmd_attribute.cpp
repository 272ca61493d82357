// `entente attribute`: rank the known threat groups for an incident's evidence, with a
// calibrated confidence and an explanation (docs/ATTRIBUTION.md).
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "entente/attribute/engine.h"
#include "entente/attribute/evidence.h"
#include "entente/attribute/knowledge_base.h"
#include "entente/store/store.h"
#include "node_home.h"

namespace entente::cli {
namespace {

using namespace entente::attribute;

struct AttributeOptions {
  std::vector<std::string> techniques, software, infrastructure, sectors, countries, artefacts;
  std::vector<int> hours;
  std::string bundle, kb, model, admiralty;
  std::size_t top = 5;
};

bool Readable(const std::string& path) { return std::ifstream(path).good(); }

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void PrintText(const Assessment& a, const Evidence& ev, const ProfileSet& ps,
               const std::vector<std::string>& unresolved) {
  const KnowledgeBase& kb = ps.kb();
  std::printf("Attribution assessment (technical; attribution is the member states' decision)\n");
  std::printf("profiles %s, %zu groups ranked, %zu evidence items\n\n",
              a.profile_set_version.c_str(), a.groups_ranked, ev.items.size());
  auto name = [&](const ItemAssessment& ia) {
    const EvidenceItem& e = ev.items[ia.item];
    if (e.kind == EvidenceKind::kTechnique) {
      return kb.techniques()[e.index].external_id + " " + kb.techniques()[e.index].name;
    }
    if (e.kind == EvidenceKind::kSoftware) {
      return kb.software()[e.index].external_id + " " + kb.software()[e.index].name;
    }
    return std::string(EvidenceKindName(e.kind)) + " " + e.key;
  };
  for (std::size_t k = 0; k < a.candidates.size(); ++k) {
    const auto& c = a.candidates[k];
    const Group& g = kb.groups()[c.ranked.group];
    std::printf("%zu. %s (%s)  score %.2f (prior %.2f)  posterior %.3f", k + 1, g.name.c_str(),
                g.external_id.c_str(), c.ranked.score, ps.PriorOf(c.ranked.group),
                c.ranked.posterior);
    if (k == 0) std::printf("  confidence %s", std::string(ConfidenceName(c.confidence)).c_str());
    std::printf("\n");
    for (const auto& f : c.evidence_for) {
      std::printf("     + %-45s %+.2f  %s [%s to fake]\n", name(f).c_str(), f.contribution,
                  f.how.c_str(), f.cost.c_str());
    }
    for (const auto& f : c.evidence_against) {
      std::printf("     - %-45s %+.2f  %s\n", name(f).c_str(), f.contribution, f.how.c_str());
    }
    for (const auto& n : c.against_notes) std::printf("     - %s\n", n.c_str());
    if (!c.evidence_consistent.empty()) {
      std::string names;
      for (const auto& f : c.evidence_consistent) {
        const EvidenceItem& e = ev.items[f.item];
        names += (names.empty() ? "" : ", ") +
                 (e.kind == EvidenceKind::kSoftware && e.index < kb.software().size()
                      ? kb.software()[e.index].name
                      : e.key);
      }
      std::printf("     = also in its profile, weighing little against its breadth: %s\n",
                  names.c_str());
    }
    if (k == 0) {
      for (const auto& m : c.missing) std::printf("     ? missing: %s\n", m.c_str());
      for (const auto& m : c.false_flag) std::printf("     ! false flag: %s\n", m.c_str());
      if (!c.alternatives.empty()) {
        std::string alts;
        for (auto alt : c.alternatives) {
          alts += (alts.empty() ? "" : ", ") + kb.groups()[alt].name + " (" +
                  kb.groups()[alt].external_id + ")";
        }
        std::printf("     ~ alternatives within a factor 10: %s\n", alts.c_str());
      }
    }
  }
  for (const auto& u : unresolved) std::printf("note: not in the knowledge base: %s\n", u.c_str());
}

Status Run(const AttributeOptions& o, const GlobalOptions& global) {
  if (o.techniques.empty() && o.software.empty() && o.bundle.empty() && o.infrastructure.empty() &&
      o.sectors.empty() && o.countries.empty() && o.artefacts.empty() && o.hours.empty()) {
    return Status::InvalidArgument(
        "attribute: give evidence: --technique, --software, --bundle, ...");
  }
  // The knowledge base: --kb FILE when given; otherwise the node's own store (ATT&CK plus
  // everything members shared, attributed incidents included) when the node holds groups;
  // otherwise the ATT&CK bundle shipped with the build.
  std::string kb_path = o.kb;
  std::string default_path;
  for (const auto& p : DefaultKnowledgeBasePaths(ExeDir())) {
    if (Readable(p)) {
      default_path = p;
      break;
    }
  }
  std::optional<KnowledgeBase> from_store;
  if (kb_path.empty()) {
    auto store = OpenNodeStore(global.home, true);
    if (store.ok()) {
      auto counts = (*store)->Count();
      if (counts.ok() && counts->latest_by_type.count("intrusion-set") > 0) {
        KnowledgeBase kb;
        json::Document doc;
        store::Query q;
        q.types = {"intrusion-set",    "attack-pattern",
                   "malware",          "tool",
                   "relationship",     "incident",
                   "report",           "grouping",
                   "campaign",         "identity",
                   "location",         "indicator",
                   "infrastructure",   "observed-data",
                   "ipv4-addr",        "ipv6-addr",
                   "domain-name",      "url",
                   "x509-certificate", "autonomous-system"};
        q.limit = 5000;
        for (;;) {
          ENTENTE_ASSIGN_OR_RETURN(store::Page page, (*store)->Find(q));
          for (const auto& obj : page.objects) {
            if (!doc.Parse(obj.json).ok()) continue;
            ENTENTE_RETURN_IF_ERROR(kb.AddObject(doc.root()));
          }
          if (!page.more) break;
          q.cursor = page.next;
        }
        ENTENTE_RETURN_IF_ERROR(kb.Finalize());
        from_store = std::move(kb);
      }
    }
  }
  if (!from_store && kb_path.empty()) {
    kb_path = default_path;
    if (kb_path.empty()) {
      return Status::NotFound(
          "attribute: no knowledge base found; ingest ATT&CK into the node, pass --kb FILE or "
          "set ENTENTE_KB");
    }
  }
  if (!from_store) {
    ENTENTE_ASSIGN_OR_RETURN(KnowledgeBase loaded, KnowledgeBase::FromFile(kb_path));
    from_store = std::move(loaded);
  }
  const KnowledgeBase& kb = *from_store;
  if (kb_path.empty()) kb_path = default_path;
  Model model;
  std::string model_path = o.model.empty() ? ModelPathFor(kb_path) : o.model;
  if (!o.model.empty() || Readable(model_path)) {
    ENTENTE_ASSIGN_OR_RETURN(model, Model::FromFile(model_path));
  }
  std::optional<Admiralty> grading;
  if (!o.admiralty.empty()) {
    ENTENTE_ASSIGN_OR_RETURN(Admiralty a, Admiralty::Parse(o.admiralty));
    grading = a;
  }

  Evidence ev;
  std::vector<std::string> unresolved;
  std::string bundle_text;  // outlives the parsed document
  json::Document doc;
  if (!o.bundle.empty()) {
    ENTENTE_ASSIGN_OR_RETURN(bundle_text, ReadFile(o.bundle));
    Status s = doc.Parse(bundle_text);
    if (!s.ok()) return s.WithContext(o.bundle);
    auto parsed = EvidenceFromBundle(doc.root(), kb, grading, &unresolved);
    if (!parsed.ok()) return parsed.status().WithContext(o.bundle);
    ev = std::move(*parsed);
  }
  for (const auto& t : o.techniques) {
    ENTENTE_ASSIGN_OR_RETURN(std::uint32_t i, kb.ResolveTechnique(t));
    ev.Add({EvidenceKind::kTechnique, i, kb.techniques()[i].external_id, "cli", grading});
  }
  for (const auto& s : o.software) {
    ENTENTE_ASSIGN_OR_RETURN(std::uint32_t i, kb.ResolveSoftware(s));
    ev.Add({EvidenceKind::kSoftware, i, kb.software()[i].external_id, "cli", grading});
  }
  auto add_keys = [&](const std::vector<std::string>& values, EvidenceKind kind, auto normalise) {
    for (const auto& v : values) ev.Add({kind, kNone, normalise(v), "cli", grading});
  };
  add_keys(o.infrastructure, EvidenceKind::kInfrastructure, [](const std::string& v) { return v; });
  add_keys(o.sectors, EvidenceKind::kSector, [](const std::string& v) { return AsciiLower(v); });
  add_keys(o.countries, EvidenceKind::kCountry, [](const std::string& v) {
    std::string up = v;
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return up;
  });
  add_keys(o.artefacts, EvidenceKind::kArtefact, [](const std::string& v) { return v; });
  for (int h : o.hours) {
    if (h < 0 || h > 23) return Status::InvalidArgument("attribute: --hour must be 0-23 (UTC)");
    ev.Add({EvidenceKind::kActivityHour, kNone, std::to_string(h), "cli", grading});
  }
  if (ev.items.empty()) {
    return Status::InvalidArgument(
        "attribute: the evidence names nothing the knowledge base knows");
  }

  ProfileSet profiles = ProfileSet::Build(kb, model.params);
  Assessment a = profiles.Assess(ev, model.calibration, o.top);
  if (global.json) {
    json::Value out = AssessmentToJson(a, ev, profiles);
    json::Value un = json::Value::MakeArray();
    for (const auto& u : unresolved) un.push_back(u);
    out.set("unresolved", std::move(un));
    std::printf("%s\n", out.Pretty().c_str());
  } else {
    PrintText(a, ev, profiles, unresolved);
  }
  return Status::Ok();
}

const CommandRegistration kAttribute(
    "attribute", "Rank known threat groups for an incident's evidence, with confidence and reasons",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<AttributeOptions>();
      app.add_option("--technique", o->techniques, "ATT&CK technique (T1566.001, STIX id or name)");
      app.add_option("--software", o->software,
                     "Software or malware family (S0154, STIX id, name or alias)");
      app.add_option("--bundle", o->bundle,
                     "STIX bundle with an incident/report/grouping and the objects it uses");
      app.add_option("--infrastructure", o->infrastructure,
                     "Infrastructure key, e.g. ipv4-addr:203.0.113.7 or domain-name:example.org");
      app.add_option("--sector", o->sectors, "Targeted sector (STIX industry-sector-ov)");
      app.add_option("--country", o->countries, "Targeted country (ISO 3166-1 alpha-2)");
      app.add_option("--hour", o->hours, "Hour of observed activity, UTC (0-23)");
      app.add_option("--artefact", o->artefacts, "Tooling artefact (mutex:..., PDB path, ...)");
      app.add_option("--admiralty", o->admiralty,
                     "Admiralty grading of the evidence given here (e.g. B2); default ungraded");
      app.add_option("--top", o->top, "Candidates to explain (default 5)")
          ->check(CLI::Range(1, 1000));
      app.add_option("--kb", o->kb,
                     "ATT&CK/STIX knowledge base bundle (default: $ENTENTE_KB or the installed "
                     "data/attack bundle)");
      app.add_option("--model", o->model,
                     "Model weights and calibration (default: attribute/model.json beside the KB)");
      app.callback([o, &global, run] { run([o, &global] { return Run(*o, global); }); });
    });

}  // namespace
}  // namespace entente::cli
