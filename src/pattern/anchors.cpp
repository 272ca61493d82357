// The anchor compiler (see anchors.h for the contract).
#include "entente/pattern/anchors.h"

#include <algorithm>
#include <optional>

#include "cidr.h"
#include "entente/pattern/evaluator.h"

namespace entente::pattern {
namespace {

using internal::Cidr;

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool KeyIs(const PathStep& s, std::string_view key) {
  return s.kind == PathStep::Kind::kKey && s.key == key;
}

// The scope and kind of an indexable path, or nullopt. `kind` may be refined by the value.
struct Scope {
  std::string scope;
  std::optional<AnchorKind> kind;  // nullopt: infer from the value (IP or domain)
  bool ip_value = false;           // the property holds an IP address (CIDR anchors allowed)
};

std::optional<Scope> IndexedScope(const ObjectPath& path) {
  const auto& t = path.type;
  const auto& s = path.steps;
  auto one = [&](std::string_view key) { return s.size() == 1 && KeyIs(s[0], key); };
  if (one("value")) {
    if (t == "ipv4-addr") return Scope{"ipv4-addr:value", AnchorKind::kIpv4, true};
    if (t == "ipv6-addr") return Scope{"ipv6-addr:value", AnchorKind::kIpv6, true};
    if (t == "domain-name") return Scope{"domain-name:value", AnchorKind::kDomain, false};
    if (t == "url") return Scope{"url:value", AnchorKind::kUrl, false};
    if (t == "email-addr") return Scope{"email-addr:value", AnchorKind::kEmail, false};
  }
  if (s.size() == 2 && KeyIs(s[0], "hashes") && s[1].kind == PathStep::Kind::kKey &&
      (t == "file" || t == "artifact" || t == "x509-certificate")) {
    // The scope is the canonical object path: "file:hashes.'SHA-256'", "file:hashes.MD5".
    ObjectPath canonical{
        t, {s[0], PathStep{PathStep::Kind::kKey, NormalizeHashAlgorithm(s[1].key), 0}}};
    return Scope{canonical.ToString(), AnchorKind::kHash, false};
  }
  if (t == "x509-certificate" && one("serial_number")) {
    return Scope{"x509-certificate:serial_number", AnchorKind::kX509Serial, false};
  }
  if (t == "windows-registry-key" && one("key")) {
    return Scope{"windows-registry-key:key", AnchorKind::kRegistryKey, false};
  }
  if (t == "mutex" && one("name")) return Scope{"mutex:name", AnchorKind::kMutex, false};
  if (t == "network-traffic" && s.size() == 2 && KeyIs(s[1], "value") &&
      (KeyIs(s[0], "dst_ref") || KeyIs(s[0], "src_ref"))) {
    return Scope{"network-traffic:" + s[0].key + ".value", std::nullopt, true};
  }
  if (t == "email-message" && s.size() == 2 && KeyIs(s[1], "value") &&
      (KeyIs(s[0], "from_ref") || KeyIs(s[0], "sender_ref"))) {
    return Scope{"email-message:" + s[0].key + ".value", AnchorKind::kEmail, false};
  }
  if (t == "network-traffic" && s.size() == 4 && KeyIs(s[0], "extensions") &&
      KeyIs(s[1], "http-request-ext") && KeyIs(s[2], "request_header") &&
      s[3].kind == PathStep::Kind::kKey && LowerAscii(s[3].key) == "user-agent") {
    return Scope{"network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
                 AnchorKind::kUserAgent, false};
  }
  return std::nullopt;
}

std::optional<Anchor> MakeAnchor(const Scope& scope, const std::string& value, bool subset_op) {
  Anchor a;
  a.scope = scope.scope;
  if (scope.ip_value) {
    if (auto c = Cidr::Parse(value)) {
      a.kind = c->v6 ? AnchorKind::kIpv6 : AnchorKind::kIpv4;
      // "1.2.3.4/32" holds one address: an exact anchor.
      a.is_cidr = c->prefix != (c->v6 ? 128 : 32);
      a.value = c->ToString(true);
      return a;
    }
    if (subset_op) return std::nullopt;
    if (scope.kind && (*scope.kind == AnchorKind::kIpv4 || *scope.kind == AnchorKind::kIpv6)) {
      // Not an address: the value can still only match itself.
      a.kind = *scope.kind;
      a.value = value;
      return a;
    }
    a.kind = AnchorKind::kDomain;  // a dst_ref/src_ref to a domain-name
    a.value = LowerAscii(value);
    return a;
  }
  if (subset_op) return std::nullopt;
  a.kind = *scope.kind;
  switch (a.kind) {
    case AnchorKind::kHash:
    case AnchorKind::kDomain:
    case AnchorKind::kRegistryKey:
      a.value = LowerAscii(value);
      break;
    default:
      a.value = value;
  }
  return a;
}

std::string Why(const Comparison& c, std::string_view what) {
  return "column " + std::to_string(c.column) + ": " + ToString(c) + " (" + std::string(what) + ")";
}

AnchorSet Unanchored(std::string reason) {
  AnchorSet s;
  s.reason = std::move(reason);
  return s;
}

// Lower is more selective.
std::size_t Cost(const AnchorSet& s) {
  std::size_t cost = 0;
  for (const auto& a : s.anchors) cost += a.is_cidr ? 1000 : 1;
  return cost;
}

void Dedupe(std::vector<Anchor>& v) {
  std::vector<Anchor> out;
  for (auto& a : v) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(std::move(a));
  }
  v = std::move(out);
}

AnchorSet Combine(std::vector<AnchorSet> parts, bool conjunction, std::size_t max) {
  if (conjunction) {
    const AnchorSet* best = nullptr;
    for (const auto& p : parts) {
      if (p.anchored && (!best || Cost(p) < Cost(*best))) best = &p;
    }
    if (best) return *best;
    return parts.empty() ? Unanchored("empty expression") : parts.front();
  }
  AnchorSet out;
  out.anchored = true;
  for (auto& p : parts) {
    if (!p.anchored) return p;
    for (auto& a : p.anchors) out.anchors.push_back(std::move(a));
  }
  Dedupe(out.anchors);
  if (out.anchors.size() > max) {
    return Unanchored("more than " + std::to_string(max) + " anchors");
  }
  return out;
}

AnchorSet FromLeaf(const Comparison& c) {
  if (c.negated) return Unanchored(Why(c, "NOT cannot be looked up in an index"));
  auto anchors = LeafAnchors(c);
  if (anchors.empty()) {
    if (!IndexedScope(c.path)) {
      return Unanchored(Why(c, "property is not indexed"));
    }
    if (c.op == CompareOp::kIn && c.values.empty()) {
      // An empty set never matches: no anchor is needed, but keep the contract simple.
      return Unanchored(Why(c, "empty IN set"));
    }
    return Unanchored(Why(c, std::string(CompareOpName(c.op)) + " cannot be looked up"));
  }
  AnchorSet s;
  s.anchored = true;
  s.anchors = std::move(anchors);
  Dedupe(s.anchors);
  return s;
}

AnchorSet FromComparison(const ComparisonExpr& e, std::size_t max) {
  if (e.kind == ComparisonExpr::Kind::kLeaf) return FromLeaf(e.leaf);
  std::vector<AnchorSet> parts;
  for (const auto& c : e.children) parts.push_back(FromComparison(c, max));
  return Combine(std::move(parts), e.kind == ComparisonExpr::Kind::kAnd, max);
}

AnchorSet FromObservation(const ObservationExpr& e, std::size_t max) {
  using K = ObservationExpr::Kind;
  switch (e.kind) {
    case K::kSimple:
      return FromComparison(e.comparison, max);
    case K::kWithin:
    case K::kRepeats:
    case K::kStartStop:
      return FromObservation(e.children.at(0), max);
    case K::kAnd:
    case K::kOr:
    case K::kFollowedBy: {
      std::vector<AnchorSet> parts;
      for (const auto& c : e.children) parts.push_back(FromObservation(c, max));
      return Combine(std::move(parts), e.kind != K::kOr, max);
    }
  }
  return Unanchored("unknown expression");
}

}  // namespace

std::string_view AnchorKindName(AnchorKind kind) noexcept {
  switch (kind) {
    case AnchorKind::kIpv4:
      return "ipv4";
    case AnchorKind::kIpv6:
      return "ipv6";
    case AnchorKind::kDomain:
      return "domain";
    case AnchorKind::kUrl:
      return "url";
    case AnchorKind::kEmail:
      return "email";
    case AnchorKind::kHash:
      return "hash";
    case AnchorKind::kX509Serial:
      return "x509-serial";
    case AnchorKind::kRegistryKey:
      return "registry-key";
    case AnchorKind::kMutex:
      return "mutex";
    case AnchorKind::kUserAgent:
      return "user-agent";
  }
  return "?";
}

std::vector<Anchor> LeafAnchors(const Comparison& c) {
  std::vector<Anchor> out;
  if (c.negated) return out;
  auto scope = IndexedScope(c.path);
  if (!scope) return out;
  switch (c.op) {
    case CompareOp::kEqual:
    case CompareOp::kIn:
      for (const auto& v : c.values) {
        // Only a string can equal the string properties indexed here.
        if (v.kind != Literal::Kind::kString) continue;
        if (auto a = MakeAnchor(*scope, v.text, false)) out.push_back(std::move(*a));
      }
      break;
    case CompareOp::kIsSubset:
      if (scope->ip_value && !c.values.empty()) {
        // Every address inside the block may match: a CIDR anchor (exact for a /32 or /128).
        if (auto a = MakeAnchor(*scope, c.values[0].text, true)) out.push_back(std::move(*a));
      }
      break;
    default:
      break;
  }
  return out;
}

AnchorSet CompileAnchors(const Pattern& pattern, std::size_t max_anchors) {
  AnchorSet s = FromObservation(pattern.root, max_anchors);
  if (!s.anchored) s.anchors.clear();
  return s;
}

}  // namespace entente::pattern
