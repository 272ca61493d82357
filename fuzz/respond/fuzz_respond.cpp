// Hostile respond inputs: VOTES.json, population tables, proposals, signed votes (through the
// ballot box), signed-vote sets, measures catalogues, severity models, incidents, trust lists,
// statements, sanctions registers and screening names must all give a value or a clear error,
// never crash. The first byte picks the parser; the rest is the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "entente/respond/ballot.h"
#include "entente/respond/decision.h"
#include "entente/respond/measures.h"
#include "entente/respond/sanctions.h"
#include "entente/respond/severity.h"
#include "entente/respond/statement.h"

namespace {

using namespace entente;
using namespace entente::respond;

constexpr std::string_view kPopulation = R"({"year":2025,"unit":"basis_points","total":10000,
  "member_states":[{"iso2":"DE","share_bp":5000},{"iso2":"FR","share_bp":3000},{"iso2":"MT","share_bp":2000}]})";

constexpr std::string_view kModel = R"({"version":1,
  "categories":[{"id":"functional_impact","name":"F","weight":2,"default":"none","options":{"none":0,"all":100}},
                {"id":"recoverability","name":"R","weight":1,"default":"regular","options":{"regular":0,"never":100}}],
  "levels":[{"level":0,"name":"a","min_score":0},{"level":1,"name":"b","min_score":10},{"level":2,"name":"c","min_score":20},
            {"level":3,"name":"d","min_score":30},{"level":4,"name":"e","min_score":40},{"level":5,"name":"f","min_score":50}],
  "significance":{"min_factors":1,"factors":[{"id":"persons_affected","name":"p","type":"count","threshold":10},
                                             {"id":"critical_infrastructure","name":"c","type":"flag"},
                                             {"id":"disruption","name":"d","type":"level","threshold":3}]},
  "external_origin":[{"id":"originates_outside_eu","name":"o"}],
  "rsit":{"classes":{"availability":["ddos"]}}})";

constexpr std::string_view kRegister = R"({"listings":[
  {"name":"Dmitry Sergeyevich BADIN","type":"person","date_listed":"2020-10-22"},
  {"name":"Vitaly (Vitaliy) SHEVCHENKO","type":"person","date_listed":"2025-01-27"},
  {"name":"Chosun Expo","type":"entity","date_listed":"2020-07-30"}]})";

const PopulationTable& Table() {
  static const PopulationTable* t = [] {
    auto r = ParsePopulationTable(kPopulation);
    if (!r.ok()) __builtin_trap();
    return new PopulationTable(std::move(*r));
  }();
  return *t;
}

const SeverityModel& Model() {
  static const SeverityModel* m = [] {
    auto r = SeverityModel::Parse(kModel);
    if (!r.ok()) __builtin_trap();
    return new SeverityModel(std::move(*r));
  }();
  return *m;
}

const Register& Reg() {
  static const Register* r = [] {
    auto x = Register::Parse(kRegister);
    if (!x.ok()) __builtin_trap();
    return new Register(std::move(*x));
  }();
  return *r;
}

const Proposal& AProposal() {
  static const Proposal* p = [] {
    Proposal x;
    x.proposer = "DE";
    x.measure = "asset-freeze";
    x.grounds = "fuzz";
    x.deadline = "2099-01-01T00:00:00Z";
    auto r = NewProposal(x, Timestamp{0});
    if (!r.ok()) __builtin_trap();
    return new Proposal(std::move(*r));
  }();
  return *p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  static const TrustList empty_trust;
  switch (data[0] % 12) {
    case 0: {
      auto v = ParseVotes(in, Table());
      if (v.ok()) {
        for (Rule r : {Rule::kUnanimity, Rule::kQmv, Rule::kRqmv}) {
          Outcome o = Decide(r, *v, Table());
          if (o.yes + o.no + o.abstain + o.constructive + o.absent != o.members) __builtin_trap();
          (void)o.ToJson().Serialize();
        }
      }
      break;
    }
    case 1:
      (void)ParsePopulationTable(in);
      break;
    case 2: {
      auto p = ParseProposalText(in);
      if (p.ok()) (void)p->ToStix().Serialize();
      break;
    }
    case 3: {
      BallotBox box(AProposal(), &empty_trust);
      (void)box.Cast(in, Timestamp{0});
      break;
    }
    case 4:
      (void)TallySignedVotes(AProposal(), empty_trust, Table(), in);
      break;
    case 5: {
      auto c = Catalogue::Parse(in);
      if (c.ok()) {
        auto f = ParseIncident(R"({"nciss":{"functional_impact":"all"}})");
        if (f.ok()) {
          auto a = Model().Assess(*f);
          if (a.ok()) (void)OptionsToJson(Options(*c, *a), *a).Serialize();
        }
      }
      break;
    }
    case 6:
      (void)SeverityModel::Parse(in);
      break;
    case 7: {
      auto f = ParseIncident(in);
      if (f.ok()) {
        auto a = Model().Assess(*f);
        if (a.ok()) (void)a->ToJson().Serialize();
      }
      break;
    }
    case 8:
      (void)TrustList::Parse(in);
      break;
    case 9:
      (void)VerifyJointStatement(in, empty_trust);
      break;
    case 10: {
      auto r = Register::Parse(in);
      if (r.ok()) {
        (void)r->ExportFsf("2026-01-01T00:00:00Z");
        (void)r->ExportStix(Timestamp{0}).Serialize();
        Screener s(*r);
        (void)s.Screen("Dmitry Badin");
      }
      break;
    }
    default: {
      static const Screener* s = new Screener(Reg());
      (void)NormalizeName(in);
      auto m = s->Screen(in, 5, 0.0);
      for (const auto& x : m) {
        if (x.score < 0 || x.score > 1.0000001) __builtin_trap();
      }
      break;
    }
  }
  return 0;
}
