// Fuzzes what a node reads from others: signed tree head JSON, proof JSON, log file copies and
// entries. The first byte picks the decoder. Parsed values must re-encode to text that parses to
// the same value, and verification of whatever parsed must not crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "entente/ledger/ledger.h"

using namespace entente::ledger;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      auto sth = ParseSignedTreeHead(in);
      if (sth.ok()) {
        auto again = ParseSignedTreeHead(ToJson(*sth));
        if (!again.ok() || ToJson(*again) != ToJson(*sth)) std::abort();
        (void)VerifyTreeHead(*sth, sth->sig_suite, {});
      }
      break;
    }
    case 1: {
      auto p = ParseInclusionProof(in);
      if (p.ok()) {
        auto again = ParseInclusionProof(ToJson(*p));
        if (!again.ok() || ToJson(*again) != ToJson(*p)) std::abort();
        (void)VerifyInclusion(p->leaf_hash, p->leaf_index, p->tree_size, p->audit_path,
                              p->leaf_hash);
        (void)RootFromInclusionProof(p->leaf_hash, p->leaf_index, p->tree_size, p->audit_path);
      }
      break;
    }
    case 2: {
      auto p = ParseConsistencyProof(in);
      if (p.ok()) {
        auto again = ParseConsistencyProof(ToJson(*p));
        if (!again.ok() || ToJson(*again) != ToJson(*p)) std::abort();
        (void)VerifyConsistency(p->first_size, p->second_size, EmptyRoot(), EmptyRoot(), p->path);
      }
      break;
    }
    case 3: {
      auto scan = ScanLog(in, /*decode_entries=*/true);
      if (scan.ok()) {
        if (scan->valid_bytes > in.size()) std::abort();
        MerkleTree tree;
        for (const Hash& h : scan->leaf_hashes) tree.AppendLeafHash(h);
        const std::uint64_t n = tree.size();
        if (n > 0) {
          auto proof = tree.InclusionProof(n / 2, n);
          if (!proof.ok() || !VerifyInclusion(tree.leaf_hash(n / 2), n / 2, n, *proof, tree.Root()))
            std::abort();
          auto c = tree.ConsistencyProof(n / 2, n);
          if (!c.ok() || !VerifyConsistency(n / 2, n, *tree.Root(n / 2), tree.Root(), *c))
            std::abort();
        }
      }
      break;
    }
    default: {
      auto e = DecodeEntry(in);
      if (e.ok()) {
        auto enc = EncodeEntry(*e);
        if (!enc.ok() || *enc != in) std::abort();
      }
      break;
    }
  }
  return 0;
}
