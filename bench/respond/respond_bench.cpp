// Rates of the respond module: name screening against a 10 000-listing register (target
// >= 10 000 screenings/s), signed-vote verification, and tallies (plain and from signed votes).
//   build/bench/respond/respond_bench
//
// The register: the 21 real EU cyber listings (data/respond/eu-cyber-listings.json), each
// perturbed 240 times (a typo in one or two words, dropped or swapped words, romanisation
// variants), plus 4 960 synthetic names built from syllables, 10 000 listings in all. There is
// no public 10 000-name cyber register; this set is synthetic and says so. Queries mix listed
// names with typos, Cyrillic spellings, reordered names and unrelated names.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "entente/crypto/keys.h"
#include "entente/respond/ballot.h"
#include "entente/respond/decision.h"
#include "entente/respond/sanctions.h"

namespace entente::respond {
namespace {

const Register& Real() {
  static const Register* r = [] {
    auto x = Register::Load(std::string(ENTENTE_DATA_DIR) + "/respond/eu-cyber-listings.json");
    if (!x.ok()) std::abort();
    return new Register(std::move(*x));
  }();
  return *r;
}

std::string Typo(std::string w, std::mt19937& rng) {
  if (w.size() < 3) return w;
  std::uniform_int_distribution<std::size_t> pos(1, w.size() - 2);
  std::size_t p = pos(rng);
  switch (rng() % 4) {
    case 0:
      w[p] = static_cast<char>('a' + rng() % 26);
      break;
    case 1:
      w.erase(p, 1);
      break;
    case 2:
      w.insert(p, 1, static_cast<char>('a' + rng() % 26));
      break;
    default:
      std::swap(w[p], w[p + 1]);
  }
  return w;
}

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string Join(const std::vector<std::string>& w) {
  std::string out;
  for (const auto& x : w) out += (out.empty() ? "" : " ") + x;
  return out;
}

std::string Syllables(std::mt19937& rng, int n) {
  static const char* kSyl[] = {"ka",  "lo",  "mi",  "ser", "gei",  "dan", "ov",   "ich",
                               "ra",  "to",  "vin", "sko", "chen", "ko",  "li",   "ma",
                               "rov", "nin", "pe",  "tya", "bo",   "gar", "shev", "in",
                               "al",  "ex",  "yu",  "ri",  "dim",  "zor"};
  std::string s;
  for (int i = 0; i < n; ++i) s += kSyl[rng() % std::size(kSyl)];
  s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

const Register& Synthetic() {
  static const Register* reg = [] {
    auto* r = new Register();
    std::mt19937 rng(20261123);
    const auto& real = Real().listings();
    for (int copy = 0; copy < 240; ++copy) {
      for (const auto& l : real) {
        Listing x = l;
        auto words = SplitWords(l.name);
        if (words.size() > 2 && rng() % 3 == 0) words.erase(words.begin() + 1);  // drop one
        if (rng() % 2) std::swap(words.front(), words.back());
        words[rng() % words.size()] = Typo(words[rng() % words.size()], rng);
        if (rng() % 2) words[rng() % words.size()] = Typo(words[rng() % words.size()], rng);
        x.name = Join(words);
        x.aliases.clear();
        x.id = "SYN-" + std::to_string(r->listings().size());
        r->Add(std::move(x));
      }
    }
    while (r->listings().size() < 10000) {
      Listing x;
      x.type = "person";
      x.name = Syllables(rng, 2) + " " + Syllables(rng, 3) + " " + Syllables(rng, 3);
      x.date_listed = "2020-01-01";
      x.id = "SYN-" + std::to_string(r->listings().size());
      r->Add(std::move(x));
    }
    return r;
  }();
  return *reg;
}

const std::vector<std::string>& Queries() {
  static const std::vector<std::string> q = {
      "Dmitry Badin",       "Дмитрий Бадин",  "badin dmitri sergeevich",
      "Evgeny Serebryakov", "Олег Сотников",  "Maxim Galochkin",
      "Mikhail Tsarev",     "Chosun Expo",    "Ruslan Peretyatko",
      "Andrei Korinets",    "John Smith",     "Maria Garcia Lopez",
      "Kalomi Serdanov",    "Игорь Костюков", "Huaying Haitai",
      "Nikolai Korchagin",  "Yuri Denisov",   "Vitaliy Shevchenko",
      "Zhang Shilong",      "Pierre Dupont"};
  return q;
}

void BM_ScreenSynthetic10k(benchmark::State& state) {
  static Screener* screener = new Screener(Synthetic());
  std::size_t i = 0, hits = 0;
  for (auto _ : state) {
    auto m = screener->Screen(Queries()[i++ % Queries().size()], 10, 0.6);
    hits += m.size();
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["listings"] = static_cast<double>(Synthetic().listings().size());
  state.counters["hits_per_query"] =
      static_cast<double>(hits) / static_cast<double>(std::max<std::size_t>(1, i));
}
BENCHMARK(BM_ScreenSynthetic10k);

void BM_ScreenReal21(benchmark::State& state) {
  static Screener* screener = new Screener(Real());
  std::size_t i = 0;
  for (auto _ : state) {
    auto m = screener->Screen(Queries()[i++ % Queries().size()], 10, 0.6);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ScreenReal21);

void BM_BuildScreener10k(benchmark::State& state) {
  for (auto _ : state) {
    Screener s(Synthetic());
    benchmark::DoNotOptimize(&s);
  }
}
BENCHMARK(BM_BuildScreener10k)->Unit(benchmark::kMillisecond);

const PopulationTable& Table() {
  static const PopulationTable* t = [] {
    auto x = LoadPopulationTable(std::string(ENTENTE_DATA_DIR) + "/respond/population-2025.json");
    if (!x.ok()) std::abort();
    return new PopulationTable(std::move(*x));
  }();
  return *t;
}

void BM_DecideQmv(benchmark::State& state) {
  std::mt19937 rng(1);
  std::vector<Votes> sets(64);
  for (auto& v : sets) {
    for (const auto& m : Table().members) {
      if (rng() % 10) v[m.iso2] = static_cast<Choice>(rng() % 4);
    }
  }
  std::size_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(Decide(Rule::kQmv, sets[i++ % sets.size()], Table()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DecideQmv);

struct Fixture {
  TrustList trust;
  Proposal proposal;
  std::vector<std::string> votes;  // one signed vote per member state
  std::string all;                 // JSON array of them
};

const Fixture& Votes27() {
  static const Fixture* f = [] {
    auto* fx = new Fixture();
    Proposal p;
    p.proposer = "DE";
    p.measure = "asset-freeze";
    p.grounds = "bench";
    p.deadline = "2099-01-01T00:00:00Z";
    fx->proposal = *NewProposal(p, *ParseTimestamp("2026-11-23T00:00:00Z"));
    fx->all = "[";
    for (const auto& m : Table().members) {
      auto id = crypto::keys::Generate(crypto::keys::Profile::kLevel3, "node", m.iso2);
      auto key = id->SigKey();
      fx->trust.Add(m.iso2, id->pub);
      auto v = MakeSignedVote(fx->proposal, m.iso2, Choice::kYes, "", 1,
                              *ParseTimestamp("2026-11-24T00:00:00Z"), **key);
      fx->votes.push_back(v->Serialize());
      fx->all += (fx->all.size() > 1 ? "," : "") + fx->votes.back();
    }
    fx->all += "]";
    return fx;
  }();
  return *f;
}

void BM_VerifyVote(benchmark::State& state) {
  const Fixture& f = Votes27();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& v = f.votes[i % f.votes.size()];
    json::Document doc;
    if (!doc.Parse(v).ok()) std::abort();
    const auto* key = f.trust.Find(doc.root()["state"].str());
    if (!VerifyObject(doc.root(), kVoteDomain, *key).ok()) std::abort();
    ++i;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_VerifyVote);

void BM_TallySigned27(benchmark::State& state) {
  const Fixture& f = Votes27();
  for (auto _ : state) {
    auto r = TallySignedVotes(f.proposal, f.trust, Table(), f.all);
    if (!r.ok() || r->accepted != 27 || !r->outcome.adopted) std::abort();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_TallySigned27)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace entente::respond

BENCHMARK_MAIN();
