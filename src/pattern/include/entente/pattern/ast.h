// STIX 2.1 patterning (STIX 2.1 part 9): the syntax tree, the parser and the canonical printer.
//
// Parse() turns a pattern such as
//   [file:hashes.'SHA-256' = 'ab..' OR url:value LIKE 'http://%.evil.example/%'] WITHIN 300 SECONDS
// into a Pattern. The grammar is the OASIS one (STIXPattern.g4), complete: every comparison
// operator, NOT, AND/OR inside and between observation expressions, FOLLOWEDBY, the WITHIN,
// REPEATS and START/STOP qualifiers, object paths with quoted keys, [n] and [*] indexes, and all
// literal kinds. Keywords are case-sensitive, as in the grammar.
//
// Costs: linear in the pattern length; a hand-written lexer and recursive descent parser with
// limits on length, nesting depth and node count, so hostile input cannot exhaust the stack.
// Errors are InvalidArgument (or LimitExceeded) with a 1-based column and what was expected:
//   "column 17: expected ']' to close the observation expression, found 'AND'".
//
// Threading: all types here are plain values; Parse and ToString are pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"
#include "entente/base/time.h"

namespace entente::pattern {

// A constant on the right of a comparison.
struct Literal {
  enum class Kind : std::uint8_t { kString, kInt, kFloat, kBool, kHex, kBinary, kTimestamp };
  Kind kind = Kind::kString;
  // kString: the decoded value (escapes removed). kHex and kBinary: the decoded bytes.
  // kFloat: the source text (for the canonical form). kTimestamp: the text between the quotes.
  std::string text;
  std::int64_t integer = 0;  // kInt
  double real = 0;           // kFloat
  bool boolean = false;      // kBool
  Timestamp timestamp;       // kTimestamp

  friend bool operator==(const Literal&, const Literal&) = default;
};

// One step of an object path after the type: `.name`, `.'quoted name'`, `[3]`, `[-1]` or `[*]`.
struct PathStep {
  enum class Kind : std::uint8_t { kKey, kIndex, kAnyIndex };
  Kind kind = Kind::kKey;
  std::string key;         // kKey
  std::int64_t index = 0;  // kIndex
  friend bool operator==(const PathStep&, const PathStep&) = default;
};

// `type:first.second[0]...`; steps is never empty and steps[0] is a key.
struct ObjectPath {
  std::string type;
  std::vector<PathStep> steps;
  friend bool operator==(const ObjectPath&, const ObjectPath&) = default;
  // Canonical text, e.g. "file:hashes.'SHA-256'" or "email-message:to_refs[*].value". Keys that
  // are not plain identifiers are quoted.
  std::string ToString() const;
};

enum class CompareOp : std::uint8_t {
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kIn,
  kLike,
  kMatches,
  kIsSubset,
  kIsSuperset,
  kExists,
};
// The operator's keyword or symbol: "=", "!=", "IN", "EXISTS", ...
std::string_view CompareOpName(CompareOp op) noexcept;

// A leaf: `path [NOT] op value`, `path [NOT] IN (v, ...)` or `[NOT] EXISTS path`.
struct Comparison {
  ObjectPath path;
  CompareOp op = CompareOp::kEqual;
  bool negated = false;         // NOT before the operator
  std::vector<Literal> values;  // one value; the set for kIn (may be empty); none for kExists
  std::uint32_t column = 0;     // 1-based column of the leaf in the source (not compared)
  friend bool operator==(const Comparison& a, const Comparison& b) {
    return a.path == b.path && a.op == b.op && a.negated == b.negated && a.values == b.values;
  }
};

// A comparison expression: a leaf or an AND/OR of two or more sub-expressions. A chain
// `a AND b AND c` is one node with three children; parentheses start a new node.
struct ComparisonExpr {
  enum class Kind : std::uint8_t { kLeaf, kAnd, kOr };
  Kind kind = Kind::kLeaf;
  Comparison leaf;                       // kLeaf
  std::vector<ComparisonExpr> children;  // kAnd, kOr
  friend bool operator==(const ComparisonExpr&, const ComparisonExpr&) = default;
};

// An observation expression: `[ ... ]`, AND/OR/FOLLOWEDBY of two or more, or a qualified one.
struct ObservationExpr {
  enum class Kind : std::uint8_t { kSimple, kAnd, kOr, kFollowedBy, kWithin, kRepeats, kStartStop };
  Kind kind = Kind::kSimple;
  ComparisonExpr comparison;              // kSimple
  std::vector<ObservationExpr> children;  // kAnd/kOr/kFollowedBy: 2+; qualifiers: exactly 1
  double within_seconds = 0;              // kWithin (> 0)
  std::string within_text;                // kWithin: the number as written (canonical form)
  std::int64_t repeats = 0;               // kRepeats (> 0)
  Timestamp start, stop;                  // kStartStop (start < stop)
  std::string start_text, stop_text;      // kStartStop: as written
  friend bool operator==(const ObservationExpr& a, const ObservationExpr& b) {
    return a.kind == b.kind && a.comparison == b.comparison && a.children == b.children &&
           a.within_seconds == b.within_seconds && a.repeats == b.repeats && a.start == b.start &&
           a.stop == b.stop;
  }
};

struct Pattern {
  ObservationExpr root;
  std::size_t node_count = 0;  // observation + comparison nodes
  friend bool operator==(const Pattern& a, const Pattern& b) { return a.root == b.root; }
};

struct ParseLimits {
  std::size_t max_length = 1u << 20;  // bytes of pattern text (real patterns embed payloads)
  std::uint32_t max_depth = 64;       // nesting of brackets and parentheses
  std::size_t max_nodes = 10'000;     // comparison leaves + operators + observation nodes
  std::size_t max_path_steps = 64;    // steps of one object path
  std::size_t max_set_size = 10'000;  // members of one IN set
};

// Parses a whole pattern. Fails with InvalidArgument naming the 1-based column and what was
// expected, or LimitExceeded when a limit is hit. Whitespace and /* */ and // comments are
// skipped as the grammar does. Semantic checks beyond the grammar: REPEATS and WITHIN must be
// positive, START must be before STOP, timestamps must be real calendar dates, h'..' must have
// an even number of digits and b'..' must be valid padded base64.
Result<Pattern> Parse(std::string_view text, const ParseLimits& limits = {});

// The canonical text: single spaces, keywords upper-case, strings re-escaped, `=` for `==`, `!=`
// for `<>`, parentheses only where the tree needs them. Parse(ToString(p)) == p.
std::string ToString(const Pattern& pattern);
std::string ToString(const ObservationExpr& expr);
std::string ToString(const ComparisonExpr& expr);
std::string ToString(const Comparison& leaf);
std::string ToString(const Literal& literal);

}  // namespace entente::pattern
