#include "serve_routes.h"

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>

#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/crypto/keys.h"
#include "entente/detect/indicator_index.h"
#include "entente/detect/public_suffix.h"
#include "entente/detect/scanner.h"
#include "entente/detect/stored.h"
#include "entente/ledger/ledger.h"
#include "entente/ledger/sth.h"
#include "entente/respond/common.h"
#include "entente/respond/decision.h"
#include "entente/respond/sanctions.h"
#include "node_home.h"

namespace entente::cli {

struct NodeExtras::State {
  std::string home;
  // Bumped by every accepted write; cached derived structures rebuild when it moves.
  std::atomic<std::uint64_t> generation{1};
  std::mutex index_mu;
  std::shared_ptr<const detect::Index> index;
  std::uint64_t index_generation = 0;
  std::mutex correlator_mu;
  std::unique_ptr<detect::Correlator> correlator;
  std::uint64_t correlator_generation = 0;
  detect::PublicSuffixList psl;
  std::unique_ptr<ledger::Ledger> ledger;              // HOME/ledger.log: every share and delete
  std::string ledger_note;                             // why heads are unsigned, if they are
  std::optional<respond::PopulationTable> population;  // Council voting weights
  std::unique_ptr<respond::Register> sanctions;        // the sanctions register
  std::unique_ptr<respond::Screener> screener;
};

void NodeExtras::Close() {
  if (state) state->ledger.reset();
}

namespace {

// The node's signing key for tree heads: HOME/keys/node.key, unlocked with
// $ENTENTE_PASSPHRASE or the file named by $ENTENTE_PASSPHRASE_FILE. Without them heads are
// served unsigned (and say so).
Result<std::shared_ptr<const crypto::hybrid::SigPrivateKey>> NodeSigningKey(
    const std::string& home) {
  ENTENTE_ASSIGN_OR_RETURN(crypto::keys::Identity id, NodeKey(home));
  ENTENTE_ASSIGN_OR_RETURN(auto key, id.SigKey());
  return std::shared_ptr<const crypto::hybrid::SigPrivateKey>(std::move(key));
}

// Proposals and votes are logged under their own kinds, so that the log reads as a record of
// who proposed and voted what, not only of what was shared.
std::string LedgerKind(std::string_view kind, std::string_view subject) {
  if (kind == "share" && subject.starts_with("x-entente-vote--")) return "vote";
  if (kind == "share" && subject.starts_with("x-entente-proposal--")) return "proposal";
  return std::string(kind);
}

// Objects can be stored without their leaf: ingested by the `entente` command while the server
// was stopped, or committed just before a crash (never acknowledged). On start, every version
// added since shortly before the last leaf is checked and the missing ones are logged as
// shares by the node.
Result<std::size_t> ReconcileLedger(ledger::Ledger& log, store::Store& store,
                                    const std::string& node) {
  std::int64_t since_us = 0;
  std::set<std::string> logged;  // "id|version" of the leaves in the window
  std::uint64_t size = log.size();
  if (size > 0) {
    ENTENTE_ASSIGN_OR_RETURN(ledger::Entry last, log.EntryAt(size - 1));
    ENTENTE_ASSIGN_OR_RETURN(Timestamp t, ParseTimestamp(last.time, "ledger time"));
    since_us = t.nanos / 1000 - 5'000'000;  // clock steps and batch spread
    for (std::uint64_t i = size; i-- > 0;) {
      ENTENTE_ASSIGN_OR_RETURN(ledger::Entry e, log.EntryAt(i));
      ENTENTE_ASSIGN_OR_RETURN(Timestamp et, ParseTimestamp(e.time, "ledger time"));
      if (et.nanos / 1000 < since_us - 5'000'000) break;
      logged.insert(e.subject + "|" + e.subject_version);
    }
  }
  store::Query q;
  q.added_after_us = since_us;
  q.versions = store::Versions::kAll;
  q.limit = 10000;
  std::vector<ledger::Entry> missing;
  std::string now = FormatTimestamp(Now(), 3);
  for (;;) {
    ENTENTE_ASSIGN_OR_RETURN(store::Page page, store.Find(q));
    for (const auto& o : page.objects) {
      if (o.type == "sighting" || o.type == "observed-data") continue;  // scanner output
      if (logged.count(o.id + "|" + o.version)) continue;
      missing.push_back(
          {LedgerKind("share", o.id), now, node.empty() ? "node" : node, o.id, o.version, ""});
    }
    if (!page.more) break;
    q.cursor = page.next;
  }
  if (!missing.empty()) ENTENTE_RETURN_IF_ERROR(log.AppendBatch(missing).status());
  return missing.size();
}

}  // namespace

Result<NodeExtras> AttachNodeExtras(const std::string& home, store::Store& store,
                                    server::ServiceOptions& options) {
  NodeExtras extras;
  extras.state = std::make_shared<NodeExtras::State>();
  extras.state->home = home;
  if (auto psl = detect::PublicSuffixList::Load("/usr/share/publicsuffix/public_suffix_list.dat");
      psl.ok()) {
    extras.state->psl = std::move(*psl);
  }
  ledger::LedgerOptions ledger_options;
  if (auto key = NodeSigningKey(home); key.ok()) {
    ledger_options.signing_key = *key;
  } else {
    extras.state->ledger_note = key.status().message();
  }
  ENTENTE_ASSIGN_OR_RETURN(extras.state->ledger,
                           ledger::Ledger::Open(home + "/ledger.log", ledger_options));
  ENTENTE_ASSIGN_OR_RETURN(std::size_t reconciled,
                           ReconcileLedger(*extras.state->ledger, store, NodeIdentity(home)));
  if (reconciled > 0) {
    std::fprintf(
        stderr,
        "{\"level\":\"info\",\"msg\":\"transparency log caught up with the store (objects "
        "ingested while the server was stopped, or interrupted by a crash)\",\"count\":%zu}\n",
        reconciled);
  }
  auto previous = options.on_events;
  std::weak_ptr<NodeExtras::State> weak = extras.state;
  options.on_events = [weak, previous](const std::vector<server::Event>& events) {
    if (auto s = weak.lock()) {
      ++s->generation;
      std::vector<ledger::Entry> entries;
      entries.reserve(events.size());
      std::string now = FormatTimestamp(Now(), 3);
      for (const auto& e : events) {
        entries.push_back(
            {LedgerKind(e.kind, e.subject), now, e.actor, e.subject, e.version, e.payload_hash});
      }
      if (auto appended = s->ledger->AppendBatch(entries); !appended.ok()) {
        // The objects are stored; a log that cannot follow is an operator emergency.
        std::fprintf(stderr, "{\"level\":\"error\",\"msg\":\"ledger append failed\",\"why\":");
        std::string why;
        json::AppendQuoted(why, appended.status().message());
        std::fprintf(stderr, "%s}\n", why.c_str());
      }
    }
    if (previous) previous(events);
  };
  return extras;
}

namespace {

Result<std::shared_ptr<const detect::Index>> CurrentIndex(NodeExtras::State& s,
                                                          store::Store& store) {
  std::lock_guard lock(s.index_mu);
  std::uint64_t g = s.generation;
  if (!s.index || s.index_generation != g) {
    detect::IndexBuilder builder;
    detect::StoredIndicatorStats stats;
    ENTENTE_RETURN_IF_ERROR(detect::AddStoredIndicators(store, builder, &stats));
    ENTENTE_ASSIGN_OR_RETURN(s.index, builder.Build(s.psl.empty() ? nullptr : &s.psl, nullptr));
    s.index_generation = g;
  }
  return s.index;
}

detect::InputFormat FormatOf(std::string_view name, bool* ok) {
  *ok = true;
  if (name.empty() || name == "auto") return detect::InputFormat::kAuto;
  if (name == "text") return detect::InputFormat::kText;
  if (name == "jsonl") return detect::InputFormat::kJsonLines;
  if (name == "zeek-tsv") return detect::InputFormat::kZeekTsv;
  if (name == "zeek-json") return detect::InputFormat::kZeekJson;
  if (name == "csv") return detect::InputFormat::kCsv;
  *ok = false;
  return detect::InputFormat::kAuto;
}

std::string Param(const server::RestRequest& r, std::string_view key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

Result<std::uint64_t> UintParam(const server::RestRequest& r, std::string_view key,
                                std::optional<std::uint64_t> fallback = std::nullopt) {
  std::string text = Param(r, key);
  if (text.empty()) {
    if (fallback) return *fallback;
    return Status::InvalidArgument(std::string(key) + "= is required");
  }
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(key) + " must be a non-negative integer");
  }
  return v;
}

// The response toolbox over the API: the Council decision rules and the sanctions register.
void AddRespondRoutes(std::shared_ptr<NodeExtras::State> state, server::NodeService& service) {
  using server::http::verb;
  if (auto table = respond::LoadPopulationTable(respond::FindDataFile("population-2025.json"));
      table.ok()) {
    state->population = std::move(*table);
  }
  if (auto reg = respond::Register::Load(respond::FindDataFile("eu-cyber-listings.json"));
      reg.ok()) {
    state->sanctions = std::make_unique<respond::Register>(std::move(*reg));
    state->screener = std::make_unique<respond::Screener>(*state->sanctions);
  }
  // POST /api/v1/decide?rule=unanimity|qmv|rqmv, body {"FR":"yes",...}: the outcome and the
  // counts and population shares behind it (what `entente decide` prints).
  service.AddRoute(
      verb::post, "/decide", server::Operation::kRead, [state](const server::RestRequest& r) {
        const unsigned v = r.http.version();
        if (!state->population) {
          return server::RestError(Status::Unavailable("no population table"), v);
        }
        auto rule = respond::ParseRule(Param(r, "rule"));
        if (!rule.ok()) return server::RestError(rule.status(), v);
        auto votes = respond::ParseVotes(r.http.body(), *state->population);
        if (!votes.ok()) return server::RestError(votes.status(), v);
        auto outcome = respond::Decide(*rule, *votes, *state->population);
        return server::RestJson(server::http::status::ok, outcome.ToJson().Serialize(), v);
      });
  // GET /api/v1/sanctions/screen?name=...: likely listed parties, best first, with a score.
  service.AddRoute(verb::get, "/sanctions/screen", server::Operation::kSearch,
                   [state](const server::RestRequest& r) {
                     const unsigned v = r.http.version();
                     if (!state->screener) {
                       return server::RestError(Status::Unavailable("no sanctions register"), v);
                     }
                     std::string name = Param(r, "name");
                     if (name.empty()) {
                       return server::RestError(Status::InvalidArgument("screen needs name="), v);
                     }
                     json::Value out = json::Value::MakeArray();
                     for (const auto& m : state->screener->Screen(name)) {
                       const auto& l = state->sanctions->listings()[m.listing];
                       json::Value hit = json::Value::MakeObject();
                       hit.set("name", l.name);
                       hit.set("matched_name", m.matched_name);
                       hit.set("score", m.score);
                       out.push_back(std::move(hit));
                     }
                     return server::RestJson(server::http::status::ok, out.Serialize(), v);
                   });
  // GET /api/v1/sanctions: the register as STIX (identities with their listing details).
  service.AddRoute(verb::get, "/sanctions", server::Operation::kRead,
                   [state](const server::RestRequest& r) {
                     const unsigned v = r.http.version();
                     if (!state->sanctions) {
                       return server::RestError(Status::Unavailable("no sanctions register"), v);
                     }
                     return server::RestJson(server::http::status::ok,
                                             state->sanctions->ExportStix(Now()).Serialize(), v);
                   });
}

void AddLedgerRoutes(std::shared_ptr<NodeExtras::State> state, server::NodeService& service) {
  using server::http::verb;
  // GET /api/v1/ledger/head: the current tree head, signed with the node key when it has one.
  service.AddRoute(verb::get, "/ledger/head", server::Operation::kReadLog,
                   [state](const server::RestRequest& r) {
                     const unsigned v = r.http.version();
                     auto signed_head = state->ledger->SignedHead();
                     if (signed_head.ok()) {
                       return server::RestJson(server::http::status::ok,
                                               ledger::ToJson(*signed_head), v);
                     }
                     ledger::TreeHead head = state->ledger->Head();
                     json::Value out = json::Value::MakeObject();
                     out.set("tree_size", head.tree_size);
                     out.set("root_hash", ledger::HashToHex(head.root_hash));
                     out.set("timestamp", head.timestamp);
                     out.set("signed", false);
                     out.set("note", state->ledger_note);
                     return server::RestJson(server::http::status::ok, out.Serialize(), v);
                   });
  // GET /api/v1/ledger/entries?start=0&count=100: leaves (canonical entry text) in order.
  service.AddRoute(verb::get, "/ledger/entries", server::Operation::kReadLog,
                   [state](const server::RestRequest& r) {
                     const unsigned v = r.http.version();
                     auto start = UintParam(r, "start", 0);
                     auto count = UintParam(r, "count", 100);
                     if (!start.ok()) return server::RestError(start.status(), v);
                     if (!count.ok() || *count == 0 || *count > 1000) {
                       return server::RestError(Status::InvalidArgument("count must be 1..1000"),
                                                v);
                     }
                     std::uint64_t size = state->ledger->size();
                     std::string body = "{\"tree_size\":" + std::to_string(size) + ",\"entries\":[";
                     for (std::uint64_t i = *start; i < size && i < *start + *count; ++i) {
                       auto leaf = state->ledger->LeafAt(i);
                       if (!leaf.ok()) return server::RestError(leaf.status(), v);
                       if (i != *start) body += ',';
                       body += "{\"index\":" + std::to_string(i) + ",\"leaf\":";
                       json::AppendQuoted(body, *leaf);
                       body += '}';
                     }
                     body += "]}";
                     return server::RestJson(server::http::status::ok, std::move(body), v);
                   });
  // GET /api/v1/ledger/proof?index=N&size=M: an RFC 9162 inclusion proof (size: current).
  service.AddRoute(verb::get, "/ledger/proof", server::Operation::kReadLog,
                   [state](const server::RestRequest& r) {
                     const unsigned v = r.http.version();
                     auto index = UintParam(r, "index");
                     auto size = UintParam(r, "size", state->ledger->size());
                     if (!index.ok()) return server::RestError(index.status(), v);
                     if (!size.ok()) return server::RestError(size.status(), v);
                     auto proof = state->ledger->InclusionProofFor(*index, *size);
                     if (!proof.ok()) return server::RestError(proof.status(), v);
                     return server::RestJson(server::http::status::ok, ledger::ToJson(*proof), v);
                   });
  // GET /api/v1/ledger/consistency?first=M&second=N: an RFC 9162 consistency proof.
  service.AddRoute(verb::get, "/ledger/consistency", server::Operation::kReadLog,
                   [state](const server::RestRequest& r) {
                     const unsigned v = r.http.version();
                     auto first = UintParam(r, "first");
                     auto second = UintParam(r, "second", state->ledger->size());
                     if (!first.ok()) return server::RestError(first.status(), v);
                     if (!second.ok()) return server::RestError(second.status(), v);
                     auto proof = state->ledger->ConsistencyProofFor(*first, *second);
                     if (!proof.ok()) return server::RestError(proof.status(), v);
                     return server::RestJson(server::http::status::ok, ledger::ToJson(*proof), v);
                   });
}

}  // namespace

Status AddNodeRoutes(const std::string& home, store::Store& store, NodeExtras& extras,
                     server::NodeService& service) {
  auto state = extras.state;
  std::string where = NodeIdentity(home);
  AddLedgerRoutes(state, service);
  AddRespondRoutes(state, service);
  ENTENTE_RETURN_IF_ERROR(AddProposalRoutes(home, store, service));

  // POST /api/v1/scan?format=auto&record=true: scan the body (log lines) against every stored
  // indicator; hits name only indicators the caller may read; with record, sightings are stored.
  service.AddRoute(server::http::verb::post, "/scan", server::Operation::kWriteIntel,
                   [state, &store, &service, where](const server::RestRequest& r) {
                     const unsigned v = r.http.version();
                     bool format_ok = false;
                     auto format = FormatOf(Param(r, "format"), &format_ok);
                     if (!format_ok)
                       return server::RestError(Status::InvalidArgument("unknown format"), v);
                     bool record = Param(r, "record") != "false";
                     auto index = CurrentIndex(*state, store);
                     if (!index.ok()) return server::RestError(index.status(), v);
                     detect::IndexHandle handle(*index);
                     detect::ScanOptions options;
                     options.format = format;
                     detect::SightingRecorder sightings(where);
                     json::Value hits = json::Value::MakeArray();
                     std::size_t withheld = 0;
                     detect::Scanner scanner(
                         handle, nullptr, options,
                         [&](const detect::Hit& h) {
                           json::Value refs = json::Value::MakeArray();
                           for (const auto* m : h.indicators) {
                             if (service.Readable(r.caller, m->ref)) refs.push_back(m->ref);
                           }
                           if (refs.size() == 0) {
                             ++withheld;
                             return;
                           }
                           if (record) sightings.Add(h);
                           if (hits.size() >= 10000) return;
                           json::Value hit = json::Value::MakeObject();
                           hit.set("value", h.value);
                           hit.set("type", detect::ObservableTypeName(h.type));
                           hit.set("match", detect::MatchKindName(h.kind));
                           hit.set("matched", h.matched);
                           hit.set("indicators", std::move(refs));
                           hit.set("line", static_cast<std::uint64_t>(h.line));
                           if (!h.ts.empty()) hit.set("ts", h.ts);
                           hits.push_back(std::move(hit));
                         },
                         [](const std::string&) {});
                     Status s = scanner.ScanBuffer(r.http.body(), "request");
                     scanner.Finish();
                     if (!s.ok()) return server::RestError(s, v);
                     std::size_t written = 0;
                     if (record) {
                       auto w = sightings.Write(store);
                       if (!w.ok()) return server::RestError(w.status(), v);
                       written = *w;
                       if (written > 0) ++state->generation;
                     }
                     const auto& sum = scanner.summary();
                     json::Value out = json::Value::MakeObject();
                     out.set("records", static_cast<std::uint64_t>(sum.records));
                     out.set("bytes", static_cast<std::uint64_t>(sum.bytes));
                     out.set("hits", std::move(hits));
                     out.set("sightings_written", static_cast<std::uint64_t>(written));
                     return server::RestJson(server::http::status::ok, out.Serialize(), v);
                   });

  // GET /api/v1/correlate?value=X: every readable object naming the value, its containers and
  // the members that shared them.
  service.AddRoute(
      server::http::verb::get, "/correlate", server::Operation::kSearch,
      [state, &store, &service](const server::RestRequest& r) {
        const unsigned v = r.http.version();
        std::string value = Param(r, "value");
        if (value.empty())
          return server::RestError(Status::InvalidArgument("correlate needs value="), v);
        std::lock_guard lock(state->correlator_mu);
        if (!state->correlator || state->correlator_generation != state->generation) {
          auto built = detect::Correlator::Build(store);
          if (!built.ok()) return server::RestError(built.status(), v);
          state->correlator = std::make_unique<detect::Correlator>(std::move(*built));
          state->correlator_generation = state->generation;
        }
        auto c = state->correlator->Lookup(value);
        if (!c.ok()) return server::RestError(c.status(), v);
        auto visible = [&](const std::vector<std::string>& ids) {
          json::Value out = json::Value::MakeArray();
          for (const auto& id : ids) {
            if (service.Readable(r.caller, id)) out.push_back(id);
          }
          return out;
        };
        json::Value out = json::Value::MakeObject();
        out.set("value", c->value);
        out.set("type", c->type);
        json::Value objects = visible(c->objects);
        if (objects.size() == 0) {
          return server::RestError(Status::NotFound("nothing you may read names " + value), v);
        }
        out.set("objects", std::move(objects));
        out.set("containers", visible(c->containers));
        // Which members shared the value is itself intelligence: only from readable objects.
        json::Value creators = json::Value::MakeArray();
        for (const auto& o : out.find("objects")->array()) {
          auto stored = store.Get(o.str());
          if (!stored.ok()) continue;
          auto parsed = json::Value::Parse(stored->json);
          if (!parsed.ok()) continue;
          if (const auto* by = parsed->find("created_by_ref"); by && by->is_string()) {
            bool seen = false;
            for (const auto& x : creators.array()) seen = seen || x.str() == by->str();
            if (!seen) creators.push_back(by->str());
          }
        }
        out.set("creators", std::move(creators));
        out.set("capped", c->capped);
        return server::RestJson(server::http::status::ok, out.Serialize(), v);
      });
  return Status::Ok();
}

}  // namespace entente::cli
