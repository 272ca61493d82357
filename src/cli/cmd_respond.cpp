// `entente respond ...` and `entente decide`: proportionate measures for an incident, signed
// proposals and votes, Council decision rules and signed joint statements (docs/RESPOND.md).
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "entente/base/bytes.h"
#include "entente/crypto/keys.h"
#include "entente/respond/ballot.h"
#include "entente/respond/board.h"
#include "entente/respond/decision.h"
#include "entente/respond/measures.h"
#include "entente/respond/severity.h"
#include "entente/respond/statement.h"
#include "entente/stix/validate.h"
#include "entente/store/store.h"
#include "node_home.h"

namespace entente::cli {
namespace {

using namespace entente::respond;

constexpr std::size_t kMaxInput = 64u << 20;

std::string DataOr(const std::string& given, const char* name) {
  return given.empty() ? FindDataFile(name, ExeDir()) : given;
}

Result<SecretBytes> Passphrase(const std::string& file) {
  if (!file.empty()) {
    ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(file, 4096));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    SecretBytes s(AsBytes(text));
    SecureWipe(text.data(), text.size());
    return s;
  }
  if (const char* env = std::getenv("ENTENTE_PASSPHRASE")) return SecretBytes(AsBytes(env));
  return Status::InvalidArgument(
      "a passphrase is needed: --passphrase-file FILE or $ENTENTE_PASSPHRASE");
}

Result<std::unique_ptr<crypto::hybrid::SigPrivateKey>> SigningKey(const std::string& key_file,
                                                                  const std::string& pass_file) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(key_file));
  ENTENTE_ASSIGN_OR_RETURN(SecretBytes pass, Passphrase(pass_file));
  auto id = crypto::keys::DecryptKeyFile(text, pass.view());
  if (!id.ok()) return id.status().WithContext(key_file);
  return id->SigKey();
}

void PrintJsonPretty(const json::Value& v) { std::printf("%s\n", v.Pretty().c_str()); }

// INCIDENT: a file (plain assessment or STIX bundle), or an incident id in the node's store.
Result<IncidentFacts> ReadIncident(const std::string& arg, const std::string& incident_id,
                                   const GlobalOptions& global) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(arg, kMaxInput));
    auto f = ParseIncident(text, incident_id);
    if (!f.ok()) return f.status().WithContext(arg);
    return f;
  }
  if (stix::IsIdentifier(arg) && stix::IdentifierType(arg) == "incident") {
    ENTENTE_ASSIGN_OR_RETURN(auto store, OpenNodeStore(global.home, /*read_only=*/true));
    ENTENTE_ASSIGN_OR_RETURN(store::StoredObject obj, store->Get(arg));
    std::string bundle = "{\"type\":\"bundle\",\"objects\":[" + obj.json + "]}";
    return ParseIncident(bundle, arg);
  }
  return Status::NotFound(arg + ": neither a file nor an incident id (incident--<uuid>)");
}

struct RespondOptions {
  std::string incident, incident_id, measures, severity, population;
  std::string measure, grounds, incident_ref, case_ref, confidence = "none", deadline, rule;
  std::vector<std::string> targets;
  std::string state, key, pass_file, proposal, choice, declaration, votes, signed_votes, trust;
  std::string statement;
  std::uint64_t sequence = 1;
};

void PrintOptionsText(const std::vector<MeasureOption>& options, const Assessment& a) {
  std::printf("Incident %s%s%s\n", a.incident_id.c_str(), a.incident_name.empty() ? "" : ": ",
              a.incident_name.c_str());
  std::printf(
      "severity %d (%s), score %d/100; significant effect: %s; external origin: %s; "
      "RSIT: %s; attribution confidence: %s\n\n",
      a.level, a.level_name.c_str(), a.score, a.significant ? "yes" : "no",
      a.external ? "yes" : "no",
      a.rsit_class.empty() ? "-" : (a.rsit_class + "/" + a.rsit_type).c_str(),
      std::string(ConfidenceName(a.confidence)).c_str());
  std::printf("Proportionate now:\n");
  for (const auto& o : options) {
    if (!o.proportionate) continue;
    std::printf("  [%s] %s - %s (%s; %d days, review after %d)\n", o.measure->category.c_str(),
                o.measure->id.c_str(), o.measure->name.c_str(),
                std::string(RuleName(o.measure->decision_rule)).c_str(), o.measure->duration_days,
                o.measure->review_days);
  }
  std::printf("\nNot proportionate yet:\n");
  for (const auto& o : options) {
    if (o.proportionate) continue;
    std::printf("  [%s] %s - %s\n", o.measure->category.c_str(), o.measure->id.c_str(),
                o.measure->name.c_str());
    for (const auto& m : o.missing) std::printf("      missing: %s\n", m.c_str());
  }
}

void SetupOptions(CLI::App& parent, GlobalOptions& global,
                  std::function<void(std::function<Status()>)> run) {
  auto o = std::make_shared<RespondOptions>();
  CLI::App* app = parent.add_subcommand(
      "options", "List the measures proportionate for an incident, and what the others miss");
  app->add_option("INCIDENT", o->incident,
                  "Incident file (assessment JSON or STIX bundle) or an incident id in the store")
      ->required();
  app->add_option("--incident-id", o->incident_id, "Which incident of a bundle");
  app->add_option("--measures", o->measures,
                  "Measures catalogue (default data/respond/measures.json)");
  app->add_option("--severity", o->severity, "Severity model (default data/respond/severity.json)");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(SeverityModel model,
                               SeverityModel::Load(DataOr(o->severity, "severity.json")));
      ENTENTE_ASSIGN_OR_RETURN(Catalogue cat,
                               Catalogue::Load(DataOr(o->measures, "measures.json")));
      ENTENTE_ASSIGN_OR_RETURN(IncidentFacts facts,
                               ReadIncident(o->incident, o->incident_id, global));
      ENTENTE_ASSIGN_OR_RETURN(Assessment a, model.Assess(facts));
      auto options = Options(cat, a);
      if (global.json) {
        PrintJsonPretty(OptionsToJson(options, a, Now()));
      } else {
        PrintOptionsText(options, a);
      }
      return Status::Ok();
    });
  });
}

void SetupPropose(CLI::App& parent, GlobalOptions& global,
                  std::function<void(std::function<Status()>)> run) {
  auto o = std::make_shared<RespondOptions>();
  CLI::App* app = parent.add_subcommand("propose", "Open a signed proposal for a measure");
  app->add_option("--measure", o->measure, "Measure id from the catalogue")->required();
  app->add_option("--target", o->targets, "Target name, or NAME=STIX-ID (repeatable)");
  app->add_option("--grounds", o->grounds, "Why: the activity and its effects")->required();
  app->add_option("--incident-ref", o->incident_ref, "STIX id of the incident");
  app->add_option("--case-ref", o->case_ref, "STIX id of the attribution case");
  app->add_option("--confidence", o->confidence, "Attribution confidence: none|low|moderate|high");
  app->add_option("--deadline", o->deadline, "Voting deadline (RFC 3339)")->required();
  app->add_option("--rule", o->rule, "Decision rule (default: the measure's)");
  app->add_option("--state", o->state, "ISO code of the proposing state")->required();
  app->add_option("--key", o->key, "The state's node key file")->required();
  app->add_option("--passphrase-file", o->pass_file, "Passphrase (else $ENTENTE_PASSPHRASE)");
  app->add_option("--measures", o->measures, "Measures catalogue");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      (void)global;
      ENTENTE_ASSIGN_OR_RETURN(Catalogue cat,
                               Catalogue::Load(DataOr(o->measures, "measures.json")));
      Proposal p;
      p.proposer = o->state;
      p.measure = o->measure;
      std::optional<Rule> rule;
      if (!o->rule.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(rule, ParseRule(o->rule));
      }
      for (const auto& t : o->targets) {
        auto eq = t.rfind('=');
        if (eq != std::string::npos && stix::IsIdentifier(t.substr(eq + 1))) {
          p.targets.push_back({t.substr(0, eq), t.substr(eq + 1)});
        } else {
          p.targets.push_back({t, ""});
        }
      }
      p.grounds = o->grounds;
      p.incident_ref = o->incident_ref;
      p.attribution_case_ref = o->case_ref;
      ENTENTE_ASSIGN_OR_RETURN(p.attribution_confidence,
                               ParseConfidence(o->confidence, "--confidence"));
      p.deadline = o->deadline;
      ENTENTE_ASSIGN_OR_RETURN(Proposal opened, OpenProposal(cat, std::move(p), rule, Now()));
      ENTENTE_ASSIGN_OR_RETURN(auto key, SigningKey(o->key, o->pass_file));
      json::Value v = opened.ToStix();
      ENTENTE_RETURN_IF_ERROR(SignObject(v, kProposalDomain, *key));
      PrintJsonPretty(v);
      return Status::Ok();
    });
  });
}

Result<Proposal> LoadProposal(const std::string& path) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(path, 256u << 10));
  auto p = ParseProposalText(text);
  if (!p.ok()) return p.status().WithContext(path);
  return p;
}

void SetupVote(CLI::App& parent, GlobalOptions& global,
               std::function<void(std::function<Status()>)> run) {
  auto o = std::make_shared<RespondOptions>();
  CLI::App* app = parent.add_subcommand("vote", "Cast a signed vote on a proposal");
  app->add_option("--proposal", o->proposal, "The proposal (JSON)")->required();
  app->add_option("--state", o->state, "ISO code of the voting state")->required();
  app->add_option("--choice", o->choice, "yes|no|abstain|constructive")->required();
  app->add_option("--declaration", o->declaration, "Formal declaration (constructive only)");
  app->add_option("--sequence", o->sequence, "1 for the first vote; higher to change it");
  app->add_option("--key", o->key, "The state's node key file")->required();
  app->add_option("--passphrase-file", o->pass_file, "Passphrase (else $ENTENTE_PASSPHRASE)");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      (void)global;
      ENTENTE_ASSIGN_OR_RETURN(Proposal p, LoadProposal(o->proposal));
      ENTENTE_ASSIGN_OR_RETURN(Choice c, ParseChoice(o->choice, "--choice"));
      ENTENTE_ASSIGN_OR_RETURN(auto key, SigningKey(o->key, o->pass_file));
      ENTENTE_ASSIGN_OR_RETURN(
          json::Value v, MakeSignedVote(p, o->state, c, o->declaration, o->sequence, Now(), *key));
      PrintJsonPretty(v);
      return Status::Ok();
    });
  });
}

// The proposal, its signature checked against the proposer's key in the trust list.
Result<Proposal> LoadSignedProposal(const std::string& path, const TrustList& trust) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(path, 256u << 10));
  auto p = ParseSignedProposal(text, trust);
  if (!p.ok()) return p.status().WithContext(path);
  return p;
}

Result<TallyReport> Tally(const RespondOptions& o, Proposal& p) {
  ENTENTE_ASSIGN_OR_RETURN(TrustList trust, TrustList::Load(o.trust));
  ENTENTE_ASSIGN_OR_RETURN(p, LoadSignedProposal(o.proposal, trust));
  ENTENTE_ASSIGN_OR_RETURN(PopulationTable table,
                           LoadPopulationTable(DataOr(o.population, "population-2025.json")));
  ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(o.signed_votes, kMaxInput));
  return TallySignedVotes(p, trust, table, text);
}

void SetupStatement(CLI::App& parent, GlobalOptions& global,
                    std::function<void(std::function<Status()>)> run) {
  auto o = std::make_shared<RespondOptions>();
  CLI::App* app = parent.add_subcommand(
      "statement", "Issue a signed joint statement from an adopted decision (recomputed here)");
  app->add_option("--proposal", o->proposal, "The proposal (JSON)")->required();
  app->add_option("--signed-votes", o->signed_votes, "The signed votes (JSON array or bundle)")
      ->required();
  app->add_option("--trust", o->trust, "Trust list: {\"DE\": <public key file>, ...}")->required();
  app->add_option("--population", o->population, "Population table (default: 2025)");
  app->add_option("--measures", o->measures, "Measures catalogue");
  app->add_option("--state", o->state, "ISO code of the issuing state")->required();
  app->add_option("--key", o->key, "The issuing node's key file")->required();
  app->add_option("--passphrase-file", o->pass_file, "Passphrase (else $ENTENTE_PASSPHRASE)");
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      (void)global;
      ENTENTE_ASSIGN_OR_RETURN(Proposal p, LoadProposal(o->proposal));
      ENTENTE_ASSIGN_OR_RETURN(TallyReport r, Tally(*o, p));
      if (!r.outcome.adopted) {
        return Status::InvalidArgument("the decision on " + p.id +
                                       " was not adopted: no statement can be issued");
      }
      ENTENTE_ASSIGN_OR_RETURN(Catalogue cat,
                               Catalogue::Load(DataOr(o->measures, "measures.json")));
      const Measure* m = cat.Find(p.measure);
      ENTENTE_ASSIGN_OR_RETURN(auto key, SigningKey(o->key, o->pass_file));
      ENTENTE_ASSIGN_OR_RETURN(
          json::Value s,
          MakeJointStatement(p, r.outcome, m ? m->name : p.measure, o->state, Now(), *key));
      PrintJsonPretty(s);
      return Status::Ok();
    });
  });
}

void SetupVerifyStatement(CLI::App& parent, GlobalOptions& global,
                          std::function<void(std::function<Status()>)> run) {
  auto o = std::make_shared<RespondOptions>();
  CLI::App* app = parent.add_subcommand("verify-statement", "Verify a signed joint statement");
  app->add_option("STATEMENT", o->statement, "The statement (JSON)")->required();
  app->add_option("--trust", o->trust, "Trust list: {\"DE\": <public key file>, ...}")->required();
  app->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(TrustList trust, TrustList::Load(o->trust));
      ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(o->statement, 1u << 20));
      ENTENTE_RETURN_IF_ERROR(VerifyJointStatement(text, trust).WithContext(o->statement));
      if (global.json) {
        std::printf("{\"valid\":true}\n");
      } else {
        std::printf("statement verified\n");
      }
      return Status::Ok();
    });
  });
}

const CommandRegistration kRespond(
    "respond", "Proportionate measures, signed proposals and votes, joint statements",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      app.require_subcommand(1);
      SetupOptions(app, global, run);
      SetupPropose(app, global, run);
      SetupVote(app, global, run);
      SetupStatement(app, global, run);
      SetupVerifyStatement(app, global, run);
    });

void PrintOutcomeText(const Outcome& out) {
  std::printf("%s: %s\n", std::string(RuleName(out.rule)).c_str(),
              out.adopted ? "ADOPTED" : "NOT ADOPTED");
  std::printf(
      "yes %d, no %d, abstain %d, constructive %d, absent %d (of %d members; %d population "
      "figures)\n",
      out.yes, out.no, out.abstain, out.constructive, out.absent, out.members, out.population_year);
  for (const auto& r : out.reasons) std::printf("  %s\n", r.c_str());
}

const CommandRegistration kDecide(
    "decide", "Compute a Council decision from votes (unanimity, QMV, reinforced QMV)",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<RespondOptions>();
      app.add_option("--rule", o->rule, "unanimity|qmv|rqmv (with --signed-votes: the proposal's)");
      app.add_option("--votes", o->votes, "VOTES.json: {\"DE\": \"yes\", ...}");
      app.add_option("--signed-votes", o->signed_votes, "Signed vote objects (array or bundle)");
      app.add_option("--trust", o->trust, "Trust list for --signed-votes");
      app.add_option("--proposal", o->proposal, "The proposal the signed votes are on");
      app.add_option("--population", o->population,
                     "Population table (default data/respond/population-2025.json)");
      app.callback([o, &global, run] {
        run([o, &global]() -> Status {
          if (o->votes.empty() == o->signed_votes.empty()) {
            return Status::InvalidArgument("give exactly one of --votes or --signed-votes");
          }
          if (!o->votes.empty()) {
            if (o->rule.empty()) return Status::InvalidArgument("--rule is required with --votes");
            ENTENTE_ASSIGN_OR_RETURN(Rule rule, ParseRule(o->rule));
            ENTENTE_ASSIGN_OR_RETURN(
                PopulationTable table,
                LoadPopulationTable(DataOr(o->population, "population-2025.json")));
            ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadLimitedFile(o->votes, 64u << 10));
            auto votes = ParseVotes(text, table);
            if (!votes.ok()) return votes.status().WithContext(o->votes);
            Outcome out = Decide(rule, *votes, table);
            if (global.json) {
              PrintJsonPretty(out.ToJson());
            } else {
              PrintOutcomeText(out);
            }
            return Status::Ok();
          }
          if (o->trust.empty() || o->proposal.empty()) {
            return Status::InvalidArgument("--signed-votes needs --trust and --proposal");
          }
          ENTENTE_ASSIGN_OR_RETURN(Proposal p, LoadProposal(o->proposal));
          if (!o->rule.empty() && o->rule != RuleName(p.rule)) {
            return Status::InvalidArgument("--rule " + o->rule + " differs from the proposal's " +
                                           std::string(RuleName(p.rule)));
          }
          ENTENTE_ASSIGN_OR_RETURN(TallyReport r, Tally(*o, p));
          if (global.json) {
            PrintJsonPretty(r.ToJson());
          } else {
            PrintOutcomeText(r.outcome);
            std::printf("%d signed votes accepted, %zu rejected\n", r.accepted, r.rejected.size());
            for (const auto& s : r.rejected) std::printf("  rejected %s\n", s.c_str());
          }
          return Status::Ok();
        });
      });
    });

}  // namespace
}  // namespace entente::cli
