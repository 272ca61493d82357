// Lexer and recursive descent parser for STIX 2.1 patterns (grammar: STIXPattern.g4).
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "entente/base/bytes.h"
#include "entente/base/json.h"
#include "entente/pattern/ast.h"

namespace entente::pattern {
namespace {

enum class Tok : std::uint8_t {
  kEnd,
  kLBrack,
  kRBrack,
  kLParen,
  kRParen,
  kColon,
  kDot,
  kComma,
  kAsterisk,
  kEq,
  kNeq,
  kLt,
  kLe,
  kGt,
  kGe,
  kIdent,
  kString,
  kInt,
  kFloat,
  kBool,
  kHex,
  kBinary,
  kTimestamp,
  kAnd,
  kOr,
  kNot,
  kFollowedBy,
  kLike,
  kMatches,
  kIsSuperset,
  kIsSubset,
  kExists,
  kIn,
  kStart,
  kStop,
  kSeconds,
  kWithin,
  kRepeats,
  kTimes,
  kLast,
};

struct Keyword {
  std::string_view text;
  Tok tok;
};
constexpr Keyword kKeywords[] = {
    {"AND", Tok::kAnd},
    {"OR", Tok::kOr},
    {"NOT", Tok::kNot},
    {"FOLLOWEDBY", Tok::kFollowedBy},
    {"LIKE", Tok::kLike},
    {"MATCHES", Tok::kMatches},
    {"ISSUPERSET", Tok::kIsSuperset},
    {"ISSUBSET", Tok::kIsSubset},
    {"EXISTS", Tok::kExists},
    {"IN", Tok::kIn},
    {"START", Tok::kStart},
    {"STOP", Tok::kStop},
    {"SECONDS", Tok::kSeconds},
    {"WITHIN", Tok::kWithin},
    {"REPEATS", Tok::kRepeats},
    {"TIMES", Tok::kTimes},
    {"LAST", Tok::kLast},
};

struct Token {
  Tok kind = Tok::kEnd;
  std::size_t offset = 0;  // byte offset of the first character
  std::size_t length = 0;
  bool has_hyphen = false;  // kIdent
  Literal literal;          // literal tokens
};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Length of the whitespace sequence (as the grammar's WS rule defines it) at `s`, or 0.
std::size_t WhitespaceAt(std::string_view s) {
  if (s.empty()) return 0;
  unsigned char c = static_cast<unsigned char>(s[0]);
  if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x0b || c == 0x0c) return 1;
  auto b = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; };
  if (c == 0xc2 && (b(1) == 0x85 || b(1) == 0xa0)) return 2;  // U+0085, U+00A0
  if (c == 0xe1 && b(1) == 0x9a && b(2) == 0x80) return 3;    // U+1680
  if (c == 0xe2 && b(1) == 0x80 &&
      ((b(2) >= 0x80 && b(2) <= 0x8a) || b(2) == 0xa8 || b(2) == 0xa9 || b(2) == 0xaf)) {
    return 3;  // U+2000..U+200A, U+2028, U+2029, U+202F
  }
  if (c == 0xe2 && b(1) == 0x81 && b(2) == 0x9f) return 3;  // U+205F
  if (c == 0xe3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  return 0;
}

class Parser {
 public:
  Parser(std::string_view text, const ParseLimits& limits) : text_(text), limits_(limits) {}

  Result<Pattern> Run() {
    if (text_.size() > limits_.max_length) {
      return Status::LimitExceeded("pattern is " + std::to_string(text_.size()) +
                                   " bytes, over the limit of " +
                                   std::to_string(limits_.max_length));
    }
    if (!json::IsValidUtf8(text_)) {
      std::size_t bad = 0;
      while (bad < text_.size()) {
        unsigned char c = static_cast<unsigned char>(text_[bad]);
        std::size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (bad + n > text_.size() || !json::IsValidUtf8(text_.substr(bad, n))) break;
        bad += n;
      }
      return Status::InvalidArgument("column " + std::to_string(ColumnOf(bad)) +
                                     ": the pattern is not valid UTF-8");
    }
    ENTENTE_RETURN_IF_ERROR(Advance());
    Pattern pattern;
    ENTENTE_ASSIGN_OR_RETURN(pattern.root, ParseFollowedBy());
    if (tok_.kind != Tok::kEnd) {
      return Unexpected("AND, OR, FOLLOWEDBY or a qualifier (WITHIN, REPEATS, START)");
    }
    pattern.node_count = nodes_;
    return pattern;
  }

 private:
  // 1-based column in code points.
  std::size_t ColumnOf(std::size_t offset) const {
    std::size_t col = 1;
    for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xc0) != 0x80) ++col;
    }
    return col;
  }

  Status ErrorAt(std::size_t offset, std::string_view message) const {
    return Status::InvalidArgument("column " + std::to_string(ColumnOf(offset)) + ": " +
                                   std::string(message));
  }

  std::string Describe(const Token& t) const {
    if (t.kind == Tok::kEnd) return "the end of the pattern";
    std::string_view s = text_.substr(t.offset, t.length);
    std::string out = "'";
    if (s.size() > 24) {
      // Cut at a code point boundary.
      std::size_t cut = 24;
      while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
      out.append(s.substr(0, cut));
      out += "...";
    } else {
      out.append(s);
    }
    out += "'";
    return out;
  }

  Status Unexpected(std::string_view expected) const {
    return ErrorAt(tok_.offset, "expected " + std::string(expected) + ", found " + Describe(tok_));
  }

  Status CountNode() {
    if (++nodes_ > limits_.max_nodes) {
      return Status::LimitExceeded("column " + std::to_string(ColumnOf(tok_.offset)) +
                                   ": the pattern has more than " +
                                   std::to_string(limits_.max_nodes) + " nodes");
    }
    return Status::Ok();
  }

  Status Enter() {
    if (++depth_ > limits_.max_depth) {
      return Status::LimitExceeded("column " + std::to_string(ColumnOf(tok_.offset)) +
                                   ": nesting deeper than " + std::to_string(limits_.max_depth));
    }
    return Status::Ok();
  }
  void Leave() { --depth_; }

  // Consumes the ')' of a parenthesis opened at byte `open` and leaves its nesting level.
  Status CloseParen(std::size_t open) {
    if (tok_.kind != Tok::kRParen) {
      return Unexpected("')' to close the parenthesis opened at column " +
                        std::to_string(ColumnOf(open)));
    }
    Leave();
    return Advance();
  }

  // ---- lexer ----

  Status Advance() {
    // Skip whitespace and comments.
    for (;;) {
      if (pos_ >= text_.size()) break;
      std::size_t ws = WhitespaceAt(text_.substr(pos_));
      if (ws) {
        pos_ += ws;
        continue;
      }
      if (text_.compare(pos_, 2, "/*") == 0) {
        std::size_t end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return ErrorAt(pos_, "unterminated comment");
        pos_ = end + 2;
        continue;
      }
      if (text_.compare(pos_, 2, "//") == 0) {
        while (pos_ < text_.size() && text_[pos_] != '\n' && text_[pos_] != '\r') ++pos_;
        continue;
      }
      break;
    }
    tok_ = Token{};
    tok_.offset = pos_;
    if (pos_ >= text_.size()) return Status::Ok();
    char c = text_[pos_];
    auto single = [&](Tok k, std::size_t n = 1) {
      tok_.kind = k;
      tok_.length = n;
      pos_ += n;
      return Status::Ok();
    };
    char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    switch (c) {
      case '[':
        return single(Tok::kLBrack);
      case ']':
        return single(Tok::kRBrack);
      case '(':
        return single(Tok::kLParen);
      case ')':
        return single(Tok::kRParen);
      case ':':
        return single(Tok::kColon);
      case ',':
        return single(Tok::kComma);
      case '*':
        return single(Tok::kAsterisk);
      case '=':
        return next == '=' ? single(Tok::kEq, 2) : single(Tok::kEq);
      case '!':
        if (next == '=') return single(Tok::kNeq, 2);
        return ErrorAt(pos_, "unexpected character '!' (did you mean '!='?)");
      case '<':
        if (next == '=') return single(Tok::kLe, 2);
        if (next == '>') return single(Tok::kNeq, 2);
        return single(Tok::kLt);
      case '>':
        return next == '=' ? single(Tok::kGe, 2) : single(Tok::kGt);
      case '\'':
        return LexString();
      default:
        break;
    }
    if (c == '.' && !IsDigit(next)) return single(Tok::kDot);
    if (IsDigit(c) || c == '+' || c == '-' || c == '.') return LexNumber();
    if ((c == 'h' || c == 'b' || c == 't') && next == '\'') return LexPrefixed(c);
    if (IsIdentStart(c)) return LexIdentifier();
    std::size_t n = 1;
    while (pos_ + n < text_.size() &&
           (static_cast<unsigned char>(text_[pos_ + n]) & 0xc0) == 0x80) {
      ++n;
    }
    return ErrorAt(pos_, "unexpected character '" + std::string(text_.substr(pos_, n)) + "'");
  }

  // Reads a quoted body starting at the opening quote; `raw` gets the decoded content.
  Status ReadQuoted(std::size_t quote, std::string& out, std::size_t& end, bool escapes) {
    out.clear();
    std::size_t i = quote + 1;
    for (;;) {
      if (i >= text_.size()) return ErrorAt(quote, "unterminated quoted literal");
      char c = text_[i];
      if (c == '\'') {
        end = i + 1;
        return Status::Ok();
      }
      if (c == '\\' && escapes) {
        char e = i + 1 < text_.size() ? text_[i + 1] : '\0';
        if (e != '\'' && e != '\\') {
          return ErrorAt(i, "invalid escape in string: only \\' and \\\\ are allowed");
        }
        out.push_back(e);
        i += 2;
        continue;
      }
      out.push_back(c);
      ++i;
    }
  }

  Status LexString() {
    std::size_t end = 0;
    tok_.literal.kind = Literal::Kind::kString;
    ENTENTE_RETURN_IF_ERROR(ReadQuoted(pos_, tok_.literal.text, end, true));
    tok_.kind = Tok::kString;
    tok_.length = end - pos_;
    pos_ = end;
    return Status::Ok();
  }

  Status LexPrefixed(char prefix) {
    std::size_t start = pos_;
    std::string body;
    std::size_t end = 0;
    ENTENTE_RETURN_IF_ERROR(ReadQuoted(pos_ + 1, body, end, false));
    tok_.length = end - start;
    pos_ = end;
    if (prefix == 'h') {
      for (std::size_t i = 0; i < body.size(); ++i) {
        if (!std::isxdigit(static_cast<unsigned char>(body[i]))) {
          return ErrorAt(start + 2 + i, "expected a hex digit in h'..'");
        }
      }
      if (body.size() % 2) return ErrorAt(start, "h'..' needs an even number of hex digits");
      auto bytes = HexDecode(body);
      if (!bytes.ok()) return ErrorAt(start, bytes.status().message());
      tok_.kind = Tok::kHex;
      tok_.literal.kind = Literal::Kind::kHex;
      tok_.literal.text.assign(AsChars(*bytes));
      return Status::Ok();
    }
    if (prefix == 'b') {
      if (body.empty() || body.size() % 4 != 0) {
        return ErrorAt(start, "b'..' needs padded base64 (a multiple of 4 characters, at least 4)");
      }
      auto bytes = Base64Decode(body);
      if (!bytes.ok())
        return ErrorAt(start, "invalid base64 in b'..': " + bytes.status().message());
      tok_.kind = Tok::kBinary;
      tok_.literal.kind = Literal::Kind::kBinary;
      tok_.literal.text.assign(AsChars(*bytes));
      return Status::Ok();
    }
    // t'..': the grammar requires YYYY-MM-DDTHH:MM:SS[.fff]Z; the calendar is checked too.
    // The grammar allows any number of fraction digits; nanoseconds keep the first nine.
    std::string for_value = body;
    if (auto dot = for_value.find('.'); dot != std::string::npos && for_value.size() > dot + 11) {
      std::size_t digits = for_value.size() - dot - 2;  // between '.' and 'Z'
      if (digits > 9) for_value.erase(dot + 10, digits - 9);
    }
    auto ts = ParseTimestamp(for_value, "timestamp literal");
    if (!ts.ok()) {
      return ErrorAt(start, "invalid timestamp t'" + body +
                                "' (expected YYYY-MM-DDTHH:MM:SS[.fraction]Z, a real UTC date)");
    }
    tok_.kind = Tok::kTimestamp;
    tok_.literal.kind = Literal::Kind::kTimestamp;
    tok_.literal.text = std::move(body);
    tok_.literal.timestamp = *ts;
    return Status::Ok();
  }

  Status LexNumber() {
    std::size_t start = pos_;
    std::size_t i = pos_;
    if (text_[i] == '+' || text_[i] == '-') {
      ++i;
    }
    std::size_t int_start = i;
    while (i < text_.size() && IsDigit(text_[i])) ++i;
    std::size_t int_len = i - int_start;
    bool is_float = false;
    if (i < text_.size() && text_[i] == '.') {
      std::size_t frac_start = i + 1;
      std::size_t j = frac_start;
      while (j < text_.size() && IsDigit(text_[j])) ++j;
      if (j == frac_start) return ErrorAt(i, "expected digits after '.' in a number");
      is_float = true;
      i = j;
    }
    if (!is_float && int_len == 0) {
      return ErrorAt(start, "expected a number after '" + std::string(1, text_[start]) + "'");
    }
    if (!is_float && int_len > 1 && text_[int_start] == '0') {
      return ErrorAt(start, "integers may not have leading zeros");
    }
    if (i < text_.size() && (IsIdentChar(text_[i]))) {
      return ErrorAt(i, "unexpected character '" + std::string(1, text_[i]) + "' in a number");
    }
    tok_.length = i - start;
    pos_ = i;
    std::string_view digits = text_.substr(start, i - start);
    if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
    if (is_float) {
      tok_.kind = Tok::kFloat;
      tok_.literal.kind = Literal::Kind::kFloat;
      tok_.literal.text.assign(digits);
      tok_.literal.real = std::strtod(tok_.literal.text.c_str(), nullptr);
      if (!std::isfinite(tok_.literal.real)) return ErrorAt(start, "number out of range");
      return Status::Ok();
    }
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) {
      return ErrorAt(start, "integer out of range (64-bit signed)");
    }
    tok_.kind = Tok::kInt;
    tok_.literal.kind = Literal::Kind::kInt;
    tok_.literal.integer = value;
    return Status::Ok();
  }

  Status LexIdentifier() {
    std::size_t i = pos_;
    bool hyphen = false;
    while (i < text_.size() && (IsIdentChar(text_[i]) || text_[i] == '-')) {
      if (text_[i] == '-') hyphen = true;
      ++i;
    }
    std::string_view word = text_.substr(pos_, i - pos_);
    tok_.length = word.size();
    tok_.has_hyphen = hyphen;
    tok_.kind = Tok::kIdent;
    pos_ = i;
    if (!hyphen) {
      for (const auto& k : kKeywords) {
        if (word == k.text) {
          tok_.kind = k.tok;
          return Status::Ok();
        }
      }
      if (word == "true" || word == "false") {
        tok_.kind = Tok::kBool;
        tok_.literal.kind = Literal::Kind::kBool;
        tok_.literal.boolean = word == "true";
      }
    }
    return Status::Ok();
  }

  // ---- observation expressions ----

  using ObsKind = ObservationExpr::Kind;

  Result<ObservationExpr> ParseFollowedBy() {
    return ParseObsChain(Tok::kFollowedBy, ObsKind::kFollowedBy, [this] {
      return ParseObsChain(Tok::kOr, ObsKind::kOr, [this] {
        return ParseObsChain(Tok::kAnd, ObsKind::kAnd, [this] { return ParseQualified(); });
      });
    });
  }

  template <typename Next>
  Result<ObservationExpr> ParseObsChain(Tok op, ObsKind kind, Next next) {
    ENTENTE_ASSIGN_OR_RETURN(ObservationExpr first, next());
    if (tok_.kind != op) return first;
    ObservationExpr node;
    node.kind = kind;
    ENTENTE_RETURN_IF_ERROR(CountNode());
    node.children.push_back(std::move(first));
    while (tok_.kind == op) {
      ENTENTE_RETURN_IF_ERROR(Advance());
      ENTENTE_ASSIGN_OR_RETURN(ObservationExpr child, next());
      node.children.push_back(std::move(child));
    }
    return node;
  }

  Result<ObservationExpr> ParseQualified() {
    ENTENTE_ASSIGN_OR_RETURN(ObservationExpr expr, ParseObsAtom());
    for (;;) {
      ObservationExpr q;
      if (tok_.kind == Tok::kWithin) {
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kInt && tok_.kind != Tok::kFloat) {
          return Unexpected("a positive number of seconds after WITHIN");
        }
        double seconds =
            tok_.kind == Tok::kInt ? static_cast<double>(tok_.literal.integer) : tok_.literal.real;
        if (!(seconds > 0) || text_[tok_.offset] == '-') {
          return ErrorAt(tok_.offset, "WITHIN needs a positive number of seconds");
        }
        q.kind = ObsKind::kWithin;
        q.within_seconds = seconds;
        q.within_text =
            tok_.kind == Tok::kInt ? std::to_string(tok_.literal.integer) : tok_.literal.text;
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kSeconds) return Unexpected("SECONDS after the WITHIN number");
        ENTENTE_RETURN_IF_ERROR(Advance());
      } else if (tok_.kind == Tok::kRepeats) {
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kInt || text_[tok_.offset] == '-' || tok_.literal.integer <= 0) {
          return Unexpected("a positive integer after REPEATS");
        }
        q.kind = ObsKind::kRepeats;
        q.repeats = tok_.literal.integer;
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kTimes) return Unexpected("TIMES after the REPEATS count");
        ENTENTE_RETURN_IF_ERROR(Advance());
      } else if (tok_.kind == Tok::kStart) {
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kTimestamp) return Unexpected("a timestamp t'...' after START");
        q.kind = ObsKind::kStartStop;
        q.start = tok_.literal.timestamp;
        q.start_text = tok_.literal.text;
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kStop) return Unexpected("STOP after the START timestamp");
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kTimestamp) return Unexpected("a timestamp t'...' after STOP");
        q.stop = tok_.literal.timestamp;
        q.stop_text = tok_.literal.text;
        if (!(q.start < q.stop)) return ErrorAt(tok_.offset, "STOP must be later than START");
        ENTENTE_RETURN_IF_ERROR(Advance());
      } else {
        return expr;
      }
      ENTENTE_RETURN_IF_ERROR(CountNode());
      q.children.push_back(std::move(expr));
      expr = std::move(q);
    }
  }

  Result<ObservationExpr> ParseObsAtom() {
    if (tok_.kind == Tok::kLBrack) {
      std::size_t open = tok_.offset;
      ENTENTE_RETURN_IF_ERROR(Enter());
      ENTENTE_RETURN_IF_ERROR(Advance());
      ObservationExpr node;
      node.kind = ObsKind::kSimple;
      ENTENTE_RETURN_IF_ERROR(CountNode());
      ENTENTE_ASSIGN_OR_RETURN(node.comparison, ParseCompOr());
      if (tok_.kind != Tok::kRBrack) {
        return Unexpected("']' to close the observation expression opened at column " +
                          std::to_string(ColumnOf(open)));
      }
      ENTENTE_RETURN_IF_ERROR(Advance());
      Leave();
      return node;
    }
    if (tok_.kind == Tok::kLParen) {
      std::size_t open = tok_.offset;
      ENTENTE_RETURN_IF_ERROR(Enter());
      ENTENTE_RETURN_IF_ERROR(Advance());
      ENTENTE_ASSIGN_OR_RETURN(ObservationExpr inner, ParseFollowedBy());
      ENTENTE_RETURN_IF_ERROR(CloseParen(open));
      return inner;
    }
    return Unexpected("'[' to start an observation expression or '('");
  }

  // ---- comparison expressions ----

  using CmpKind = ComparisonExpr::Kind;

  Result<ComparisonExpr> ParseCompOr() {
    return ParseCompChain(Tok::kOr, CmpKind::kOr, [this] {
      return ParseCompChain(Tok::kAnd, CmpKind::kAnd, [this] { return ParsePropTest(); });
    });
  }

  // `next (op next)*` as one n-ary node (or the single operand).
  template <typename Next>
  Result<ComparisonExpr> ParseCompChain(Tok op, CmpKind kind, Next next) {
    ENTENTE_ASSIGN_OR_RETURN(ComparisonExpr first, next());
    if (tok_.kind != op) return first;
    ComparisonExpr node;
    node.kind = kind;
    ENTENTE_RETURN_IF_ERROR(CountNode());
    node.children.push_back(std::move(first));
    while (tok_.kind == op) {
      ENTENTE_RETURN_IF_ERROR(Advance());
      ENTENTE_ASSIGN_OR_RETURN(ComparisonExpr child, next());
      node.children.push_back(std::move(child));
    }
    return node;
  }

  Result<ComparisonExpr> ParsePropTest() {
    if (tok_.kind == Tok::kLParen) {
      std::size_t open = tok_.offset;
      ENTENTE_RETURN_IF_ERROR(Enter());
      ENTENTE_RETURN_IF_ERROR(Advance());
      ENTENTE_ASSIGN_OR_RETURN(ComparisonExpr inner, ParseCompOr());
      ENTENTE_RETURN_IF_ERROR(CloseParen(open));
      return inner;
    }
    ComparisonExpr node;
    node.kind = CmpKind::kLeaf;
    ENTENTE_RETURN_IF_ERROR(CountNode());
    Comparison& leaf = node.leaf;
    leaf.column = static_cast<std::uint32_t>(ColumnOf(tok_.offset));
    if (tok_.kind == Tok::kNot || tok_.kind == Tok::kExists) {
      if (tok_.kind == Tok::kNot) {
        leaf.negated = true;
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kExists) return Unexpected("EXISTS after a leading NOT");
      }
      ENTENTE_RETURN_IF_ERROR(Advance());
      leaf.op = CompareOp::kExists;
      ENTENTE_ASSIGN_OR_RETURN(leaf.path, ParsePath());
      return node;
    }
    ENTENTE_ASSIGN_OR_RETURN(leaf.path, ParsePath());
    if (tok_.kind == Tok::kNot) {
      leaf.negated = true;
      ENTENTE_RETURN_IF_ERROR(Advance());
    }
    switch (tok_.kind) {
      case Tok::kEq:
        leaf.op = CompareOp::kEqual;
        break;
      case Tok::kNeq:
        leaf.op = CompareOp::kNotEqual;
        break;
      case Tok::kLt:
        leaf.op = CompareOp::kLess;
        break;
      case Tok::kLe:
        leaf.op = CompareOp::kLessEqual;
        break;
      case Tok::kGt:
        leaf.op = CompareOp::kGreater;
        break;
      case Tok::kGe:
        leaf.op = CompareOp::kGreaterEqual;
        break;
      case Tok::kIn:
        leaf.op = CompareOp::kIn;
        break;
      case Tok::kLike:
        leaf.op = CompareOp::kLike;
        break;
      case Tok::kMatches:
        leaf.op = CompareOp::kMatches;
        break;
      case Tok::kIsSubset:
        leaf.op = CompareOp::kIsSubset;
        break;
      case Tok::kIsSuperset:
        leaf.op = CompareOp::kIsSuperset;
        break;
      default:
        return Unexpected(
            "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)"
            " after the object path");
    }
    ENTENTE_RETURN_IF_ERROR(Advance());
    switch (leaf.op) {
      case CompareOp::kEqual:
      case CompareOp::kNotEqual: {
        if (!IsLiteral(tok_.kind)) return Unexpected("a literal value");
        leaf.values.push_back(tok_.literal);
        return AdvanceAnd(std::move(node));
      }
      case CompareOp::kLess:
      case CompareOp::kLessEqual:
      case CompareOp::kGreater:
      case CompareOp::kGreaterEqual: {
        if (!IsLiteral(tok_.kind) || tok_.kind == Tok::kBool) {
          return Unexpected("an orderable literal (number, string, binary or timestamp)");
        }
        leaf.values.push_back(tok_.literal);
        return AdvanceAnd(std::move(node));
      }
      case CompareOp::kIn: {
        if (tok_.kind != Tok::kLParen) return Unexpected("'(' to start the IN set");
        std::size_t open = tok_.offset;
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kRParen) {
          for (;;) {
            if (!IsLiteral(tok_.kind)) return Unexpected("a literal value in the IN set");
            if (leaf.values.size() >= limits_.max_set_size) {
              return Status::LimitExceeded("column " + std::to_string(ColumnOf(tok_.offset)) +
                                           ": IN set larger than " +
                                           std::to_string(limits_.max_set_size));
            }
            leaf.values.push_back(tok_.literal);
            ENTENTE_RETURN_IF_ERROR(Advance());
            if (tok_.kind == Tok::kComma) {
              ENTENTE_RETURN_IF_ERROR(Advance());
              continue;
            }
            if (tok_.kind == Tok::kRParen) break;
            return Unexpected("',' or ')' in the IN set opened at column " +
                              std::to_string(ColumnOf(open)));
          }
        }
        return AdvanceAnd(std::move(node));
      }
      default: {
        if (tok_.kind != Tok::kString) {
          return Unexpected("a string literal after " + std::string(CompareOpName(leaf.op)));
        }
        leaf.values.push_back(tok_.literal);
        return AdvanceAnd(std::move(node));
      }
    }
  }

  Result<ComparisonExpr> AdvanceAnd(ComparisonExpr node) {
    ENTENTE_RETURN_IF_ERROR(Advance());
    return node;
  }

  static bool IsLiteral(Tok k) {
    switch (k) {
      case Tok::kString:
      case Tok::kInt:
      case Tok::kFloat:
      case Tok::kBool:
      case Tok::kHex:
      case Tok::kBinary:
      case Tok::kTimestamp:
        return true;
      default:
        return false;
    }
  }

  Result<ObjectPath> ParsePath() {
    ObjectPath path;
    if (tok_.kind != Tok::kIdent) {
      return Unexpected("an object path (type:property), e.g. file:name");
    }
    path.type.assign(text_.substr(tok_.offset, tok_.length));
    ENTENTE_RETURN_IF_ERROR(Advance());
    if (tok_.kind != Tok::kColon)
      return Unexpected("':' after the object type '" + path.type + "'");
    ENTENTE_RETURN_IF_ERROR(Advance());
    ENTENTE_RETURN_IF_ERROR(ParseKey(path, "a property name after ':'"));
    for (;;) {
      if (path.steps.size() > limits_.max_path_steps) {
        return Status::LimitExceeded("column " + std::to_string(ColumnOf(tok_.offset)) +
                                     ": object path longer than " +
                                     std::to_string(limits_.max_path_steps) + " steps");
      }
      if (tok_.kind == Tok::kDot) {
        ENTENTE_RETURN_IF_ERROR(Advance());
        ENTENTE_RETURN_IF_ERROR(ParseKey(path, "a property name after '.'"));
      } else if (tok_.kind == Tok::kLBrack) {
        ENTENTE_RETURN_IF_ERROR(Advance());
        PathStep step;
        if (tok_.kind == Tok::kAsterisk) {
          step.kind = PathStep::Kind::kAnyIndex;
        } else if (tok_.kind == Tok::kInt) {
          step.kind = PathStep::Kind::kIndex;
          step.index = tok_.literal.integer;
        } else {
          return Unexpected("a list index (an integer or '*') after '['");
        }
        ENTENTE_RETURN_IF_ERROR(Advance());
        if (tok_.kind != Tok::kRBrack) return Unexpected("']' to close the list index");
        ENTENTE_RETURN_IF_ERROR(Advance());
        path.steps.push_back(std::move(step));
      } else {
        return path;
      }
    }
  }

  Status ParseKey(ObjectPath& path, std::string_view expected) {
    PathStep step;
    step.kind = PathStep::Kind::kKey;
    if (tok_.kind == Tok::kIdent && !tok_.has_hyphen) {
      step.key.assign(text_.substr(tok_.offset, tok_.length));
    } else if (tok_.kind == Tok::kString) {
      step.key = tok_.literal.text;
    } else if (tok_.kind == Tok::kIdent) {
      return ErrorAt(tok_.offset, "property names may not contain '-' unless quoted, e.g. '" +
                                      std::string(text_.substr(tok_.offset, tok_.length)) + "'");
    } else {
      return Unexpected(expected);
    }
    path.steps.push_back(std::move(step));
    return Advance();
  }

  std::string_view text_;
  const ParseLimits& limits_;
  std::size_t pos_ = 0;
  Token tok_;
  std::size_t nodes_ = 0;
  std::uint32_t depth_ = 0;
};

}  // namespace

Result<Pattern> Parse(std::string_view text, const ParseLimits& limits) {
  Parser parser(text, limits);
  return parser.Run();
}

}  // namespace entente::pattern
