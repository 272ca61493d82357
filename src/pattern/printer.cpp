// Canonical text of a parsed pattern (see ToString in ast.h).
#include <string>

#include "entente/base/bytes.h"
#include "entente/pattern/ast.h"

namespace entente::pattern {
namespace {

bool IsPlainIdentifier(std::string_view s) {
  if (s.empty()) return false;
  auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!start(s[0])) return false;
  for (char c : s) {
    if (!start(c) && !(c >= '0' && c <= '9')) return false;
  }
  // Words the lexer reads as keywords or booleans must be quoted.
  static constexpr std::string_view kReserved[] = {
      "AND",      "OR",      "NOT",   "FOLLOWEDBY", "LIKE",  "MATCHES", "ISSUPERSET",
      "ISSUBSET", "EXISTS",  "LAST",  "IN",         "START", "STOP",    "SECONDS",
      "WITHIN",   "REPEATS", "TIMES", "true",       "false"};
  for (auto r : kReserved) {
    if (s == r) return false;
  }
  return true;
}

void AppendQuotedString(std::string& out, std::string_view s) {
  out.push_back('\'');
  for (char c : s) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
}

int Precedence(ObservationExpr::Kind k) {
  switch (k) {
    case ObservationExpr::Kind::kFollowedBy:
      return 1;
    case ObservationExpr::Kind::kOr:
      return 2;
    case ObservationExpr::Kind::kAnd:
      return 3;
    default:
      return 4;
  }
}

void AppendComparisonExpr(std::string& out, const ComparisonExpr& e);

void AppendComparisonChild(std::string& out, const ComparisonExpr& parent,
                           const ComparisonExpr& child) {
  // AND binds tighter than OR; a same-kind child came from parentheses and keeps them.
  bool parens = child.kind != ComparisonExpr::Kind::kLeaf &&
                (child.kind == parent.kind || child.kind == ComparisonExpr::Kind::kOr);
  if (parens) out.push_back('(');
  AppendComparisonExpr(out, child);
  if (parens) out.push_back(')');
}

void AppendComparisonExpr(std::string& out, const ComparisonExpr& e) {
  if (e.kind == ComparisonExpr::Kind::kLeaf) {
    out += ToString(e.leaf);
    return;
  }
  const char* sep = e.kind == ComparisonExpr::Kind::kAnd ? " AND " : " OR ";
  for (std::size_t i = 0; i < e.children.size(); ++i) {
    if (i) out += sep;
    AppendComparisonChild(out, e, e.children[i]);
  }
}

void AppendObservationExpr(std::string& out, const ObservationExpr& e) {
  using K = ObservationExpr::Kind;
  switch (e.kind) {
    case K::kSimple:
      out.push_back('[');
      AppendComparisonExpr(out, e.comparison);
      out.push_back(']');
      return;
    case K::kAnd:
    case K::kOr:
    case K::kFollowedBy: {
      const char* sep = e.kind == K::kAnd ? " AND " : e.kind == K::kOr ? " OR " : " FOLLOWEDBY ";
      for (std::size_t i = 0; i < e.children.size(); ++i) {
        if (i) out += sep;
        const auto& c = e.children[i];
        bool parens = Precedence(c.kind) <= Precedence(e.kind);
        if (parens) out.push_back('(');
        AppendObservationExpr(out, c);
        if (parens) out.push_back(')');
      }
      return;
    }
    case K::kWithin:
    case K::kRepeats:
    case K::kStartStop: {
      const auto& c = e.children.at(0);
      bool parens = Precedence(c.kind) < 4;
      if (parens) out.push_back('(');
      AppendObservationExpr(out, c);
      if (parens) out.push_back(')');
      if (e.kind == K::kWithin) {
        out += " WITHIN " + e.within_text + " SECONDS";
      } else if (e.kind == K::kRepeats) {
        out += " REPEATS " + std::to_string(e.repeats) + " TIMES";
      } else {
        out += " START t'" + e.start_text + "' STOP t'" + e.stop_text + "'";
      }
      return;
    }
  }
}

}  // namespace

std::string_view CompareOpName(CompareOp op) noexcept {
  switch (op) {
    case CompareOp::kEqual:
      return "=";
    case CompareOp::kNotEqual:
      return "!=";
    case CompareOp::kLess:
      return "<";
    case CompareOp::kLessEqual:
      return "<=";
    case CompareOp::kGreater:
      return ">";
    case CompareOp::kGreaterEqual:
      return ">=";
    case CompareOp::kIn:
      return "IN";
    case CompareOp::kLike:
      return "LIKE";
    case CompareOp::kMatches:
      return "MATCHES";
    case CompareOp::kIsSubset:
      return "ISSUBSET";
    case CompareOp::kIsSuperset:
      return "ISSUPERSET";
    case CompareOp::kExists:
      return "EXISTS";
  }
  return "?";
}

std::string ObjectPath::ToString() const {
  std::string out = type;
  out.push_back(':');
  bool first = true;
  for (const auto& s : steps) {
    switch (s.kind) {
      case PathStep::Kind::kKey:
        if (!first) out.push_back('.');
        if (IsPlainIdentifier(s.key)) {
          out += s.key;
        } else {
          AppendQuotedString(out, s.key);
        }
        break;
      case PathStep::Kind::kIndex:
        out += "[" + std::to_string(s.index) + "]";
        break;
      case PathStep::Kind::kAnyIndex:
        out += "[*]";
        break;
    }
    first = false;
  }
  return out;
}

std::string ToString(const Literal& l) {
  std::string out;
  switch (l.kind) {
    case Literal::Kind::kString:
      AppendQuotedString(out, l.text);
      break;
    case Literal::Kind::kInt:
      out = std::to_string(l.integer);
      break;
    case Literal::Kind::kFloat:
      out = l.text;
      break;
    case Literal::Kind::kBool:
      out = l.boolean ? "true" : "false";
      break;
    case Literal::Kind::kHex:
      out = "h'" + HexEncode(AsBytes(l.text)) + "'";
      break;
    case Literal::Kind::kBinary:
      out = "b'" + Base64Encode(AsBytes(l.text)) + "'";
      break;
    case Literal::Kind::kTimestamp:
      out = "t'" + l.text + "'";
      break;
  }
  return out;
}

std::string ToString(const Comparison& c) {
  std::string out;
  if (c.op == CompareOp::kExists) {
    if (c.negated) out += "NOT ";
    out += "EXISTS ";
    out += c.path.ToString();
    return out;
  }
  out = c.path.ToString();
  out += c.negated ? " NOT " : " ";
  out += CompareOpName(c.op);
  out.push_back(' ');
  if (c.op == CompareOp::kIn) {
    out.push_back('(');
    for (std::size_t i = 0; i < c.values.size(); ++i) {
      if (i) out += ", ";
      out += ToString(c.values[i]);
    }
    out.push_back(')');
  } else if (!c.values.empty()) {
    out += ToString(c.values[0]);
  }
  return out;
}

std::string ToString(const ComparisonExpr& e) {
  std::string out;
  AppendComparisonExpr(out, e);
  return out;
}

std::string ToString(const ObservationExpr& e) {
  std::string out;
  AppendObservationExpr(out, e);
  return out;
}

std::string ToString(const Pattern& p) { return ToString(p.root); }

}  // namespace entente::pattern
