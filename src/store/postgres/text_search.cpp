#include "postgres/text_search.h"

#include <vector>

namespace entente::store::pg {
namespace {

bool IsTokenChar(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

char Lower(unsigned char c) noexcept {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

// Appends the tokens of `text` to `out`, space-separated.
void Tokenize(std::string_view text, std::vector<std::string>& out) {
  std::string token;
  for (unsigned char c : text) {
    if (IsTokenChar(c)) {
      token += Lower(c);
    } else if (!token.empty()) {
      out.push_back(std::move(token));
      token.clear();
    }
  }
  if (!token.empty()) out.push_back(std::move(token));
}

// Recursive descent over the FTS5 query grammar, emitting tsquery text.
class Translator {
 public:
  explicit Translator(std::string_view q) : q_(q) {}

  Result<std::string> Run() {
    ENTENTE_ASSIGN_OR_RETURN(std::string e, Or());
    SkipSpace();
    if (pos_ != q_.size()) return Error("unexpected '" + std::string(1, q_[pos_]) + "'");
    return e;
  }

 private:
  static constexpr int kMaxDepth = 32;

  Status Error(const std::string& what) const {
    return Status::InvalidArgument("full-text query: " + what + " at byte " + std::to_string(pos_));
  }
  void SkipSpace() {
    while (pos_ < q_.size() &&
           (q_[pos_] == ' ' || q_[pos_] == '\t' || q_[pos_] == '\n' || q_[pos_] == '\r')) {
      ++pos_;
    }
  }
  // A bareword at pos_ (without consuming it), or "".
  std::string_view PeekWord() const {
    std::size_t end = pos_;
    while (end < q_.size() &&
           (IsTokenChar(static_cast<unsigned char>(q_[end])) || q_[end] == '_')) {
      ++end;
    }
    return q_.substr(pos_, end - pos_);
  }
  bool PeekKeyword(std::string_view k) {
    SkipSpace();
    return PeekWord() == k;
  }

  Result<std::string> Or() {
    ENTENTE_ASSIGN_OR_RETURN(std::string left, And());
    while (PeekKeyword("OR")) {
      pos_ += 2;
      ENTENTE_ASSIGN_OR_RETURN(std::string right, And());
      left = "(" + left + " | " + right + ")";
    }
    return left;
  }
  Result<std::string> And() {
    ENTENTE_ASSIGN_OR_RETURN(std::string left, Not());
    for (;;) {
      SkipSpace();
      if (pos_ >= q_.size() || q_[pos_] == ')' || PeekKeyword("OR")) break;
      if (PeekKeyword("AND")) pos_ += 3;
      ENTENTE_ASSIGN_OR_RETURN(std::string right, Not());
      left = "(" + left + " & " + right + ")";
    }
    return left;
  }
  Result<std::string> Not() {
    ENTENTE_ASSIGN_OR_RETURN(std::string left, Primary());
    while (PeekKeyword("NOT")) {
      pos_ += 3;
      ENTENTE_ASSIGN_OR_RETURN(std::string right, Primary());
      left = "(" + left + " & !" + right + ")";
    }
    return left;
  }
  Result<std::string> Primary() {
    SkipSpace();
    if (pos_ >= q_.size()) return Error("a term is missing");
    char c = q_[pos_];
    if (c == '(') {
      if (++depth_ > kMaxDepth) return Error("parentheses nested too deep");
      ++pos_;
      ENTENTE_ASSIGN_OR_RETURN(std::string inner, Or());
      SkipSpace();
      if (pos_ >= q_.size() || q_[pos_] != ')') return Error("unbalanced '('");
      ++pos_;
      --depth_;
      return inner;
    }
    std::string text;
    if (c == '"') {
      std::size_t start = pos_++;
      for (;;) {
        if (pos_ >= q_.size()) {
          pos_ = start;
          return Error("unterminated string");
        }
        if (q_[pos_] == '"') {
          if (pos_ + 1 < q_.size() && q_[pos_ + 1] == '"') {
            text += '"';
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        text += q_[pos_++];
      }
    } else {
      std::string_view word = PeekWord();
      if (word.empty()) return Error("unexpected '" + std::string(1, c) + "'");
      if (word == "AND" || word == "OR" || word == "NOT") return Error("a term is missing");
      if (word == "NEAR") return Error("NEAR() is not supported");
      text = word;
      pos_ += word.size();
      if (pos_ < q_.size() && q_[pos_] == ':') return Error("column filters are not supported");
    }
    bool prefix = false;
    if (pos_ < q_.size() && q_[pos_] == '*') {
      prefix = true;
      ++pos_;
    }
    std::vector<std::string> tokens;
    Tokenize(text, tokens);
    // A phrase of no tokens ("" or "..."): FTS5 matches nothing for it; tsquery would drop
    // the operand and change the meaning of the rest, so it is refused.
    if (tokens.empty()) return Error("a phrase without words");
    std::string out = tokens.size() > 1 ? "(" : "";
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (i) out += " <-> ";
      out += "'" + tokens[i] + "'";
      if (prefix && i + 1 == tokens.size()) out += ":*";
    }
    if (tokens.size() > 1) out += ")";
    return out;
  }

  std::string_view q_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

std::string SearchText(std::string_view name, std::string_view description) {
  std::vector<std::string> tokens;
  Tokenize(name, tokens);
  Tokenize(description, tokens);
  std::string out;
  for (const auto& t : tokens) {
    if (out.size() + t.size() + 1 > kMaxSearchText) break;
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

Result<std::string> Fts5ToTsquery(std::string_view query) {
  if (query.size() > kMaxSearchQuery) {
    return Status::LimitExceeded("full-text query longer than " + std::to_string(kMaxSearchQuery) +
                                 " bytes");
  }
  return Translator(query).Run();
}

}  // namespace entente::store::pg
