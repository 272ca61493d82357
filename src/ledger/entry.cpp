#include "entente/ledger/entry.h"

#include "entente/base/json.h"
#include "entente/base/time.h"

namespace entente::ledger {
namespace {

// json::AppendQuoted escapes exactly as RFC 8785 3.2.2.2 requires ('"', '\\', control
// characters; short forms where JSON has them, else \u00xx lowercase), so it is the JCS string
// form; tests/ledger/entry_test.cpp checks it against the stix module's canonicaliser.
void AppendJcsString(std::string& out, std::string_view s) { json::AppendQuoted(out, s); }

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Printable: no control characters (ids never need them and they make logs unreadable).
Status CheckId(std::string_view value, const char* member, bool required) {
  if (value.empty()) {
    if (!required) return Status::Ok();
    return Status::InvalidArgument(std::string("entry ") + member + ": required, missing or empty");
  }
  if (value.size() > kMaxIdBytes) {
    return Status::InvalidArgument(std::string("entry ") + member + ": longer than " +
                                   std::to_string(kMaxIdBytes) + " bytes");
  }
  if (!json::IsValidUtf8(value)) {
    return Status::InvalidArgument(std::string("entry ") + member + ": not valid UTF-8");
  }
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument(std::string("entry ") + member +
                                     ": contains a control character");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateEntry(const Entry& e) {
  if (e.kind.empty() || e.kind.size() > 32 || e.kind[0] < 'a' || e.kind[0] > 'z') {
    return Status::InvalidArgument("entry kind: must be 1-32 characters starting with a-z");
  }
  for (char c : e.kind) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return Status::InvalidArgument("entry kind: only a-z, 0-9, '_' and '-' are allowed");
    }
  }
  if (!IsValidTimestamp(e.time)) {
    return Status::InvalidArgument("entry time: not an RFC 3339 UTC timestamp: '" +
                                   e.time.substr(0, 64) + "'");
  }
  ENTENTE_RETURN_IF_ERROR(CheckId(e.actor, "actor", true));
  ENTENTE_RETURN_IF_ERROR(CheckId(e.subject, "subject", true));
  if (!e.subject_version.empty() && !IsValidTimestamp(e.subject_version)) {
    return Status::InvalidArgument("entry subject_version: not an RFC 3339 UTC timestamp");
  }
  if (!e.payload_hash.empty()) {
    const std::size_t colon = e.payload_hash.find(':');
    const std::string_view alg = std::string_view(e.payload_hash).substr(0, colon);
    bool ok = colon != std::string::npos && !alg.empty() && alg.size() <= 16;
    for (char c : alg) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    if (ok) {
      const std::string_view hex = std::string_view(e.payload_hash).substr(colon + 1);
      ok = hex.size() >= 32 && hex.size() <= 128 && hex.size() % 2 == 0;
      for (char c : hex) ok = ok && IsLowerHex(c);
    }
    if (!ok) {
      return Status::InvalidArgument(
          "entry payload_hash: expected '<alg>:<lowercase hex>', e.g. 'sha256:' and 64 digits");
    }
  }
  return Status::Ok();
}

void AppendCanonicalEntry(const Entry& e, std::string& out) {
  // Members in JCS order (UTF-16 code unit order of the ASCII names = byte order).
  out += "{\"actor\":";
  AppendJcsString(out, e.actor);
  out += ",\"kind\":";
  AppendJcsString(out, e.kind);
  if (!e.payload_hash.empty()) {
    out += ",\"payload_hash\":";
    AppendJcsString(out, e.payload_hash);
  }
  out += ",\"subject\":";
  AppendJcsString(out, e.subject);
  if (!e.subject_version.empty()) {
    out += ",\"subject_version\":";
    AppendJcsString(out, e.subject_version);
  }
  out += ",\"time\":";
  AppendJcsString(out, e.time);
  out += ",\"v\":1}";
}

Result<std::string> EncodeEntry(const Entry& entry) {
  ENTENTE_RETURN_IF_ERROR(ValidateEntry(entry));
  std::string out;
  out.reserve(160 + entry.actor.size() + entry.subject.size());
  AppendCanonicalEntry(entry, out);
  if (out.size() > kMaxEntryBytes) {
    return Status::LimitExceeded("entry: encodes to " + std::to_string(out.size()) +
                                 " bytes, over the " + std::to_string(kMaxEntryBytes) + " limit");
  }
  return out;
}

Result<Entry> DecodeEntry(std::string_view leaf) {
  if (leaf.size() > kMaxEntryBytes) {
    return Status::LimitExceeded("entry: " + std::to_string(leaf.size()) + " bytes, over the " +
                                 std::to_string(kMaxEntryBytes) + " limit");
  }
  json::ParseLimits limits;
  limits.max_bytes = kMaxEntryBytes;
  limits.max_depth = 2;
  limits.max_container_size = 16;
  json::Document doc;
  ENTENTE_RETURN_IF_ERROR(doc.Parse(leaf, limits));
  json::Node root = doc.root();
  if (!root.is_object()) return Status::InvalidArgument("entry: not a JSON object");
  Entry e;
  bool have_v = false;
  for (auto [key, value] : root) {
    if (key == "v") {
      if (value.as_int64() != 1) return Status::Unsupported("entry v: only version 1 is known");
      have_v = true;
      continue;
    }
    std::string* field = key == "kind"              ? &e.kind
                         : key == "time"            ? &e.time
                         : key == "actor"           ? &e.actor
                         : key == "subject"         ? &e.subject
                         : key == "subject_version" ? &e.subject_version
                         : key == "payload_hash"    ? &e.payload_hash
                                                    : nullptr;
    if (field == nullptr) {
      return Status::InvalidArgument("entry: unknown member '" + std::string(key.substr(0, 64)) +
                                     "'");
    }
    if (!value.is_string()) {
      return Status::InvalidArgument("entry " + std::string(key) + ": must be a string");
    }
    *field = std::string(value.str());
  }
  if (!have_v) return Status::InvalidArgument("entry v: required, missing");
  ENTENTE_RETURN_IF_ERROR(ValidateEntry(e));
  std::string canonical;
  AppendCanonicalEntry(e, canonical);
  if (canonical != leaf) {
    return Status::InvalidArgument(
        "entry: not in canonical (RFC 8785) form; an empty optional member must be omitted");
  }
  return e;
}

}  // namespace entente::ledger
