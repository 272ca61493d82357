// `entente pq ...`: low-level ML-KEM / ML-DSA primitives with hex in and out, for interop tests
// with other implementations; and the key and envelope commands (keygen, seal, open, sign,
// verify) built on the crypto module.
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "entente/base/bytes.h"
#include "entente/crypto/mldsa.h"
#include "entente/crypto/mlkem.h"

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

}  // namespace
}  // namespace entente::cli
