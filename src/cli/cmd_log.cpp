// `entente log ...`: the node's transparency log (docs/LEDGER.md). append (tests and operators),
// show, head (optionally signed with the node key), prove, and the offline checks verify and
// proof-verify, which need only a copy of the log, signed heads and the node's public key.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "command.h"
#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/crypto/keys.h"
#include "entente/ledger/ledger.h"
#include "node_home.h"

namespace entente::cli {
namespace {

namespace fs = std::filesystem;
using ledger::Ledger;

struct LogOptions {
  std::string log, key, pass_file, sth, old_sth, reference, proof, entry_file, out;
  std::string kind, subject, subject_version, payload_hash, actor, time;
  std::uint64_t index = 0, size = 0, from = 0, count = 0, consistency = 0;
  bool sign = false;
};

std::string LogPath(const GlobalOptions& g, const LogOptions& o) {
  return o.log.empty() ? g.home + "/ledger.log" : o.log;
}

Result<std::unique_ptr<Ledger>> OpenLog(const std::string& path, bool read_only) {
  ledger::LedgerOptions options;
  options.read_only = read_only;
  auto l = Ledger::Open(path, options);
  if (!l.ok()) return l.status();
  if ((*l)->recovery().truncated_bytes > 0) {
    std::fprintf(stderr, "warning: removed a torn tail of %llu bytes from %s (%s)\n",
                 static_cast<unsigned long long>((*l)->recovery().truncated_bytes), path.c_str(),
                 (*l)->recovery().reason.c_str());
  }
  return l;
}

Result<std::shared_ptr<const crypto::hybrid::SigPrivateKey>> LoadSigningKey(const GlobalOptions& g,
                                                                            const LogOptions& o) {
  const std::string path = o.key.empty() ? g.home + "/keys/node.key" : o.key;
  ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(path));
  ENTENTE_ASSIGN_OR_RETURN(SecretBytes pass, Passphrase(o.pass_file));
  auto id = crypto::keys::DecryptKeyFile(text, pass.view());
  if (!id.ok()) return id.status().WithContext(path);
  ENTENTE_ASSIGN_OR_RETURN(auto key, id->SigKey());
  return std::shared_ptr<const crypto::hybrid::SigPrivateKey>(std::move(key));
}

Result<ledger::SignedTreeHead> LoadSth(const std::string& path) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text,
                           crypto::keys::ReadSmallFile(path, ledger::kMaxJsonBytes));
  auto sth = ledger::ParseSignedTreeHead(text);
  if (!sth.ok()) return sth.status().WithContext(path);
  return sth;
}

// A verification that fails is a crypto verification failure for the exit code (6), whatever
// layer noticed it.
Status AsVerificationFailure(const Status& s) {
  if (s.ok() || s.code() == ErrorCode::kNotFound || s.code() == ErrorCode::kIoError) return s;
  return Status::CryptoError(std::string(s.message()));
}

Status PrintOrWrite(const std::string& text, const std::string& out) {
  if (out.empty()) {
    std::printf("%s\n", text.c_str());
    return Status::Ok();
  }
  std::FILE* f = std::fopen(out.c_str(), "wb");
  if (f == nullptr) return Status::IoError("cannot write " + out);
  const bool ok =
      std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fputc('\n', f) != EOF;
  if (std::fclose(f) != 0 || !ok) return Status::IoError("cannot write " + out);
  return Status::Ok();
}

void SetupAppend(CLI::App& log, GlobalOptions& g, const std::shared_ptr<LogOptions>& o,
                 const std::function<void(std::function<Status()>)>& run) {
  CLI::App* c = log.add_subcommand("append", "Append one entry (for tests and operators)");
  c->add_option("--kind", o->kind, "share, receipt, vote, decision, statement, membership, key")
      ->required();
  c->add_option("--subject", o->subject, "STIX id or sha256:<hex> the entry is about")->required();
  c->add_option("--subject-version", o->subject_version, "the STIX object's modified time");
  c->add_option("--payload-hash", o->payload_hash, "<alg>:<hex> of the bytes committed to");
  c->add_option("--actor", o->actor, "who (default: the node's STIX identity)");
  c->add_option("--time", o->time, "RFC 3339 time (default: now)");
  c->add_option("--log", o->log, "log file (default: HOME/ledger.log)");
  c->callback([&g, o, run] {
    run([&g, o]() -> Status {
      ledger::Entry e;
      e.kind = o->kind;
      e.subject = o->subject;
      e.subject_version = o->subject_version;
      e.payload_hash = o->payload_hash;
      e.actor = o->actor.empty() ? NodeIdentity(g.home) : o->actor;
      if (e.actor.empty()) {
        return Status::InvalidArgument("--actor is needed: the home has no node identity");
      }
      e.time = o->time.empty() ? FormatTimestamp(Now(), 3) : o->time;
      const std::string path = LogPath(g, *o);
      std::error_code ec;
      const fs::path parent = fs::path(path).parent_path();
      if (!parent.empty()) fs::create_directories(parent, ec);
      ENTENTE_ASSIGN_OR_RETURN(auto l, OpenLog(path, false));
      ENTENTE_ASSIGN_OR_RETURN(std::uint64_t index, l->Append(e));
      const ledger::TreeHead head = l->Head();
      if (g.json) {
        json::Value v = json::Value::MakeObject();
        v.set("index", index);
        v.set("tree_size", head.tree_size);
        v.set("root_hash", ledger::HashToHex(head.root_hash));
        std::printf("%s\n", v.Serialize().c_str());
      } else {
        std::printf("appended entry %llu; tree size %llu, root %s\n",
                    static_cast<unsigned long long>(index),
                    static_cast<unsigned long long>(head.tree_size),
                    ledger::HashToHex(head.root_hash).c_str());
      }
      return Status::Ok();
    });
  });
}

void SetupShow(CLI::App& log, GlobalOptions& g, const std::shared_ptr<LogOptions>& o,
               const std::function<void(std::function<Status()>)>& run) {
  CLI::App* c = log.add_subcommand("show", "Print entries (JSON lines with --json)");
  c->add_option("--log", o->log, "log file (default: HOME/ledger.log)");
  c->add_option("--from", o->from, "first index (default 0)");
  c->add_option("--count", o->count, "how many (default: all)");
  c->callback([&g, o, run] {
    run([&g, o]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto l, OpenLog(LogPath(g, *o), true));
      const std::uint64_t n = l->size();
      const std::uint64_t end = o->count == 0 || o->from + o->count > n ? n : o->from + o->count;
      for (std::uint64_t i = o->from; i < end; ++i) {
        ENTENTE_ASSIGN_OR_RETURN(std::string leaf, l->LeafAt(i));
        ENTENTE_ASSIGN_OR_RETURN(ledger::Entry e, l->EntryAt(i));
        if (g.json) {
          std::printf("{\"index\":%llu,\"leaf_hash\":\"%s\",\"entry\":%s}\n",
                      static_cast<unsigned long long>(i),
                      ledger::HashToHex(ledger::LeafHash(AsBytes(leaf))).c_str(), leaf.c_str());
        } else {
          std::printf("%-6llu %s %-10s %s %s%s%s\n", static_cast<unsigned long long>(i),
                      e.time.c_str(), e.kind.c_str(), e.actor.c_str(), e.subject.c_str(),
                      e.payload_hash.empty() ? "" : " ", e.payload_hash.c_str());
        }
      }
      return Status::Ok();
    });
  });
}

void SetupHead(CLI::App& log, GlobalOptions& g, const std::shared_ptr<LogOptions>& o,
               const std::function<void(std::function<Status()>)>& run) {
  CLI::App* c =
      log.add_subcommand("head", "Print the tree head; --sign signs it with the node key");
  c->add_option("--log", o->log, "log file (default: HOME/ledger.log)");
  c->add_flag("--sign", o->sign, "sign with the node key (prints the signed head JSON)");
  c->add_option("--key", o->key, "private key file (default: HOME/keys/node.key)");
  c->add_option("--passphrase-file", o->pass_file, "key passphrase (or $ENTENTE_PASSPHRASE)");
  c->add_option("--out", o->out, "write the head to this file instead of stdout");
  c->callback([&g, o, run] {
    run([&g, o]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto l, OpenLog(LogPath(g, *o), true));
      if (o->sign) {
        ENTENTE_ASSIGN_OR_RETURN(auto key, LoadSigningKey(g, *o));
        ledger::TreeHead head = l->Head();
        head.log_id = ledger::LogIdFor(key->suite(), key->public_key());
        ENTENTE_ASSIGN_OR_RETURN(auto sth, ledger::SignTreeHead(head, *key));
        return PrintOrWrite(ledger::ToJson(sth), o->out);
      }
      const ledger::TreeHead head = l->Head();
      json::Value v = json::Value::MakeObject();
      v.set("tree_size", head.tree_size);
      v.set("root_hash", ledger::HashToHex(head.root_hash));
      v.set("timestamp", head.timestamp);
      if (g.json || !o->out.empty()) return PrintOrWrite(v.Serialize(), o->out);
      std::printf("tree size %llu\nroot %s\n", static_cast<unsigned long long>(head.tree_size),
                  ledger::HashToHex(head.root_hash).c_str());
      return Status::Ok();
    });
  });
}

void SetupProve(CLI::App& log, GlobalOptions& g, const std::shared_ptr<LogOptions>& o,
                const std::function<void(std::function<Status()>)>& run) {
  CLI::App* c = log.add_subcommand(
      "prove", "Print an inclusion proof (--index N) or a consistency proof (--consistency M)");
  c->add_option("--log", o->log, "log file (default: HOME/ledger.log)");
  auto* index = c->add_option("--index", o->index, "entry index to prove");
  auto* cons = c->add_option("--consistency", o->consistency, "older tree size to prove from");
  index->excludes(cons);
  c->add_option("--size", o->size, "tree size (default: the current size)");
  c->add_option("--out", o->out, "write the proof to this file instead of stdout");
  c->callback([&g, o, run, index, cons] {
    run([&g, o, index, cons]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto l, OpenLog(LogPath(g, *o), true));
      const std::uint64_t size = o->size == 0 ? l->size() : o->size;
      if (index->count() > 0) {
        ENTENTE_ASSIGN_OR_RETURN(auto p, l->InclusionProofFor(o->index, size));
        return PrintOrWrite(ledger::ToJson(p), o->out);
      }
      if (cons->count() > 0) {
        ENTENTE_ASSIGN_OR_RETURN(auto p, l->ConsistencyProofFor(o->consistency, size));
        return PrintOrWrite(ledger::ToJson(p), o->out);
      }
      return Status::InvalidArgument("give --index N or --consistency M");
    });
  });
}

void SetupVerify(CLI::App& log, GlobalOptions& g, const std::shared_ptr<LogOptions>& o,
                 const std::function<void(std::function<Status()>)>& run) {
  CLI::App* c = log.add_subcommand(
      "verify", "Check a whole log copy offline: every entry, the root, signed heads");
  c->add_option("--log", o->log, "the log copy (default: HOME/ledger.log)");
  c->add_option("--sth", o->sth, "signed tree head JSON the copy must match");
  c->add_option("--old-sth", o->old_sth, "an older signed head the copy must extend");
  c->add_option("--key", o->key, "the log's public key file (checks the heads' signatures)");
  c->add_option("--reference", o->reference, "another copy: names the first entry that differs");
  c->callback([&g, o, run] {
    run([&g, o]() -> Status {
      const std::string path = LogPath(g, *o);
      crypto::keys::PublicIdentity pub;
      if (!o->key.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(pub, LoadPublicKey(o->key));
      } else if (!o->sth.empty() || !o->old_sth.empty()) {
        std::fprintf(stderr, "warning: no --key: head signatures are not checked\n");
      }
      auto check = [&](const std::string& sth_path) -> Result<ledger::VerifyReport> {
        std::optional<ledger::SignedTreeHead> sth;
        if (!sth_path.empty()) {
          ENTENTE_ASSIGN_OR_RETURN(sth, LoadSth(sth_path));
        }
        auto r =
            ledger::VerifyLogFile(path, sth ? &*sth : nullptr, pub.sig_suite, pub.sig_public_key);
        if (!r.ok()) return AsVerificationFailure(r.status());
        return r;
      };
      ENTENTE_ASSIGN_OR_RETURN(ledger::VerifyReport report, check(o->sth));
      if (!o->old_sth.empty()) ENTENTE_RETURN_IF_ERROR(check(o->old_sth).status());
      if (!o->reference.empty()) {
        auto copy = OpenLog(path, true);
        if (!copy.ok()) return AsVerificationFailure(copy.status());
        ENTENTE_ASSIGN_OR_RETURN(auto ref, OpenLog(o->reference, true));
        if (auto diff = (*copy)->FirstDifference(*ref)) {
          return Status::CryptoError(path + ": entry " + std::to_string(*diff) + " differs from " +
                                     o->reference);
        }
      }
      if (g.json) {
        json::Value v = json::Value::MakeObject();
        v.set("ok", true);
        v.set("tree_size", report.size);
        v.set("root_hash", ledger::HashToHex(report.root));
        v.set("signatures_checked", !o->key.empty());
        std::printf("%s\n", v.Serialize().c_str());
      } else {
        std::printf("ok: %llu entries, root %s%s\n", static_cast<unsigned long long>(report.size),
                    ledger::HashToHex(report.root).c_str(),
                    o->sth.empty() ? ""
                                   : (o->key.empty() ? "; matches the head (signature not checked)"
                                                     : "; matches the signed head"));
      }
      return Status::Ok();
    });
  });
}

void SetupProofVerify(CLI::App& log, GlobalOptions& g, const std::shared_ptr<LogOptions>& o,
                      const std::function<void(std::function<Status()>)>& run) {
  CLI::App* c = log.add_subcommand(
      "proof-verify", "Check an inclusion or consistency proof against signed heads, offline");
  c->add_option("--proof", o->proof, "proof JSON (from `entente log prove`)")->required();
  c->add_option("--sth", o->sth, "signed head of the proof's tree size")->required();
  c->add_option("--old-sth", o->old_sth, "consistency: the signed head of the older size");
  c->add_option("--key", o->key, "the log's public key file (checks the heads' signatures)");
  c->add_option("--entry", o->entry_file, "inclusion: file holding the entry's leaf bytes");
  c->add_option("--log", o->log, "inclusion: a log copy to take the entry from");
  c->callback([&g, o, run] {
    run([&g, o]() -> Status {
      (void)g;
      ENTENTE_ASSIGN_OR_RETURN(auto sth, LoadSth(o->sth));
      std::optional<ledger::SignedTreeHead> old;
      if (!o->old_sth.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(old, LoadSth(o->old_sth));
      }
      if (!o->key.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(auto pub, LoadPublicKey(o->key));
        ENTENTE_RETURN_IF_ERROR(
            ledger::VerifyTreeHead(sth, pub.sig_suite, pub.sig_public_key).WithContext(o->sth));
        if (old) {
          ENTENTE_RETURN_IF_ERROR(ledger::VerifyTreeHead(*old, pub.sig_suite, pub.sig_public_key)
                                      .WithContext(o->old_sth));
        }
      } else {
        std::fprintf(stderr, "warning: no --key: head signatures are not checked\n");
      }
      ENTENTE_ASSIGN_OR_RETURN(std::string text,
                               crypto::keys::ReadSmallFile(o->proof, ledger::kMaxJsonBytes));
      if (text.find("\"consistency\"") != std::string::npos) {
        ENTENTE_ASSIGN_OR_RETURN(auto p, ledger::ParseConsistencyProof(text));
        if (!old) return Status::InvalidArgument("a consistency proof needs --old-sth");
        if (p.first_size != old->head.tree_size || p.second_size != sth.head.tree_size) {
          return Status::CryptoError(
              "the proof is from size " + std::to_string(p.first_size) + " to " +
              std::to_string(p.second_size) + ", the heads are of sizes " +
              std::to_string(old->head.tree_size) + " and " + std::to_string(sth.head.tree_size));
        }
        if (!ledger::VerifyConsistency(p.first_size, p.second_size, old->head.root_hash,
                                       sth.head.root_hash, p.path)) {
          return Status::CryptoError("consistency proof from size " + std::to_string(p.first_size) +
                                     " to " + std::to_string(p.second_size) +
                                     " does not verify: the log was rewritten");
        }
        std::printf("ok: the tree of %llu entries extends the tree of %llu\n",
                    static_cast<unsigned long long>(p.second_size),
                    static_cast<unsigned long long>(p.first_size));
        return Status::Ok();
      }
      ENTENTE_ASSIGN_OR_RETURN(auto p, ledger::ParseInclusionProof(text));
      const std::string where = "entry " + std::to_string(p.leaf_index);
      if (p.tree_size != sth.head.tree_size) {
        return Status::CryptoError(where + ": the proof is for tree size " +
                                   std::to_string(p.tree_size) + ", the head for " +
                                   std::to_string(sth.head.tree_size));
      }
      if (!o->entry_file.empty() || !o->log.empty()) {
        std::string leaf;
        if (!o->entry_file.empty()) {
          ENTENTE_ASSIGN_OR_RETURN(
              leaf, crypto::keys::ReadSmallFile(o->entry_file, ledger::kMaxEntryBytes + 2));
          while (!leaf.empty() && leaf.back() == '\n') leaf.pop_back();
        } else {
          auto l = OpenLog(o->log, true);
          if (!l.ok()) return AsVerificationFailure(l.status());
          auto got = (*l)->LeafAt(p.leaf_index);
          if (!got.ok()) return AsVerificationFailure(got.status());
          leaf = std::move(*got);
        }
        if (ledger::LeafHash(AsBytes(leaf)) != p.leaf_hash) {
          return Status::CryptoError(where + ": the entry's leaf hash is not the proof's");
        }
      }
      if (!ledger::VerifyInclusion(p.leaf_hash, p.leaf_index, p.tree_size, p.audit_path,
                                   sth.head.root_hash)) {
        return Status::CryptoError(where + ": inclusion proof does not verify against the head " +
                                   "of size " + std::to_string(sth.head.tree_size));
      }
      std::printf("ok: %s is in the tree of %llu entries\n", where.c_str(),
                  static_cast<unsigned long long>(p.tree_size));
      return Status::Ok();
    });
  });
}

const CommandRegistration kLog(
    "log", "The node's transparency log: append, show, head, prove, verify, proof-verify",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      app.require_subcommand(1);
      SetupAppend(app, global, std::make_shared<LogOptions>(), run);
      SetupShow(app, global, std::make_shared<LogOptions>(), run);
      SetupHead(app, global, std::make_shared<LogOptions>(), run);
      SetupProve(app, global, std::make_shared<LogOptions>(), run);
      SetupVerify(app, global, std::make_shared<LogOptions>(), run);
      SetupProofVerify(app, global, std::make_shared<LogOptions>(), run);
    });

}  // namespace
}  // namespace entente::cli
