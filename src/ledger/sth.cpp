#include "entente/ledger/sth.h"

#include "entente/base/json.h"
#include "entente/base/time.h"
#include "entente/crypto/envelope.h"

namespace entente::ledger {
namespace {

using crypto::hybrid::SigSuite;

constexpr SigSuite kSuites[] = {SigSuite::kMlDsa65Ed25519, SigSuite::kMlDsa87Ed25519,
                                SigSuite::kMlDsa44Ed25519};

json::Value HashArray(const std::vector<Hash>& hashes) {
  json::Value a = json::Value::MakeArray();
  for (const Hash& h : hashes) a.array().emplace_back(HashToHex(h));
  return a;
}

// A strict view over one parsed JSON object: every member read must exist with the right kind,
// and Finish() rejects members that were never read.
class Reader {
 public:
  Reader(json::Node root, std::string_view what) : root_(root), what_(what) {}

  Status Object() const {
    if (!root_.is_object()) return Status::InvalidArgument(what_ + ": not a JSON object");
    return Status::Ok();
  }
  Result<std::string_view> String(std::string_view key) {
    json::Node n = Get(key);
    if (!n.is_string()) return Missing(key, "a string");
    return n.str();
  }
  Result<std::uint64_t> Size(std::string_view key) {
    json::Node n = Get(key);
    auto v = n.as_int64();
    if (!n.is_number() || !v || *v < 0) return Missing(key, "a non-negative integer");
    return static_cast<std::uint64_t>(*v);
  }
  Result<Hash> HashMember(std::string_view key) {
    ENTENTE_ASSIGN_OR_RETURN(std::string_view hex, String(key));
    return HashFromHex(hex, what_ + " " + std::string(key));
  }
  Result<std::vector<Hash>> Hashes(std::string_view key) {
    json::Node n = Get(key);
    if (!n.is_array()) return Missing(key, "an array of hex hashes");
    if (n.size() > kMaxProofHashes) {
      return Status::LimitExceeded(what_ + " " + std::string(key) + ": more than " +
                                   std::to_string(kMaxProofHashes) + " hashes");
    }
    std::vector<Hash> out;
    out.reserve(n.size());
    std::size_t i = 0;
    for (auto [unused, item] : n) {
      (void)unused;
      if (!item.is_string()) return Missing(key, "an array of hex hashes");
      ENTENTE_ASSIGN_OR_RETURN(Hash h, HashFromHex(item.str(), what_ + " " + std::string(key) +
                                                                   "[" + std::to_string(i) + "]"));
      out.push_back(h);
      ++i;
    }
    return out;
  }
  Status Finish() const {
    if (root_.size() != read_) {
      for (auto [key, unused] : root_) {
        (void)unused;
        bool known = false;
        for (auto k : keys_) known = known || k == key;
        if (!known) {
          return Status::InvalidArgument(what_ + ": unknown member '" +
                                         std::string(key.substr(0, 64)) + "'");
        }
      }
    }
    return Status::Ok();
  }

 private:
  json::Node Get(std::string_view key) {
    json::Node n = root_[key];
    if (!n.missing()) {
      ++read_;
      keys_.push_back(key);
    }
    return n;
  }
  Status Missing(std::string_view key, const char* expected) const {
    return Status::InvalidArgument(what_ + " " + std::string(key) + ": expected " + expected);
  }
  json::Node root_;
  std::string what_;
  std::size_t read_ = 0;
  std::vector<std::string_view> keys_;
};

json::ParseLimits Limits() {
  json::ParseLimits l;
  l.max_bytes = kMaxJsonBytes;
  l.max_depth = 4;
  l.max_container_size = 1024;
  return l;
}

constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 62;

}  // namespace

std::string TreeHead::SignedBytes() const {
  // Canonical (JCS) by construction: members in byte order, no spaces; the strings are hex or
  // a timestamp, and are checked for being plain ASCII when parsed.
  return "{\"log_id\":\"" + log_id + "\",\"root_hash\":\"" + HashToHex(root_hash) +
         "\",\"timestamp\":\"" + timestamp + "\",\"tree_size\":" + std::to_string(tree_size) + "}";
}

std::string LogIdFor(SigSuite suite, ByteView public_key) {
  return HexEncode(crypto::envelope::SigKeyId(suite, public_key));
}

Result<SignedTreeHead> SignTreeHead(const TreeHead& head,
                                    const crypto::hybrid::SigPrivateKey& key) {
  if (head.log_id != LogIdFor(key.suite(), key.public_key())) {
    return Status::InvalidArgument("tree head log id '" + head.log_id +
                                   "' is not the signing key's id");
  }
  if (!IsValidTimestamp(head.timestamp)) {
    return Status::InvalidArgument("tree head timestamp is not RFC 3339: '" + head.timestamp + "'");
  }
  SignedTreeHead sth;
  sth.head = head;
  sth.sig_suite = key.suite();
  const std::string msg = head.SignedBytes();
  ENTENTE_ASSIGN_OR_RETURN(sth.signature, key.Sign(AsBytes(msg), AsBytes(kSthContext)));
  return sth;
}

Status VerifyTreeHead(const SignedTreeHead& sth, SigSuite suite, ByteView public_key) {
  if (sth.sig_suite != suite) {
    return Status::CryptoError("tree head is signed with " +
                               std::string(crypto::hybrid::Name(sth.sig_suite)) + ", the key is " +
                               std::string(crypto::hybrid::Name(suite)));
  }
  if (sth.head.log_id != LogIdFor(suite, public_key)) {
    return Status::CryptoError("tree head log id " + sth.head.log_id.substr(0, 64) +
                               " is not the given key's id " + LogIdFor(suite, public_key));
  }
  const std::string msg = sth.head.SignedBytes();
  if (!crypto::hybrid::SigVerify(suite, public_key, AsBytes(msg), sth.signature,
                                 AsBytes(kSthContext))) {
    return Status::CryptoError("tree head signature does not verify (size " +
                               std::to_string(sth.head.tree_size) + ")");
  }
  return Status::Ok();
}

std::string ToJson(const SignedTreeHead& sth) {
  json::Value v = json::Value::MakeObject();
  v.set("log_id", sth.head.log_id);
  v.set("root_hash", HashToHex(sth.head.root_hash));
  v.set("sig_suite", std::string(crypto::hybrid::Name(sth.sig_suite)));
  v.set("signature", Base64Encode(sth.signature));
  v.set("timestamp", sth.head.timestamp);
  v.set("tree_size", sth.head.tree_size);
  return v.Serialize();
}

std::string ToJson(const InclusionProof& p) {
  json::Value v = json::Value::MakeObject();
  v.set("type", "inclusion");
  v.set("leaf_index", p.leaf_index);
  v.set("tree_size", p.tree_size);
  v.set("leaf_hash", HashToHex(p.leaf_hash));
  v.set("audit_path", HashArray(p.audit_path));
  return v.Serialize();
}

std::string ToJson(const ConsistencyProof& p) {
  json::Value v = json::Value::MakeObject();
  v.set("type", "consistency");
  v.set("first_size", p.first_size);
  v.set("second_size", p.second_size);
  v.set("path", HashArray(p.path));
  return v.Serialize();
}

Result<SignedTreeHead> ParseSignedTreeHead(std::string_view text) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, Limits()).WithContext("tree head"));
  Reader r(doc.root(), "tree head");
  ENTENTE_RETURN_IF_ERROR(r.Object());
  SignedTreeHead sth;
  ENTENTE_ASSIGN_OR_RETURN(std::string_view log_id, r.String("log_id"));
  if (log_id.empty() || log_id.size() > 128) {
    return Status::InvalidArgument("tree head log_id: expected 1-128 hex digits");
  }
  for (char c : log_id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return Status::InvalidArgument("tree head log_id: expected lowercase hex");
    }
  }
  sth.head.log_id = std::string(log_id);
  ENTENTE_ASSIGN_OR_RETURN(sth.head.root_hash, r.HashMember("root_hash"));
  ENTENTE_ASSIGN_OR_RETURN(std::string_view suite, r.String("sig_suite"));
  bool found = false;
  for (SigSuite s : kSuites) {
    if (crypto::hybrid::Name(s) == suite) {
      sth.sig_suite = s;
      found = true;
    }
  }
  if (!found) {
    return Status::Unsupported("tree head sig_suite: unknown suite '" +
                               std::string(suite.substr(0, 64)) + "'");
  }
  ENTENTE_ASSIGN_OR_RETURN(std::string_view sig, r.String("signature"));
  auto sig_bytes = Base64Decode(sig);
  if (!sig_bytes.ok()) return sig_bytes.status().WithContext("tree head signature");
  sth.signature = std::move(*sig_bytes);
  ENTENTE_ASSIGN_OR_RETURN(std::string_view ts, r.String("timestamp"));
  if (!IsValidTimestamp(ts)) {
    return Status::InvalidArgument("tree head timestamp: not an RFC 3339 UTC timestamp");
  }
  sth.head.timestamp = std::string(ts);
  ENTENTE_ASSIGN_OR_RETURN(sth.head.tree_size, r.Size("tree_size"));
  if (sth.head.tree_size > kMaxSize) return Status::LimitExceeded("tree head tree_size: too large");
  ENTENTE_RETURN_IF_ERROR(r.Finish());
  return sth;
}

Result<InclusionProof> ParseInclusionProof(std::string_view text) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, Limits()).WithContext("inclusion proof"));
  Reader r(doc.root(), "inclusion proof");
  ENTENTE_RETURN_IF_ERROR(r.Object());
  ENTENTE_ASSIGN_OR_RETURN(std::string_view type, r.String("type"));
  if (type != "inclusion") return Status::InvalidArgument("inclusion proof type: not 'inclusion'");
  InclusionProof p;
  ENTENTE_ASSIGN_OR_RETURN(p.leaf_index, r.Size("leaf_index"));
  ENTENTE_ASSIGN_OR_RETURN(p.tree_size, r.Size("tree_size"));
  if (p.tree_size > kMaxSize) return Status::LimitExceeded("inclusion proof tree_size: too large");
  ENTENTE_ASSIGN_OR_RETURN(p.leaf_hash, r.HashMember("leaf_hash"));
  ENTENTE_ASSIGN_OR_RETURN(p.audit_path, r.Hashes("audit_path"));
  ENTENTE_RETURN_IF_ERROR(r.Finish());
  return p;
}

Result<ConsistencyProof> ParseConsistencyProof(std::string_view text) {
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(text, Limits()).WithContext("consistency proof"));
  Reader r(doc.root(), "consistency proof");
  ENTENTE_RETURN_IF_ERROR(r.Object());
  ENTENTE_ASSIGN_OR_RETURN(std::string_view type, r.String("type"));
  if (type != "consistency") {
    return Status::InvalidArgument("consistency proof type: not 'consistency'");
  }
  ConsistencyProof p;
  ENTENTE_ASSIGN_OR_RETURN(p.first_size, r.Size("first_size"));
  ENTENTE_ASSIGN_OR_RETURN(p.second_size, r.Size("second_size"));
  if (p.second_size > kMaxSize) {
    return Status::LimitExceeded("consistency proof second_size: too large");
  }
  ENTENTE_ASSIGN_OR_RETURN(p.path, r.Hashes("path"));
  ENTENTE_RETURN_IF_ERROR(r.Finish());
  return p;
}

}  // namespace entente::ledger
