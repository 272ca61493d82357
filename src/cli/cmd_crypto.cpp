// `entente pq ...`: low-level ML-KEM / ML-DSA primitives with hex in and out, for interop tests
// with other implementations; and the key and envelope commands (keygen, seal, open, sign,
// verify) built on the crypto module.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "entente/base/bytes.h"
#include "entente/crypto/envelope.h"
#include "entente/crypto/keys.h"
#include "entente/crypto/mldsa.h"
#include "entente/crypto/mlkem.h"
#include "entente/crypto/qkd.h"
#include "node_home.h"

#include <cstdlib>
#include <filesystem>

namespace entente::cli {
namespace {

// Output: one "name=hex" line per value, or a JSON object with --json.
class Output {
 public:
  explicit Output(bool json) : json_(json) {}
  void Add(const char* name, std::string value) { items_.emplace_back(name, std::move(value)); }
  void Print() const {
    if (json_) {
      std::string s = "{";
      for (std::size_t i = 0; i < items_.size(); ++i) {
        if (i) s += ",";
        s += "\"" + items_[i].first + "\":\"" + items_[i].second + "\"";
      }
      std::printf("%s}\n", s.c_str());
    } else {
      for (const auto& [k, v] : items_) std::printf("%s=%s\n", k.c_str(), v.c_str());
    }
  }

 private:
  bool json_;
  std::vector<std::pair<std::string, std::string>> items_;
};

Result<Bytes> HexArg(const std::string& value, const char* option) {
  auto bytes = HexDecode(value);
  if (!bytes.ok()) return bytes.status().WithContext(option);
  return bytes;
}

struct PqOptions {
  std::string param;
  std::string seed, ek, dk, m, ct, sk, pk, msg, ctx, sig, rnd;
  bool deterministic = false;
};

constexpr const char* kMlKemHelp =
    "ML-KEM (FIPS 203) primitives. All values are hex on the command line and on stdout.\n"
    "  keygen --param P [--seed D||Z]   prints seed=, ek=, dk= (expanded key); random seed if "
    "none\n"
    "  encaps --param P --ek EK [--m M] prints ct=, ss=; M (32 B) makes it deterministic\n"
    "  decaps --param P --dk DK --ct CT prints ss= (implicit rejection: a bad ct gives a\n"
    "                                   pseudorandom ss, not an error)\n"
    "P is 512, 768 or 1024. With --json the values are one JSON object.";

constexpr const char* kMlDsaHelp =
    "ML-DSA (FIPS 204) primitives. All values are hex on the command line and on stdout.\n"
    "  keygen --param P [--seed XI]                 prints seed=, pk=, sk= (expanded key)\n"
    "  sign --param P --sk SK --msg M [--ctx C] [--rnd R | --deterministic]\n"
    "                                               prints sig=; hedged (random rnd) by default\n"
    "  verify --param P --pk PK --msg M --sig S [--ctx C]\n"
    "                                               prints valid=true|false; exit 6 if false\n"
    "P is 44, 65 or 87. The pure (external) interface: M' = 0 || len(C) || C || M.";

void SetupMlKem(CLI::App& pq, GlobalOptions& global,
                const std::function<void(std::function<Status()>)>& run) {
  CLI::App* kem = pq.add_subcommand("mlkem", kMlKemHelp);
  kem->require_subcommand(1);
  auto o = std::make_shared<PqOptions>();
  auto add_param = [o](CLI::App* c) {
    c->add_option("--param", o->param, "512 | 768 | 1024")->required();
  };
  CLI::App* keygen = kem->add_subcommand("keygen", "ML-KEM key pair from a 64-byte seed d||z");
  add_param(keygen);
  keygen->add_option("--seed", o->seed, "hex d||z (64 bytes)");
  keygen->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto p, crypto::mlkem::ParseParam(o->param));
      SecretBytes seed;
      crypto::mlkem::KeyPair kp;
      if (o->seed.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(kp, crypto::mlkem::KeyGen(p, &seed));
      } else {
        ENTENTE_ASSIGN_OR_RETURN(Bytes s, HexArg(o->seed, "--seed"));
        seed = SecretBytes(ByteView(s));
        SecureWipe(s.data(), s.size());
        ENTENTE_ASSIGN_OR_RETURN(kp, crypto::mlkem::KeyGenFromSeed(p, seed.view()));
      }
      Output out(global.json);
      out.Add("seed", HexEncode(seed.view()));
      out.Add("ek", HexEncode(kp.ek));
      out.Add("dk", HexEncode(kp.dk.view()));
      out.Print();
      return Status::Ok();
    });
  });
  CLI::App* encaps = kem->add_subcommand("encaps", "Encapsulate to an encapsulation key");
  add_param(encaps);
  encaps->add_option("--ek", o->ek, "hex encapsulation key")->required();
  encaps->add_option("--m", o->m, "hex 32-byte randomness m (deterministic encapsulation)");
  encaps->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto p, crypto::mlkem::ParseParam(o->param));
      ENTENTE_ASSIGN_OR_RETURN(Bytes ek, HexArg(o->ek, "--ek"));
      crypto::mlkem::Encapsulation e;
      if (o->m.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(e, crypto::mlkem::Encaps(p, ek));
      } else {
        ENTENTE_ASSIGN_OR_RETURN(Bytes m, HexArg(o->m, "--m"));
        ENTENTE_ASSIGN_OR_RETURN(e, crypto::mlkem::EncapsInternal(p, ek, m));
      }
      Output out(global.json);
      out.Add("ct", HexEncode(e.ct));
      out.Add("ss", HexEncode(e.ss.view()));
      out.Print();
      return Status::Ok();
    });
  });
  CLI::App* decaps = kem->add_subcommand("decaps", "Decapsulate a ciphertext");
  add_param(decaps);
  decaps->add_option("--dk", o->dk, "hex expanded decapsulation key")->required();
  decaps->add_option("--ct", o->ct, "hex ciphertext")->required();
  decaps->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto p, crypto::mlkem::ParseParam(o->param));
      ENTENTE_ASSIGN_OR_RETURN(Bytes dk, HexArg(o->dk, "--dk"));
      ENTENTE_ASSIGN_OR_RETURN(Bytes ct, HexArg(o->ct, "--ct"));
      auto ss = crypto::mlkem::Decaps(p, dk, ct);
      SecureWipe(dk.data(), dk.size());
      if (!ss.ok()) return ss.status();
      Output out(global.json);
      out.Add("ss", HexEncode(ss.value().view()));
      out.Print();
      return Status::Ok();
    });
  });
}

void SetupMlDsa(CLI::App& pq, GlobalOptions& global,
                const std::function<void(std::function<Status()>)>& run) {
  CLI::App* dsa = pq.add_subcommand("mldsa", kMlDsaHelp);
  dsa->require_subcommand(1);
  auto o = std::make_shared<PqOptions>();
  auto add_param = [o](CLI::App* c) {
    c->add_option("--param", o->param, "44 | 65 | 87")->required();
  };
  CLI::App* keygen = dsa->add_subcommand("keygen", "ML-DSA key pair from a 32-byte seed");
  add_param(keygen);
  keygen->add_option("--seed", o->seed, "hex seed xi (32 bytes)");
  keygen->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto p, crypto::mldsa::ParseParam(o->param));
      SecretBytes seed;
      crypto::mldsa::KeyPair kp;
      if (o->seed.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(kp, crypto::mldsa::KeyGen(p, &seed));
      } else {
        ENTENTE_ASSIGN_OR_RETURN(Bytes s, HexArg(o->seed, "--seed"));
        seed = SecretBytes(ByteView(s));
        ENTENTE_ASSIGN_OR_RETURN(kp, crypto::mldsa::KeyGenFromSeed(p, seed.view()));
      }
      Output out(global.json);
      out.Add("seed", HexEncode(seed.view()));
      out.Add("pk", HexEncode(kp.pk));
      out.Add("sk", HexEncode(kp.sk.view()));
      out.Print();
      return Status::Ok();
    });
  });
  CLI::App* sign = dsa->add_subcommand("sign", "Sign a message (pure ML-DSA, with context)");
  add_param(sign);
  sign->add_option("--sk", o->sk, "hex expanded private key")->required();
  sign->add_option("--msg", o->msg, "hex message")->required();
  sign->add_option("--ctx", o->ctx, "hex context string (0-255 bytes)");
  sign->add_option("--rnd", o->rnd, "hex 32-byte rnd (default: fresh random)");
  sign->add_flag("--deterministic", o->deterministic, "rnd = 0^32");
  sign->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto p, crypto::mldsa::ParseParam(o->param));
      ENTENTE_ASSIGN_OR_RETURN(Bytes sk, HexArg(o->sk, "--sk"));
      ENTENTE_ASSIGN_OR_RETURN(Bytes msg, HexArg(o->msg, "--msg"));
      ENTENTE_ASSIGN_OR_RETURN(Bytes ctx, HexArg(o->ctx, "--ctx"));
      crypto::mldsa::SignOptions opts;
      opts.deterministic = o->deterministic;
      if (!o->rnd.empty()) {
        ENTENTE_ASSIGN_OR_RETURN(Bytes rnd, HexArg(o->rnd, "--rnd"));
        opts.rnd = rnd;
      }
      auto sig = crypto::mldsa::Sign(p, sk, msg, ctx, opts);
      SecureWipe(sk.data(), sk.size());
      if (!sig.ok()) return sig.status();
      Output out(global.json);
      out.Add("sig", HexEncode(sig.value()));
      out.Print();
      return Status::Ok();
    });
  });
  CLI::App* verify = dsa->add_subcommand("verify", "Verify a signature (pure ML-DSA)");
  add_param(verify);
  verify->add_option("--pk", o->pk, "hex public key")->required();
  verify->add_option("--msg", o->msg, "hex message")->required();
  verify->add_option("--sig", o->sig, "hex signature")->required();
  verify->add_option("--ctx", o->ctx, "hex context string");
  verify->callback([o, &global, run] {
    run([o, &global]() -> Status {
      ENTENTE_ASSIGN_OR_RETURN(auto p, crypto::mldsa::ParseParam(o->param));
      ENTENTE_ASSIGN_OR_RETURN(Bytes pk, HexArg(o->pk, "--pk"));
      ENTENTE_ASSIGN_OR_RETURN(Bytes msg, HexArg(o->msg, "--msg"));
      ENTENTE_ASSIGN_OR_RETURN(Bytes sig, HexArg(o->sig, "--sig"));
      ENTENTE_ASSIGN_OR_RETURN(Bytes ctx, HexArg(o->ctx, "--ctx"));
      const bool ok = crypto::mldsa::Verify(p, pk, msg, sig, ctx);
      Output out(global.json);
      out.Add("valid", ok ? "true" : "false");
      out.Print();
      if (!ok) return Status::CryptoError("ML-DSA signature does not verify");
      return Status::Ok();
    });
  });
}

const CommandRegistration kPq(
    "pq", "Post-quantum primitives with hex in and out (interop testing): mlkem, mldsa",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      app.require_subcommand(1);
      SetupMlKem(app, global, run);
      SetupMlDsa(app, global, run);
    });

// --- keys, envelopes, signatures -----------------------------------------------------------

Result<crypto::keys::Identity> LoadIdentity(const std::string& path, const std::string& pass_file) {
  ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(path));
  ENTENTE_ASSIGN_OR_RETURN(SecretBytes pass, Passphrase(pass_file));
  auto id = crypto::keys::DecryptKeyFile(text, pass.view());
  if (!id.ok()) return id.status().WithContext(path);
  return id;
}

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

crypto::envelope::Source FileSource(std::FILE* f) {
  return [f](std::span<std::uint8_t> buf) -> Result<std::size_t> {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
    if (n == 0 && std::ferror(f)) return Status::IoError("read failed");
    return n;
  };
}
crypto::envelope::Sink FileSink(std::FILE* f) {
  return [f](ByteView b) -> Status {
    if (!b.empty() && std::fwrite(b.data(), 1, b.size(), f) != b.size())
      return Status::IoError("write failed");
    return Status::Ok();
  };
}

Result<File> OpenFile(const std::string& path, const char* mode) {
  File f(std::fopen(path.c_str(), mode));
  if (!f) return Status::IoError("cannot open " + path);
  return f;
}

struct KeyOptions {
  std::string out, kind = "node", label, pass_file, rotate;
  int level = 3;
  std::vector<std::string> to, keys;
  std::string from, in, output, sig, content_type = "application/octet-stream", tlp = "TLP:AMBER";
  std::vector<std::string> object_ids;
  std::string ctx, expect_sender, qkd_config;
  bool envelope = false;
};

const CommandRegistration kKeygen(
    "keygen", "Create a hybrid identity (X-Wing + ML-DSA-65/Ed25519 keys) as key files",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<KeyOptions>();
      app.add_option("--out", o->out,
                     "Path prefix: writes PREFIX.key (encrypted, 0600) and PREFIX.pub")
          ->required();
      app.add_option("--kind", o->kind, "node or user")->check(CLI::IsMember({"node", "user"}));
      app.add_option("--label", o->label, "Human-readable label");
      app.add_option("--level", o->level, "3 (X-Wing, ML-DSA-65) or 5 (ML-KEM-1024, ML-DSA-87)")
          ->check(CLI::IsMember({3, 5}));
      app.add_option("--passphrase-file", o->pass_file,
                     "File with the passphrase (else $ENTENTE_PASSPHRASE)");
      app.add_option("--rotate", o->rotate, "Rotate this key file: the old one is marked retired");
      app.callback([o, &global, run] {
        run([o, &global]() -> Status {
          ENTENTE_ASSIGN_OR_RETURN(SecretBytes pass, Passphrase(o->pass_file));
          crypto::keys::Identity id;
          if (!o->rotate.empty()) {
            ENTENTE_ASSIGN_OR_RETURN(crypto::keys::Identity old,
                                     LoadIdentity(o->rotate, o->pass_file));
            ENTENTE_ASSIGN_OR_RETURN(id, crypto::keys::Rotate(old));
            ENTENTE_ASSIGN_OR_RETURN(std::string old_text,
                                     crypto::keys::EncodeKeyFile(old, pass.view()));
            const std::string tmp = o->rotate + ".rotating";
            std::filesystem::remove(tmp);
            ENTENTE_RETURN_IF_ERROR(crypto::keys::WriteNewFile(tmp, old_text, true));
            std::filesystem::rename(tmp, o->rotate);
          } else {
            ENTENTE_ASSIGN_OR_RETURN(
                id, crypto::keys::Generate(o->level == 5 ? crypto::keys::Profile::kLevel5
                                                         : crypto::keys::Profile::kLevel3,
                                           o->kind, o->label));
          }
          ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::EncodeKeyFile(id, pass.view()));
          ENTENTE_RETURN_IF_ERROR(crypto::keys::WriteNewFile(o->out + ".key", text, true));
          ENTENTE_RETURN_IF_ERROR(crypto::keys::WriteNewFile(
              o->out + ".pub", crypto::keys::EncodePublicKeyFile(id.pub), false));
          Output out(global.json);
          out.Add("kem_key_id", HexEncode(id.pub.kem_key_id()));
          out.Add("sig_key_id", HexEncode(id.pub.sig_key_id()));
          out.Print();
          return Status::Ok();
        });
      });
    });

const CommandRegistration kSeal(
    "seal", "Seal a file to recipients (sealed envelope, docs/ENVELOPE.md)",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<KeyOptions>();
      app.add_option("--to", o->to, "Recipient key file(s) (.pub or .key)")->required();
      app.add_option("--from", o->from, "Sender key file (default: HOME/keys/node.key)");
      app.add_option("--passphrase-file", o->pass_file, "Passphrase of the sender key file");
      app.add_option("--content-type", o->content_type, "Content type of the payload");
      app.add_option("--tlp", o->tlp, "TLP marking, e.g. TLP:AMBER");
      app.add_option("--object-id", o->object_ids, "STIX object id(s) carried (repeatable)");
      app.add_option("IN", o->in, "Payload file")->required();
      app.add_option("OUT", o->output, "Envelope file to create")->required();
      app.callback([o, &global, run] {
        run([o, &global]() -> Status {
          const std::string from = o->from.empty() ? global.home + "/keys/node.key" : o->from;
          ENTENTE_ASSIGN_OR_RETURN(crypto::keys::Identity me, LoadIdentity(from, o->pass_file));
          ENTENTE_ASSIGN_OR_RETURN(auto sender, me.SigKey());
          std::vector<crypto::envelope::Recipient> rcpts;
          for (const auto& path : o->to) {
            ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(path));
            auto pub = crypto::keys::ParsePublic(text);
            if (!pub.ok()) return pub.status().WithContext(path);
            rcpts.push_back({pub.value().kem_suite, pub.value().kem_public_key, std::nullopt});
          }
          crypto::envelope::Metadata meta{o->content_type, o->tlp, o->object_ids};
          ENTENTE_ASSIGN_OR_RETURN(File in, OpenFile(o->in, "rb"));
          ENTENTE_ASSIGN_OR_RETURN(File out, OpenFile(o->output, "wb"));
          ENTENTE_ASSIGN_OR_RETURN(
              auto w, crypto::envelope::Writer::Create(*sender, rcpts, meta, FileSink(out.get())));
          std::vector<std::uint8_t> buf(1 << 20);
          for (;;) {
            const std::size_t n = std::fread(buf.data(), 1, buf.size(), in.get());
            if (n == 0) {
              if (std::ferror(in.get())) return Status::IoError("cannot read " + o->in);
              break;
            }
            ENTENTE_RETURN_IF_ERROR(w->Write(ByteView(buf.data(), n)));
          }
          ENTENTE_RETURN_IF_ERROR(w->Finish());
          if (std::fflush(out.get()) != 0) return Status::IoError("cannot write " + o->output);
          return Status::Ok();
        });
      });
    });

const CommandRegistration kOpen(
    "open", "Open a sealed envelope with one of your key files; verifies the sender signature",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<KeyOptions>();
      app.add_option("--key", o->keys, "Key file(s) to try (default: HOME/keys/node.key)");
      app.add_option("--passphrase-file", o->pass_file, "Passphrase of the key files");
      app.add_option("--expect-sender", o->expect_sender,
                     "Hex signature key id the sender must have");
      app.add_option("--qkd-config", o->qkd_config,
                     "ETSI QKD 014 client config (JSON: base_url, sae_id, peer_sae_id, cert_file, "
                     "key_file, ca_file) for envelopes with QKD keys mixed in");
      app.add_option("IN", o->in, "Envelope file")->required();
      app.add_option("OUT", o->output, "Plaintext file to create (written only on success)")
          ->required();
      app.callback([o, &global, run] {
        run([o, &global]() -> Status {
          std::vector<std::string> paths = o->keys;
          if (paths.empty()) paths.push_back(global.home + "/keys/node.key");
          std::optional<Bytes> expect;
          if (!o->expect_sender.empty()) {
            ENTENTE_ASSIGN_OR_RETURN(expect, HexArg(o->expect_sender, "--expect-sender"));
          }
          crypto::envelope::QkdLookup lookup;
          std::shared_ptr<crypto::qkd::Client> client;
          if (!o->qkd_config.empty()) {
            ENTENTE_ASSIGN_OR_RETURN(auto c, crypto::qkd::Client::FromConfigFile(o->qkd_config));
            client = std::move(c);
            lookup = [client](const std::string& id) { return client->GetKeyWithId(id); };
          }
          const std::string tmp = o->output + ".partial";
          Status last = Status::NotFound("no key given");
          for (const auto& path : paths) {
            ENTENTE_ASSIGN_OR_RETURN(crypto::keys::Identity id, LoadIdentity(path, o->pass_file));
            ENTENTE_ASSIGN_OR_RETURN(auto key, id.KemKey());
            ENTENTE_ASSIGN_OR_RETURN(File in, OpenFile(o->in, "rb"));
            std::filesystem::remove(tmp);
            ENTENTE_ASSIGN_OR_RETURN(File out, OpenFile(tmp, "wb"));
            auto info =
                crypto::envelope::Open(*key, FileSource(in.get()), FileSink(out.get()), lookup,
                                       expect ? std::optional<ByteView>(*expect) : std::nullopt);
            out.reset();
            if (info.ok()) {
              std::filesystem::rename(tmp, o->output);
              Output res(global.json);
              res.Add("sender_key_id", HexEncode(info.value().sender_key_id));
              res.Add("content_type", info.value().metadata.content_type);
              res.Add("tlp", info.value().metadata.tlp);
              res.Add("recipients", std::to_string(info.value().recipient_count));
              res.Add("bytes", std::to_string(info.value().payload_bytes));
              res.Print();
              return Status::Ok();
            }
            std::filesystem::remove(tmp);
            last = info.status();
            if (last.code() != ErrorCode::kNotFound) break;
          }
          return last;
        });
      });
    });

const CommandRegistration kSign(
    "sign", "Detached composite signature (ML-DSA + Ed25519) of a file",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<KeyOptions>();
      app.add_option("--key", o->from, "Signing key file (default: HOME/keys/node.key)");
      app.add_option("--passphrase-file", o->pass_file, "Passphrase of the key file");
      app.add_option("--ctx", o->ctx, "Context string (0-255 bytes)");
      app.add_option("IN", o->in, "File to sign")->required();
      app.add_option("SIG", o->sig, "Signature file to create")->required();
      app.callback([o, &global, run] {
        run([o, &global]() -> Status {
          const std::string from = o->from.empty() ? global.home + "/keys/node.key" : o->from;
          ENTENTE_ASSIGN_OR_RETURN(crypto::keys::Identity me, LoadIdentity(from, o->pass_file));
          ENTENTE_ASSIGN_OR_RETURN(auto key, me.SigKey());
          ENTENTE_ASSIGN_OR_RETURN(std::string data, crypto::keys::ReadSmallFile(o->in, 1u << 30));
          ENTENTE_ASSIGN_OR_RETURN(Bytes sig, key->Sign(AsBytes(data), AsBytes(o->ctx)));
          ENTENTE_RETURN_IF_ERROR(crypto::keys::WriteNewFile(o->sig, AsChars(sig), false));
          Output out(global.json);
          out.Add("sig_key_id", HexEncode(me.pub.sig_key_id()));
          out.Print();
          return Status::Ok();
        });
      });
    });

const CommandRegistration kVerify(
    "verify", "Verify a detached signature (IN SIG --pub KEYFILE) or an envelope (--envelope IN)",
    [](CLI::App& app, GlobalOptions& global, auto run) {
      auto o = std::make_shared<KeyOptions>();
      app.add_option("--pub", o->from, "Signer key file (.pub or .key)");
      app.add_option("--ctx", o->ctx, "Context string used when signing");
      app.add_flag("--envelope", o->envelope,
                   "IN is a sealed envelope: check its sender signature");
      app.add_option("IN", o->in, "Signed file or envelope")->required();
      app.add_option("SIG", o->sig, "Signature file (detached mode)");
      app.callback([o, &global, run] {
        run([o, &global]() -> Status {
          std::optional<crypto::keys::PublicIdentity> signer;
          if (!o->from.empty()) {
            ENTENTE_ASSIGN_OR_RETURN(std::string text, crypto::keys::ReadSmallFile(o->from));
            ENTENTE_ASSIGN_OR_RETURN(signer, crypto::keys::ParsePublic(text));
          }
          Output out(global.json);
          if (o->envelope) {
            ENTENTE_ASSIGN_OR_RETURN(File in, OpenFile(o->in, "rb"));
            Bytes expect = signer ? signer->sig_key_id() : Bytes();
            ENTENTE_ASSIGN_OR_RETURN(
                auto info,
                crypto::envelope::Verify(FileSource(in.get()),
                                         signer ? std::optional<ByteView>(expect) : std::nullopt));
            out.Add("valid", "true");
            out.Add("sender_key_id", HexEncode(info.sender_key_id));
            out.Add("recipients", std::to_string(info.recipient_count));
            out.Print();
            return Status::Ok();
          }
          if (!signer || o->sig.empty())
            return Status::InvalidArgument("detached mode needs --pub and SIG");
          ENTENTE_ASSIGN_OR_RETURN(std::string data, crypto::keys::ReadSmallFile(o->in, 1u << 30));
          ENTENTE_ASSIGN_OR_RETURN(std::string sig, crypto::keys::ReadSmallFile(o->sig, 16384));
          const bool ok = crypto::hybrid::SigVerify(signer->sig_suite, signer->sig_public_key,
                                                    AsBytes(data), AsBytes(sig), AsBytes(o->ctx));
          out.Add("valid", ok ? "true" : "false");
          out.Print();
          return ok ? Status::Ok() : Status::CryptoError("signature does not verify");
        });
      });
    });

}  // namespace
}  // namespace entente::cli
