// `entente demo`: generates the demo scenario of a node as one STIX 2.1 bundle, from the ATT&CK
// knowledge base and what the node already holds (its indicators), never from hand-written
// objects: member states' reports of a campaign against energy and government targets, their
// sightings of shared indicators, an attribution case run by the engine with member states'
// opinions, and a proposal for restrictive measures with some states' signed votes.
//
// The scenario is deterministic for a seed, except for its dates, which are relative to now so
// that the situation view always has "the last 30 days". The votes of the other member states
// are signed with keys made for the demo only (their public halves go to
// HOME/voting-trust.json so the node counts them; the private halves are discarded).
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "entente/attribute/engine.h"
#include "entente/attribute/evidence.h"
#include "entente/attribute/knowledge_base.h"
#include "entente/attribute/procedure.h"
#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/base/uuid.h"
#include "entente/crypto/keys.h"
#include "entente/respond/ballot.h"
#include "entente/respond/board.h"
#include "entente/respond/common.h"
#include "entente/respond/measures.h"
#include "entente/stix/markings.h"
#include "node_home.h"

namespace entente::cli {
namespace {

struct DemoOptions {
  std::string out;
  std::uint64_t seed = 2026;
  int incidents = 40;
  int days = 30;
};

// The reporting member states: ISO code, the national CSIRT/agency, its country name.
struct Member {
  const char* iso2;
  const char* agency;
  const char* country;
  int weight;  // how often it reports (bigger states, more reports)
};
constexpr Member kMembers[] = {
    {"FR", "ANSSI / CERT-FR", "France", 9},
    {"DE", "BSI / CERT-Bund", "Germany", 9},
    {"PL", "CERT Polska", "Poland", 8},
    {"EE", "CERT-EE (RIA)", "Estonia", 5},
    {"LT", "NKSC", "Lithuania", 5},
    {"LV", "CERT.LV", "Latvia", 4},
    {"FI", "NCSC-FI (Traficom)", "Finland", 4},
    {"NL", "NCSC-NL", "Netherlands", 4},
    {"IT", "CSIRT Italia (ACN)", "Italy", 3},
    {"ES", "CCN-CERT", "Spain", 3},
    {"RO", "DNSC", "Romania", 3},
    {"CZ", "NÚKIB", "Czechia", 2},
};

struct SectorTemplate {
  const char* sector;  // STIX industry-sector-ov
  int weight;
  int min_severity, max_severity;
  const char* names[4];
};
constexpr SectorTemplate kSectors[] = {
    {"energy",
     45,
     2,
     4,
     {"Wiper deployed at an electricity distribution operator",
      "Intrusion into the OT network of a transmission system operator",
      "Credential theft at a gas pipeline operator",
      "Destructive malware staged on substation control systems"}},
    {"government",
     40,
     1,
     3,
     {"Spear-phishing wave against a foreign ministry", "Web shell on a regional government portal",
      "Data theft from a defence procurement agency", "Disk wiper on ministry workstations"}},
    {"telecommunications",
     15,
     1,
     3,
     {"Router implant at a telecommunications provider",
      "DNS hijacking against a national operator", "Intrusion at a satellite ground station",
      "Mass wipe of customer equipment at an ISP"}},
};

const char* const kActor = "Sandworm Team";
const char* const kSoftware[] = {"Industroyer2", "Industroyer", "KillDisk",
                                 "NotPetya",     "BlackEnergy", "Olympic Destroyer"};

class Scenario {
 public:
  Scenario(const DemoOptions& o, const attribute::KnowledgeBase& kb, std::string node_identity)
      : o_(o), kb_(kb), node_(std::move(node_identity)), rng_(o.seed) {
    ParseUuid("6f1b9a58-3c0e-4a3e-9d3f-2b8f6e4a9c10", ns_);
    anchor_ = Now();
    anchor_.nanos -= anchor_.nanos % 1'000'000'000;  // whole seconds: stable, readable
  }

  // "type--uuid" stable for (seed, name).
  std::string Id(std::string_view type, std::string_view name) const {
    return std::string(type) + "--" +
           UuidToString(UuidV5(ns_, std::to_string(o_.seed) + "/" + std::string(name)));
  }
  std::string At(double days_ago) const {
    Timestamp t = anchor_;
    t.nanos -= static_cast<std::int64_t>(days_ago * 86400.0) * 1'000'000'000;
    return FormatTimestamp(t, 3);
  }
  Timestamp TimeAt(double days_ago) const {
    Timestamp t = anchor_;
    t.nanos -= static_cast<std::int64_t>(days_ago * 86400.0) * 1'000'000'000;
    return t;
  }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double Unit() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  template <typename T, std::size_t N, typename W>
  const T& Weighted(const T (&items)[N], W weight) {
    int total = 0;
    for (const auto& i : items) total += weight(i);
    int pick = Uniform(0, total - 1);
    for (const auto& i : items) {
      pick -= weight(i);
      if (pick < 0) return i;
    }
    return items[N - 1];
  }

  json::Value Sdo(std::string_view type, const std::string& id, const std::string& created,
                  const std::string& created_by) const {
    json::Value v = json::Value::MakeObject();
    v.set("type", type);
    v.set("spec_version", "2.1");
    v.set("id", id);
    if (!created_by.empty()) v.set("created_by_ref", created_by);
    v.set("created", created);
    v.set("modified", created);
    return v;
  }
  json::Value Relationship(std::string_view kind, const std::string& source,
                           const std::string& target, const std::string& created,
                           const std::string& created_by) const {
    json::Value r = Sdo("relationship", Id("relationship", source + std::string(kind) + target),
                        created, created_by);
    r.set("relationship_type", kind);
    r.set("source_ref", source);
    r.set("target_ref", target);
    return r;
  }
  static void Mark(json::Value& v, stix::Tlp tlp) {
    json::Value refs = json::Value::MakeArray();
    refs.push_back(stix::Tlp2MarkingId(tlp));
    v.set("object_marking_refs", std::move(refs));
  }

  std::string OrgOf(std::string_view iso2) const {
    return Id("identity", "org/" + std::string(iso2));
  }

  const DemoOptions& o_;
  const attribute::KnowledgeBase& kb_;
  std::string node_;
  std::mt19937_64 rng_;
  Uuid ns_{};
  Timestamp anchor_;
};

// Stored indicators with a pattern (what members share), at most `cap`.
Result<std::vector<std::string>> StoredIndicators(const std::string& home, std::size_t cap) {
  ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(home, true));
  std::vector<std::string> ids;
  store::Query q;
  q.types = {"indicator"};
  q.limit = 1000;
  q.include_revoked = false;
  for (;;) {
    ENTENTE_ASSIGN_OR_RETURN(store::Page page, store->Find(q));
    for (const auto& o : page.objects) {
      if (ids.size() >= cap) return ids;
      ids.push_back(o.id);
    }
    if (!page.more) return ids;
    q.cursor = page.next;
  }
}

Status Run(const DemoOptions& o, const GlobalOptions& global) {
  if (o.incidents < 1 || o.incidents > 100000) {
    return Status::InvalidArgument("demo: --incidents must be 1..100000");
  }
  if (o.days < 1 || o.days > 3650) return Status::InvalidArgument("demo: --days must be 1..3650");
  std::string node = NodeIdentity(global.home);
  if (node.empty()) return Status::NotFound("demo: no node in " + global.home + " (entente init)");
  std::string kb_path;
  for (const auto& p : attribute::DefaultKnowledgeBasePaths(ExeDir())) {
    if (std::ifstream(p).good()) {
      kb_path = p;
      break;
    }
  }
  if (kb_path.empty()) return Status::NotFound("demo: no ATT&CK knowledge base found");
  ENTENTE_ASSIGN_OR_RETURN(attribute::KnowledgeBase kb,
                           attribute::KnowledgeBase::FromFile(kb_path));
  attribute::Model model;
  if (std::string mp = attribute::ModelPathFor(kb_path); std::ifstream(mp).good()) {
    ENTENTE_ASSIGN_OR_RETURN(model, attribute::Model::FromFile(mp));
  }
  ENTENTE_ASSIGN_OR_RETURN(std::uint32_t group, kb.ResolveGroup(kActor));
  const attribute::Group& actor = kb.groups()[group];
  ENTENTE_ASSIGN_OR_RETURN(std::vector<std::string> indicators,
                           StoredIndicators(global.home, 5000));

  Scenario s(o, kb, node);
  const std::string campaign = s.Id("campaign", "campaign");
  {
    // Running the demo again on the same node adds nothing: the scenario is there already
    // (a second one would come with new keys, and the first one's votes would stop counting).
    ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home, true));
    if (store->Get(campaign).ok()) {
      std::error_code ec;
      std::filesystem::remove(o.out, ec);
      std::printf("demo scenario already in %s (seed %llu); nothing written\n", global.home.c_str(),
                  static_cast<unsigned long long>(o.seed));
      return Status::Ok();
    }
  }
  json::Value objects = json::Value::MakeArray();
  auto add = [&](json::Value v) { objects.push_back(std::move(v)); };
  const std::string t0 = s.At(o.days + 5);

  // Member states' agencies and their countries.
  for (const auto& m : kMembers) {
    json::Value org = s.Sdo("identity", s.OrgOf(m.iso2), t0, "");
    org.set("name", m.agency);
    org.set("identity_class", "organization");
    org.set("sectors", json::Value::MakeArray({"government"}));
    org.set("x_entente_member_state", m.iso2);
    add(std::move(org));
    json::Value loc = s.Sdo("location", s.Id("location", std::string("country/") + m.iso2), t0, "");
    loc.set("name", m.country);
    loc.set("country", m.iso2);
    add(std::move(loc));
    add(s.Relationship("located-at", s.OrgOf(m.iso2),
                       s.Id("location", std::string("country/") + m.iso2), t0, ""));
  }

  // The campaign the incidents belong to (attribution is the case's business, below).
  {
    json::Value c = s.Sdo("campaign", campaign, s.At(o.days), node);
    c.set("name", "Winter Grid (demo scenario)");
    c.set("description",
          "Coordinated intrusions and destructive attacks against energy operators and government "
          "bodies of several member states, reported through Entente.");
    c.set("first_seen", s.At(o.days));
    c.set("objective", "Disruption of energy supply and of government services");
    add(std::move(c));
  }

  // The actor's techniques and software (from ATT&CK) the incidents show.
  std::vector<std::uint32_t> techniques = actor.techniques;
  std::vector<std::uint32_t> software;
  for (const char* name : kSoftware) {
    if (auto i = kb.FindSoftware(name)) software.push_back(*i);
  }
  if (techniques.empty() || software.empty()) {
    return Status::NotFound("demo: the knowledge base lacks the actor's techniques or software");
  }

  // Incidents, each reported by a member state's agency.
  struct Incident {
    std::string id, state, sector;
    int severity;
    double days_ago;
    std::vector<std::uint32_t> techniques;
    std::uint32_t software;
  };
  std::vector<Incident> incidents;
  std::set<std::string> states;
  for (int i = 0; i < o.incidents; ++i) {
    // The lead incident (the one the attribution case and the proposal are about) is Polish.
    const Member& m =
        i == 0 ? kMembers[2] : s.Weighted(kMembers, [](const Member& x) { return x.weight; });
    const SectorTemplate& sec =
        s.Weighted(kSectors, [](const SectorTemplate& x) { return x.weight; });
    Incident inc;
    inc.id = s.Id("incident", "incident/" + std::to_string(i));
    inc.state = m.iso2;
    inc.sector = sec.sector;
    inc.severity = s.Uniform(sec.min_severity, sec.max_severity);
    // More recent days are busier: the campaign is escalating.
    inc.days_ago = o.days * (1.0 - std::sqrt(s.Unit())) + 0.05;
    if (i == 0) {
      inc.sector = "energy";
      inc.severity = 4;
      inc.days_ago = 6.5;
    }
    int n = s.Uniform(3, 5);
    for (int k = 0; k < n; ++k) {
      inc.techniques.push_back(techniques[static_cast<std::size_t>(
          s.Uniform(0, static_cast<int>(techniques.size()) - 1))]);
    }
    std::sort(inc.techniques.begin(), inc.techniques.end());
    inc.techniques.erase(std::unique(inc.techniques.begin(), inc.techniques.end()),
                         inc.techniques.end());
    inc.software = i == 0 ? software.front()
                          : software[static_cast<std::size_t>(
                                s.Uniform(0, static_cast<int>(software.size()) - 1))];
    states.insert(inc.state);
    const std::string org = s.OrgOf(inc.state);
    const std::string when = s.At(inc.days_ago);
    json::Value v = s.Sdo("incident", inc.id, when, org);
    const SectorTemplate* tpl = &kSectors[0];
    for (const auto& x : kSectors) {
      if (inc.sector == x.sector) tpl = &x;
    }
    std::string name = tpl->names[s.Uniform(0, 3)];
    v.set("name", name + " (" + inc.state + ")");
    std::string description = "Reported by " + std::string(m.agency) + ". Observed: ";
    for (std::size_t k = 0; k < inc.techniques.size(); ++k) {
      const auto& t = kb.techniques()[inc.techniques[k]];
      description += (k ? ", " : "") + t.name + " (" + t.external_id + ")";
    }
    description += "; tooling resembling " + kb.software()[inc.software].name + ".";
    v.set("description", description);
    v.set("labels", json::Value::MakeArray({std::string("sector:") + inc.sector}));
    v.set("x_entente_member_state", inc.state);
    v.set("x_entente_sector", inc.sector);
    v.set("x_entente_severity", inc.severity);
    v.set("x_entente_first_seen", when);
    bool amber = i != 0 && s.Unit() < 0.2;
    if (amber) {
      // Shared with this node's organisation only (and its reporter, as creator).
      Scenario::Mark(v, stix::Tlp::kAmber);
      v.set("x_entente_recipients", json::Value::MakeArray({node}));
    } else {
      Scenario::Mark(v, stix::Tlp::kGreen);
    }
    add(std::move(v));
    add(s.Relationship("related-to", inc.id, campaign, when, org));
    for (auto t : inc.techniques) {
      add(s.Relationship("uses", inc.id, kb.techniques()[t].stix_id, when, org));
    }
    add(s.Relationship("uses", inc.id, kb.software()[inc.software].stix_id, when, org));
    incidents.push_back(std::move(inc));
  }

  // Sightings of shared indicators by the reporting members, around each incident.
  std::size_t sightings = 0;
  if (!indicators.empty()) {
    for (const auto& inc : incidents) {
      int n = s.Uniform(1, 4);
      for (int k = 0; k < n; ++k) {
        const std::string& ind = indicators[static_cast<std::size_t>(
            s.Uniform(0, static_cast<int>(indicators.size()) - 1))];
        double start = inc.days_ago + s.Unit() * 0.5;
        json::Value v = s.Sdo("sighting", s.Id("sighting", inc.id + "/" + std::to_string(k)),
                              s.At(inc.days_ago - 0.01), s.OrgOf(inc.state));
        v.set("sighting_of_ref", ind);
        v.set("where_sighted_refs", json::Value::MakeArray({s.OrgOf(inc.state)}));
        v.set("first_seen", s.At(start));
        v.set("last_seen", s.At(inc.days_ago));
        v.set("count", s.Uniform(1, 60));
        v.set("x_entente_incident_ref", inc.id);
        Scenario::Mark(v, stix::Tlp::kGreen);
        add(std::move(v));
        ++sightings;
      }
    }
  }

  // The attribution case on the lead incident: evidence, the engine's assessment, three
  // member states' opinions and the final technical assessment.
  const Incident& lead = incidents.front();
  attribute::MemorySink sink;
  ENTENTE_ASSIGN_OR_RETURN(auto ac, attribute::AttributionCase::Open(
                                        lead.id, node, &sink, s.TimeAt(lead.days_ago - 0.2)));
  attribute::Evidence ev;
  ev.incident_id = lead.id;
  auto grading = attribute::Admiralty::Parse("B2");
  for (auto t : lead.techniques) {
    ev.Add({attribute::EvidenceKind::kTechnique, t, kb.techniques()[t].external_id, lead.id,
            grading.ok() ? std::optional(*grading) : std::nullopt});
  }
  for (auto sw : software) {
    ev.Add({attribute::EvidenceKind::kSoftware, sw, kb.software()[sw].external_id, lead.id,
            grading.ok() ? std::optional(*grading) : std::nullopt});
    if (ev.Count(attribute::EvidenceKind::kSoftware) >= 3) break;
  }
  ev.Add({attribute::EvidenceKind::kSector, attribute::kNone, "energy", lead.id, std::nullopt});
  ENTENTE_RETURN_IF_ERROR(ac.AttachEvidence(ev, node, s.TimeAt(lead.days_ago - 0.2)));
  attribute::ProfileSet profiles = attribute::ProfileSet::Build(kb, model.params);
  ENTENTE_ASSIGN_OR_RETURN(
      attribute::Assessment assessment,
      ac.Assess(profiles, model.calibration, node, s.TimeAt(lead.days_ago - 0.3)));
  struct Opinion {
    const char* state;
    attribute::OpinionValue value;
    const char* rationale;
  };
  const Opinion opinions[] = {
      {"PL", attribute::OpinionValue::kStronglyAgree,
       "Matches our forensic findings on the substation controllers and the wiper variant."},
      {"DE", attribute::OpinionValue::kAgree,
       "Consistent with the tooling we saw in two government networks in the same weeks."},
      {"NL", attribute::OpinionValue::kNeutral,
       "We have no independent evidence; the technique overlap alone is not conclusive."},
  };
  double when = lead.days_ago - 1.0;
  for (const auto& op : opinions) {
    ENTENTE_RETURN_IF_ERROR(
        ac.AddOpinion(op.value, op.rationale, s.OrgOf(op.state), s.TimeAt(when)));
    when -= 0.3;
  }
  attribute::Confidence confidence = attribute::Confidence::kModerate;
  if (!assessment.candidates.empty() && assessment.candidates.front().ranked.group == group) {
    confidence = std::max(confidence, assessment.candidates.front().confidence);
  }
  ENTENTE_ASSIGN_OR_RETURN(
      json::Value final_note,
      ac.Finalize(actor.stix_id, confidence,
                  "Technical assessment shared by the members who reviewed the case: the activity "
                  "is consistent with " +
                      actor.name + " (" + actor.external_id + ").",
                  node, s.TimeAt(when - 0.2)));
  std::string case_ref = final_note.find("id") ? final_note.find("id")->str() : "";
  for (auto& obj : sink.objects) add(std::move(obj));

  // The proposal for restrictive measures, signed by this node for its state, and signed votes
  // of other member states (keys made for the demo; public halves written to the trust file).
  std::string proposal_id;
  int votes_cast = 0;
  std::string state = NodeMemberState(global.home);
  auto node_key = NodeKey(global.home);
  if (state.empty() || !node_key.ok()) {
    std::fprintf(stderr, "demo: no proposal (%s)\n",
                 state.empty() ? "the node speaks for no member state: entente init --state XX"
                               : node_key.status().message().c_str());
  } else {
    ENTENTE_ASSIGN_OR_RETURN(respond::Catalogue cat, respond::Catalogue::Load(respond::FindDataFile(
                                                         "measures.json", ExeDir())));
    respond::Proposal p;
    p.proposer = state;
    p.measure = "asset-freeze";
    p.targets.push_back(
        {"Main Centre for Special Technologies (GTsST) of the GRU, military "
         "unit 74455",
         actor.stix_id});
    p.grounds =
        "Cyber-attacks with a potentially significant effect against energy operators "
        "and government bodies of " +
        std::to_string(states.size()) + " member states in the last " + std::to_string(o.days) +
        " days (campaign Winter Grid), attributed with " +
        std::string(attribute::ConfidenceName(confidence)) + " confidence.";
    p.incident_ref = lead.id;
    p.attribution_case_ref = case_ref;
    p.attribution_confidence = confidence == attribute::Confidence::kHigh
                                   ? respond::Confidence::kHigh
                                   : respond::Confidence::kModerate;
    p.deadline = FormatTimestamp(s.TimeAt(-7), 0);
    ENTENTE_ASSIGN_OR_RETURN(respond::Proposal opened,
                             respond::OpenProposal(cat, p, std::nullopt, s.TimeAt(2)));
    ENTENTE_ASSIGN_OR_RETURN(auto key, node_key->SigKey());
    json::Value pv = opened.ToStix();
    ENTENTE_RETURN_IF_ERROR(respond::SignObject(pv, respond::kProposalDomain, *key));
    proposal_id = opened.id;
    add(std::move(pv));

    struct Cast {
      const char* state;
      respond::Choice choice;
      const char* declaration;
    };
    const Cast casts[] = {
        {"PL", respond::Choice::kYes, ""},
        {"EE", respond::Choice::kYes, ""},
        {"LT", respond::Choice::kYes, ""},
        {"LV", respond::Choice::kYes, ""},
        {"DE", respond::Choice::kYes, ""},
        {"FI", respond::Choice::kYes, ""},
        {"NL", respond::Choice::kAbstain, ""},
        {"HU", respond::Choice::kConstructive,
         "Hungary will not apply the measure nationally but accepts that the decision commits "
         "the Union."},
    };
    std::string trust_text = "{";
    double at = 1.8;
    for (const auto& c : casts) {
      if (c.state == state) continue;
      ENTENTE_ASSIGN_OR_RETURN(auto id,
                               crypto::keys::Generate(crypto::keys::Profile::kLevel3, "node",
                                                      std::string("demo ") + c.state));
      ENTENTE_ASSIGN_OR_RETURN(auto vkey, id.SigKey());
      ENTENTE_ASSIGN_OR_RETURN(json::Value vote,
                               respond::MakeSignedVote(opened, c.state, c.choice, c.declaration, 1,
                                                       s.TimeAt(at), *vkey));
      at -= 0.2;
      add(std::move(vote));
      ++votes_cast;
      if (trust_text.size() > 1) trust_text += ",";
      trust_text += "\"" + std::string(c.state) + "\":" + crypto::keys::EncodePublicKeyFile(id.pub);
    }
    trust_text += "}\n";
    std::string trust_path = global.home + "/voting-trust.json";
    std::ofstream tf(trust_path, std::ios::trunc);
    tf << trust_text;
    if (!tf) return Status::IoError("demo: cannot write " + trust_path);
  }

  json::Value bundle = json::Value::MakeObject();
  bundle.set("type", "bundle");
  bundle.set("id", "bundle--" + UuidToString(UuidV4()));
  bundle.set("objects", std::move(objects));
  std::ofstream out(o.out, std::ios::trunc);
  out << bundle.Serialize() << "\n";
  if (!out) return Status::IoError("demo: cannot write " + o.out);
  json::Value summary = json::Value::MakeObject();
  summary.set("out", o.out);
  summary.set("objects", static_cast<std::uint64_t>(bundle.find("objects")->size()));
  summary.set("incidents", static_cast<std::uint64_t>(incidents.size()));
  summary.set("sightings", static_cast<std::uint64_t>(sightings));
  summary.set("lead_incident", lead.id);
  summary.set("attribution_case", case_ref);
  summary.set("proposal", proposal_id);
  summary.set("votes", votes_cast);
  if (global.json) {
    std::printf("%s\n", summary.Serialize().c_str());
  } else {
    std::printf(
        "demo scenario: %zu objects (%zu incidents, %zu sightings, %d signed votes) in %s\n",
        bundle.find("objects")->size(), incidents.size(), sightings, votes_cast, o.out.c_str());
  }
  return Status::Ok();
}

const CommandRegistration kDemo(
    "demo",
    "Generate the demo scenario (member states' incidents, sightings, an attribution case, a "
    "proposal with signed votes) as a STIX bundle",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<DemoOptions>();
      app.add_option("--out", o->out, "Bundle file to write")->required();
      app.add_option("--seed", o->seed, "Random seed (same seed, same scenario)");
      app.add_option("--incidents", o->incidents, "Incidents to generate (default 40)");
      app.add_option("--days", o->days, "Period the incidents span, ending now (default 30)");
      app.callback([o, &global, run] { run([o, &global] { return Run(*o, global); }); });
    });

}  // namespace
}  // namespace entente::cli
