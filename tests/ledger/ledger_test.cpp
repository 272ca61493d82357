// The Ledger: persistence, crash recovery (torn writes), tamper detection, threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "entente/base/file.h"
#include "entente/ledger/ledger.h"
#include "test_util.h"

namespace entente::ledger {
namespace {

using crypto::hybrid::SigSuite;
using testing::MakeEntry;
using testing::TestKey;

LedgerOptions ReadOnly() {
  LedgerOptions o;
  o.read_only = true;
  return o;
}
LedgerOptions WithKey() {
  LedgerOptions o;
  o.signing_key = TestKey();
  return o;
}

class LedgerFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ledger_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "ledger.log").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Ledger> OpenOrDie(bool read_only = false) {
    LedgerOptions o;
    o.read_only = read_only;
    o.signing_key = TestKey();
    auto l = Ledger::Open(path_, o);
    EXPECT_TRUE(l.ok()) << l.status().message();
    return l.ok() ? std::move(*l) : nullptr;
  }
  void Fill(std::uint64_t n) {
    auto l = OpenOrDie();
    std::vector<Entry> batch;
    for (std::uint64_t i = 0; i < n; ++i) batch.push_back(MakeEntry(i));
    ASSERT_TRUE(l->AppendBatch(batch).ok());
  }
  std::string Read() { return *ReadFileToString(path_); }
  void Write(const std::string& bytes, const std::string& path = {}) {
    std::ofstream out(path.empty() ? path_ : path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(LedgerFileTest, AppendsPersistAcrossReopen) {
  Hash root;
  {
    auto l = OpenOrDie();
    EXPECT_EQ(l->size(), 0u);
    EXPECT_EQ(l->Head().root_hash, EmptyRoot());
    EXPECT_EQ(*l->Append(MakeEntry(0)), 0u);
    EXPECT_EQ(*l->Append(MakeEntry(1, "vote")), 1u);
    std::vector<Entry> batch = {MakeEntry(2), MakeEntry(3, "decision"), MakeEntry(4)};
    EXPECT_EQ(*l->AppendBatch(batch), 2u);
    EXPECT_EQ(l->size(), 5u);
    root = l->Head().root_hash;
  }
  auto l = OpenOrDie();
  EXPECT_EQ(l->size(), 5u);
  EXPECT_EQ(l->Head().root_hash, root);
  EXPECT_EQ(l->recovery().truncated_bytes, 0u);
  auto e = l->EntryAt(3);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(*e, MakeEntry(3, "decision"));
  EXPECT_EQ(l->EntryAt(5).status().code(), ErrorCode::kNotFound);
  // The same entries in memory give the same root: the file adds nothing to the tree.
  auto mem = Ledger::InMemory();
  for (std::uint64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(mem->Append(*l->EntryAt(i)).ok());
  }
  EXPECT_EQ(mem->Head().root_hash, root);
  EXPECT_EQ(*mem->EntryAt(3), MakeEntry(3, "decision"));
}

TEST_F(LedgerFileTest, OneWriterPerFile) {
  auto writer = OpenOrDie();
  auto second = Ledger::Open(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kUnavailable);
  auto reader = Ledger::Open(path_, ReadOnly());  // readers are never locked out
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  writer.reset();
  EXPECT_TRUE(Ledger::Open(path_).ok());
}

TEST_F(LedgerFileTest, BadBatchIsAllOrNothing) {
  auto l = OpenOrDie();
  std::vector<Entry> batch = {MakeEntry(0), MakeEntry(1), MakeEntry(2)};
  batch[2].time = "not a time";
  auto r = l->AppendBatch(batch);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("batch position 2"), std::string::npos);
  EXPECT_EQ(l->size(), 0u);
  l.reset();
  EXPECT_EQ(OpenOrDie()->size(), 0u);
}

TEST_F(LedgerFileTest, TornWritesAreTruncatedAndAcknowledgedEntriesSurvive) {
  Fill(10);
  const std::string clean = Read();
  const Hash root = OpenOrDie()->Head().root_hash;
  // The record a crashed append would have been writing.
  auto mem = Ledger::InMemory();
  ASSERT_TRUE(mem->Append(MakeEntry(10)).ok());
  std::string next_record;
  {
    auto one = dir_ / "one.log";
    auto l1 = Ledger::Open(one.string());
    ASSERT_TRUE((*l1)->Append(MakeEntry(10)).ok());
    next_record = ReadFileToString(one.string())->substr(kLogHeaderBytes);
  }
  // A crash can stop the write at any byte of the record, or leave garbage instead of it.
  for (std::size_t cut = 1; cut < next_record.size(); ++cut) {
    Write(clean + next_record.substr(0, cut));
    {
      auto ro = Ledger::Open(path_, ReadOnly());
      ASSERT_FALSE(ro.ok()) << "cut " << cut;
      EXPECT_NE(ro.status().message().find("entry 10 at byte " + std::to_string(clean.size())),
                std::string::npos)
          << ro.status().message();
    }
    auto l = OpenOrDie();
    ASSERT_EQ(l->size(), 10u) << "cut " << cut;
    EXPECT_EQ(l->Head().root_hash, root);
    EXPECT_EQ(l->recovery().truncated_bytes, cut);
    EXPECT_NE(l->recovery().reason.find("entry 10"), std::string::npos);
    // Appending after recovery continues the log as if the crash had not happened.
    ASSERT_EQ(*l->Append(MakeEntry(10)), 10u);
    EXPECT_EQ(Read(), clean + next_record);
  }
  // Garbage of the right length whose check does not match.
  std::string garbled = next_record;
  garbled[garbled.size() - 3] ^= 0x20;
  Write(clean + garbled);
  {
    auto l = OpenOrDie();
    EXPECT_EQ(l->size(), 10u);
    EXPECT_NE(l->recovery().reason.find("check mismatch"), std::string::npos);
  }
  // Zeros (what some file systems leave after a crash).
  Write(clean + std::string(100, '\0'));
  EXPECT_EQ(OpenOrDie()->size(), 10u);
  EXPECT_EQ(Read(), clean);
  // A torn header of a brand-new file.
  Write(std::string(kLogMagic.substr(0, 5)));
  EXPECT_EQ(OpenOrDie()->size(), 0u);
  // Not a log at all: refused, never truncated.
  Write("hello world, this is not a log");
  EXPECT_EQ(Ledger::Open(path_).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(Read(), "hello world, this is not a log");
}

TEST_F(LedgerFileTest, SignedHeadsAndProofsVerifyOffline) {
  Fill(37);
  auto l = OpenOrDie();
  auto sth = l->SignedHead();
  ASSERT_TRUE(sth.ok()) << sth.status().message();
  EXPECT_EQ(sth->head.tree_size, 37u);
  const ByteView pk = TestKey()->public_key();
  ASSERT_TRUE(VerifyTreeHead(*sth, SigSuite::kMlDsa65Ed25519, pk).ok());
  for (std::uint64_t i = 0; i < 37; ++i) {
    auto p = l->InclusionProofFor(i, 37);
    ASSERT_TRUE(p.ok());
    auto parsed = ParseInclusionProof(ToJson(*p));
    ASSERT_TRUE(parsed.ok());
    const std::string leaf = *l->LeafAt(i);
    EXPECT_EQ(LeafHash(AsBytes(leaf)), parsed->leaf_hash);
    EXPECT_TRUE(VerifyInclusion(parsed->leaf_hash, i, 37, parsed->audit_path, sth->head.root_hash));
  }
  auto old = *l->Root(20);
  auto c = l->ConsistencyProofFor(20, 37);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(VerifyConsistency(20, 37, old, sth->head.root_hash, c->path));
  EXPECT_FALSE(l->ConsistencyProofFor(38, 37).ok());
  EXPECT_FALSE(l->InclusionProofFor(37, 37).ok());
  // The whole copy checks against the signed head.
  auto report = VerifyLogFile(path_, &*sth, SigSuite::kMlDsa65Ed25519, pk);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->size, 37u);
  // An in-memory log without a key cannot sign.
  EXPECT_FALSE(Ledger::InMemory()->SignedHead().ok());
}

// Rewrites record `index` of a log image with new leaf bytes and a matching check, as a forger
// who knows the format would.
std::string ForgeRecord(std::string_view leaf) {
  auto one = Ledger::InMemory();
  std::string record;
  const Hash h = LeafHash(AsBytes(leaf));
  const auto n = static_cast<std::uint32_t>(leaf.size());
  for (int i = 0; i < 4; ++i) record += static_cast<char>((n >> (8 * i)) & 0xFF);
  record.append(reinterpret_cast<const char*>(h.data()), 8);
  record.append(leaf);
  return record;
}

TEST_F(LedgerFileTest, TamperedCopiesAreDetectedAndTheEntryNamed) {
  Fill(50);
  auto honest = OpenOrDie();
  const auto sth = *honest->SignedHead();
  const ByteView pk = TestKey()->public_key();
  std::vector<std::string> records;
  const std::string image = Read();
  const std::string header = image.substr(0, kLogHeaderBytes);
  for (std::uint64_t i = 0; i < 50; ++i) records.push_back(ForgeRecord(*honest->LeafAt(i)));
  auto join = [&](const std::vector<std::string>& rs) {
    std::string out = header;
    for (const auto& r : rs) out += r;
    return out;
  };
  ASSERT_EQ(join(records), image);
  const std::string copy = (dir_ / "copy.log").string();

  struct Case {
    const char* what;
    std::vector<std::string> records;
    std::uint64_t first_bad;
  };
  std::vector<Case> cases;
  {
    auto rs = records;
    Entry e = MakeEntry(17);
    e.kind = "vote";
    rs[17] = ForgeRecord(*EncodeEntry(e));
    cases.push_back({"changed", rs, 17});
  }
  {
    auto rs = records;
    rs.erase(rs.begin() + 33);
    rs.push_back(ForgeRecord(*EncodeEntry(MakeEntry(99))));  // keep the size
    cases.push_back({"removed", rs, 33});
  }
  {
    auto rs = records;
    std::swap(rs[8], rs[9]);
    cases.push_back({"reordered", rs, 8});
  }
  {
    auto rs = records;
    rs.insert(rs.begin() + 41, ForgeRecord(*EncodeEntry(MakeEntry(77))));
    cases.push_back({"inserted", rs, 41});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Write(join(c.records), copy);
    // 1. Against the signed head: the root does not match.
    auto r = VerifyLogFile(copy, &sth, SigSuite::kMlDsa65Ed25519, pk);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
    EXPECT_NE(r.status().message().find("does not match the signed head"), std::string::npos);
    // 2. Against the honest log: the first differing entry is named.
    auto tampered = Ledger::Open(copy, ReadOnly());
    ASSERT_TRUE(tampered.ok()) << tampered.status().message();
    EXPECT_EQ(honest->FirstDifference(**tampered), c.first_bad);
    // 3. The honest inclusion proof for that index fails for the copy's entry there.
    auto proof = *honest->InclusionProofFor(c.first_bad, 50);
    const Hash copy_leaf = *(*tampered)->LeafHashAt(c.first_bad);
    EXPECT_FALSE(VerifyInclusion(copy_leaf, c.first_bad, 50, proof.audit_path, sth.head.root_hash));
    for (std::uint64_t i = 0; i < c.first_bad; ++i) {
      auto p = *honest->InclusionProofFor(i, 50);
      ASSERT_TRUE(
          VerifyInclusion(*(*tampered)->LeafHashAt(i), i, 50, p.audit_path, sth.head.root_hash));
    }
  }
  // A forger who does not fix the check is named by the file scan itself.
  std::string raw = image;
  raw[raw.size() - 5] ^= 1;
  Write(raw, copy);
  auto r = VerifyLogFile(copy, &sth, SigSuite::kMlDsa65Ed25519, pk);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("entry 49"), std::string::npos) << r.status().message();
  // A truncated copy is missing entries.
  Write(join(std::vector<std::string>(records.begin(), records.begin() + 45)), copy);
  r = VerifyLogFile(copy, &sth, SigSuite::kMlDsa65Ed25519, pk);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("from index 45"), std::string::npos);
  // A longer honest copy still matches the older head.
  EXPECT_TRUE(VerifyLogFile(path_, &sth, SigSuite::kMlDsa65Ed25519, pk).ok());
}

TEST_F(LedgerFileTest, EntryChangedOnDiskAfterOpenIsReported) {
  Fill(3);
  auto l = OpenOrDie(true);
  std::string image = Read();
  image[image.size() - 4] ^= 1;
  Write(image);
  auto e = l->EntryAt(2);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("entry 2"), std::string::npos);
  EXPECT_TRUE(l->EntryAt(1).ok());
  EXPECT_FALSE(l->Append(MakeEntry(3)).ok());  // read-only
}

// Batches of 4096 leaves or more are hashed on two threads: the records, the leaf hashes and the
// tree must be exactly what hashing one leaf at a time gives, in batch order, and survive a
// reopen (which re-hashes every record from the file). Two producers append such batches at once
// while a reader checks proofs against the heads it sees.
TEST_F(LedgerFileTest, LargeBatchesFromTwoProducersMatchLeafByLeafHashing) {
  constexpr std::size_t kBatch = 5000;  // over the two-thread threshold, odd halves
  std::vector<std::vector<std::string>> batches(4);
  for (std::size_t b = 0; b < batches.size(); ++b) {
    for (std::size_t i = 0; i < kBatch + b; ++i) {
      batches[b].push_back(*EncodeEntry(MakeEntry(b * 100000 + i)));
    }
  }
  std::vector<std::uint64_t> firsts(batches.size());
  {
    auto l = OpenOrDie();
    ASSERT_NE(l, nullptr);
    std::atomic<bool> done{false};
    std::atomic<int> bad{0};
    std::thread reader([&] {
      while (!done) {
        const TreeHead h = l->Head();
        if (h.tree_size == 0) continue;
        auto p = l->InclusionProofFor(h.tree_size - 1, h.tree_size);
        auto root = l->Root(h.tree_size);
        if (!p.ok() || !root.ok() ||
            !VerifyInclusion(p->leaf_hash, h.tree_size - 1, h.tree_size, p->audit_path, *root)) {
          ++bad;
        }
      }
    });
    auto produce = [&](std::size_t from) {
      for (std::size_t b = from; b < batches.size(); b += 2) {
        auto first = l->AppendLeaves(batches[b]);
        if (first.ok())
          firsts[b] = *first;
        else
          ++bad;
      }
    };
    std::thread other(produce, 1);
    produce(0);
    other.join();
    done = true;
    reader.join();
    EXPECT_EQ(bad.load(), 0);
  }
  // Each batch is contiguous, and the tree is the one built leaf by leaf in log order.
  std::vector<std::pair<std::uint64_t, std::size_t>> order;
  for (std::size_t b = 0; b < batches.size(); ++b) order.emplace_back(firsts[b], b);
  std::sort(order.begin(), order.end());
  MerkleTree expected;
  for (const auto& [first, b] : order) {
    EXPECT_EQ(first, expected.size());
    for (const auto& leaf : batches[b]) expected.AppendLeafHash(LeafHash(AsBytes(leaf)));
  }
  auto l = OpenOrDie(/*read_only=*/true);
  ASSERT_NE(l, nullptr);
  ASSERT_EQ(l->size(), expected.size());
  EXPECT_EQ(l->Head().root_hash, expected.Root());
  const auto& [first, b] = order.back();
  EXPECT_EQ(*l->LeafAt(first + kBatch / 2), batches[b][kBatch / 2]);
}

TEST(LedgerThreads, ConcurrentAppendsAndProofs) {
  auto l = Ledger::InMemory(WithKey());
  constexpr int kWriters = 4, kPerWriter = 500;
  std::vector<std::thread> threads;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        if (!l->Append(MakeEntry(static_cast<std::uint64_t>(w * kPerWriter + i))).ok()) ++bad;
      }
    });
  }
  threads.emplace_back([&] {
    while (!done) {
      const TreeHead h = l->Head();
      if (h.tree_size == 0) continue;
      const std::uint64_t i = h.tree_size / 2;
      auto p = l->InclusionProofFor(i, h.tree_size);
      auto root = l->Root(h.tree_size);
      if (!p.ok() || !root.ok() ||
          !VerifyInclusion(p->leaf_hash, i, h.tree_size, p->audit_path, *root)) {
        ++bad;
      }
    }
  });
  for (int w = 0; w < kWriters; ++w) threads[static_cast<std::size_t>(w)].join();
  done = true;
  threads.back().join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(l->size(), static_cast<std::uint64_t>(kWriters * kPerWriter));
}

}  // namespace
}  // namespace entente::ledger
