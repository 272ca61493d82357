// ML-KEM, ML-DSA, X-Wing, composite signatures and sealed envelopes. Figures and the command
// that runs them side by side with @noble/post-quantum: docs/BENCHMARKS.md ("## Crypto").
#include <benchmark/benchmark.h>

#include "entente/crypto/envelope.h"
#include "entente/crypto/hybrid.h"
#include "entente/crypto/mldsa.h"
#include "entente/crypto/mlkem.h"
#include "entente/crypto/sha3.h"

namespace entente::crypto {
namespace {

const mlkem::Param kKem[] = {mlkem::Param::kMlKem512, mlkem::Param::kMlKem768,
                             mlkem::Param::kMlKem1024};
const mldsa::Param kDsa[] = {mldsa::Param::kMlDsa44, mldsa::Param::kMlDsa65,
                             mldsa::Param::kMlDsa87};

void BM_MlKemKeyGen(benchmark::State& state) {
  const auto p = kKem[state.range(0)];
  Bytes seed(64, 7);
  for (auto _ : state) {
    seed[0]++;
    benchmark::DoNotOptimize(mlkem::KeyGenFromSeed(p, seed));
  }
  state.SetLabel(std::string(mlkem::Name(p)));
}
void BM_MlKemEncaps(benchmark::State& state) {
  const auto p = kKem[state.range(0)];
  auto kp = mlkem::KeyGen(p).value();
  Bytes m(32, 3);
  for (auto _ : state) {
    m[0]++;
    benchmark::DoNotOptimize(mlkem::EncapsInternal(p, kp.ek, m));
  }
  state.SetLabel(std::string(mlkem::Name(p)));
}
void BM_MlKemDecaps(benchmark::State& state) {
  const auto p = kKem[state.range(0)];
  auto kp = mlkem::KeyGen(p).value();
  auto e = mlkem::Encaps(p, kp.ek).value();
  for (auto _ : state) benchmark::DoNotOptimize(mlkem::Decaps(p, kp.dk.view(), e.ct));
  state.SetLabel(std::string(mlkem::Name(p)));
}
void BM_MlDsaKeyGen(benchmark::State& state) {
  const auto p = kDsa[state.range(0)];
  Bytes seed(32, 1);
  for (auto _ : state) {
    seed[0]++;
    benchmark::DoNotOptimize(mldsa::KeyGenFromSeed(p, seed));
  }
  state.SetLabel(std::string(mldsa::Name(p)));
}
void BM_MlDsaSign(benchmark::State& state) {
  const auto p = kDsa[state.range(0)];
  auto kp = mldsa::KeyGen(p).value();
  Bytes msg(32, 9);
  for (auto _ : state) {
    msg[0]++;  // a different message each time: the rejection loop count varies as in real use
    benchmark::DoNotOptimize(mldsa::Sign(p, kp.sk.view(), msg));
  }
  state.SetLabel(std::string(mldsa::Name(p)));
}
void BM_MlDsaVerify(benchmark::State& state) {
  const auto p = kDsa[state.range(0)];
  auto kp = mldsa::KeyGen(p).value();
  Bytes msg(32, 9);
  auto sig = mldsa::Sign(p, kp.sk.view(), msg).value();
  for (auto _ : state) benchmark::DoNotOptimize(mldsa::Verify(p, kp.pk, msg, sig));
  state.SetLabel(std::string(mldsa::Name(p)));
}
BENCHMARK(BM_MlKemKeyGen)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlKemEncaps)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlKemDecaps)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlDsaKeyGen)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlDsaSign)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlDsaVerify)->DenseRange(0, 2)->Unit(benchmark::kMicrosecond);

void BM_KeccakF1600(benchmark::State& state) {
  std::uint64_t s[25] = {1};
  for (auto _ : state) {
    KeccakF1600(s);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_KeccakF1600)->Unit(benchmark::kNanosecond);

void BM_XWingEncaps(benchmark::State& state) {
  auto kp = hybrid::KemKeyGen(hybrid::KemSuite::kXWing).value();
  for (auto _ : state) benchmark::DoNotOptimize(hybrid::KemEncaps(hybrid::KemSuite::kXWing, kp.pk));
}
void BM_XWingDecaps(benchmark::State& state) {
  auto kp = hybrid::KemKeyGen(hybrid::KemSuite::kXWing).value();
  auto key = hybrid::KemPrivateKey::FromSeed(hybrid::KemSuite::kXWing, kp.sk.view()).value();
  auto e = hybrid::KemEncaps(hybrid::KemSuite::kXWing, kp.pk).value();
  for (auto _ : state) benchmark::DoNotOptimize(key->Decaps(e.ct));
}
void BM_CompositeSign(benchmark::State& state) {
  auto kp = hybrid::SigKeyGen(hybrid::SigSuite::kMlDsa65Ed25519).value();
  auto key =
      hybrid::SigPrivateKey::FromPrivate(hybrid::SigSuite::kMlDsa65Ed25519, kp.sk.view()).value();
  Bytes msg(64, 1);
  for (auto _ : state) benchmark::DoNotOptimize(key->Sign(msg));
}
void BM_CompositeVerify(benchmark::State& state) {
  auto kp = hybrid::SigKeyGen(hybrid::SigSuite::kMlDsa65Ed25519).value();
  Bytes msg(64, 1);
  auto sig = hybrid::SigSign(hybrid::SigSuite::kMlDsa65Ed25519, kp.sk.view(), msg).value();
  for (auto _ : state) {
    benchmark::DoNotOptimize(hybrid::SigVerify(hybrid::SigSuite::kMlDsa65Ed25519, kp.pk, msg, sig));
  }
}
BENCHMARK(BM_XWingEncaps)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_XWingDecaps)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompositeSign)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompositeVerify)->Unit(benchmark::kMicrosecond);

struct EnvelopeFixture {
  std::unique_ptr<hybrid::SigPrivateKey> sender;
  std::vector<envelope::Recipient> recipients;
  std::unique_ptr<hybrid::KemPrivateKey> first;
  explicit EnvelopeFixture(int n) {
    auto s = hybrid::SigKeyGen(hybrid::SigSuite::kMlDsa65Ed25519).value();
    sender =
        hybrid::SigPrivateKey::FromPrivate(hybrid::SigSuite::kMlDsa65Ed25519, s.sk.view()).value();
    for (int i = 0; i < n; ++i) {
      auto kp = hybrid::KemKeyGen(hybrid::KemSuite::kXWing).value();
      if (i == 0)
        first = hybrid::KemPrivateKey::FromSeed(hybrid::KemSuite::kXWing, kp.sk.view()).value();
      recipients.push_back({hybrid::KemSuite::kXWing, kp.pk, std::nullopt});
    }
  }
};

// Sealing cost with the payload excluded: header (N encapsulations + wraps) and signature.
void BM_SealToRecipients(benchmark::State& state) {
  EnvelopeFixture f(static_cast<int>(state.range(0)));
  const Bytes payload(1024, 1);
  for (auto _ : state)
    benchmark::DoNotOptimize(envelope::Seal(*f.sender, f.recipients, {}, payload));
}
BENCHMARK(BM_SealToRecipients)->Arg(1)->Arg(27)->Unit(benchmark::kMillisecond);

// Streaming throughput for a large payload (bytes/s), sink discarding output.
void BM_EnvelopeSealThroughput(benchmark::State& state) {
  EnvelopeFixture f(1);
  const Bytes block(1 << 20, 0x5a);
  const std::int64_t mib = state.range(0);
  for (auto _ : state) {
    auto w = envelope::Writer::Create(*f.sender, f.recipients, {}, [](ByteView) {
               return Status::Ok();
             }).value();
    for (std::int64_t i = 0; i < mib; ++i) (void)w->Write(block);
    (void)w->Finish();
  }
  state.SetBytesProcessed(state.iterations() * mib * static_cast<std::int64_t>(block.size()));
}
void BM_EnvelopeOpenThroughput(benchmark::State& state) {
  EnvelopeFixture f(1);
  const Bytes payload(static_cast<std::size_t>(state.range(0)) << 20, 0x5a);
  auto env = envelope::Seal(*f.sender, f.recipients, {}, payload).value();
  for (auto _ : state) {
    auto r =
        envelope::Open(*f.first, envelope::BytesSource(env), [](ByteView) { return Status::Ok(); });
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(payload.size()));
}
BENCHMARK(BM_EnvelopeSealThroughput)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EnvelopeOpenThroughput)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace entente::crypto

BENCHMARK_MAIN();
