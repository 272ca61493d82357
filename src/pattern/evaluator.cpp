// Pattern evaluation: comparison leaves on SCOs, [ ] expressions on observations, and the
// observation-expression algebra (AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START/STOP).
#include "entente/pattern/evaluator.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "cidr.h"
#include "entente/base/bytes.h"

namespace entente::pattern {

using internal::Cidr;

namespace {

enum class Order { kLess, kEqual, kGreater, kIncomparable };

template <typename T>
Order Cmp3(const T& a, const T& b) {
  if (a < b) return Order::kLess;
  if (b < a) return Order::kGreater;
  return Order::kEqual;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

Order CompareCaseless(std::string_view a, std::string_view b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    char x = Lower(a[i]), y = Lower(b[i]);
    if (x != y) {
      return static_cast<unsigned char>(x) < static_cast<unsigned char>(y) ? Order::kLess
                                                                           : Order::kGreater;
    }
  }
  return Cmp3(a.size(), b.size());
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::size_t CodePointLength(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xf0) return 4;
  if (c >= 0xe0) return 3;
  if (c >= 0xc0) return 2;
  return 1;  // stray continuation byte: step over it alone
}

// A value selected by an object path, with the last key name on the way (for _bin/_hex).
struct Selected {
  const json::Value* value;
  std::string_view last_key;
};

// How a key step looks its key up in the JSON object.
enum class KeyMode : std::uint8_t { kExact, kHashAlgorithm, kCaseless };

struct CompiledLeaf {
  const Comparison* leaf = nullptr;
  std::vector<KeyMode> key_modes;          // per step
  std::vector<std::string> step_keys;      // per step: normalised key for kHashAlgorithm
  bool hash_value = false;                 // path is ...hashes.<alg>: compare values caselessly
  std::shared_ptr<const RE2> regex;        // kMatches
  std::shared_ptr<const RE2> regex_bytes;  // kMatches on *_bin/*_hex: Latin-1, byte per char
  std::vector<Cidr> cidrs;                 // kIsSubset / kIsSuperset operand
};

class SimpleEvaluator;

// Compiled regexes shared across patterns: thousands of indicators often carry the same regex,
// and an RE2 program is compiled once per distinct (text, encoding, memory budget) while any
// pattern holds it. RE2 objects are immutable and safe to use from many threads.
std::shared_ptr<const RE2> SharedRegex(const std::string& text, const RE2::Options& options) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::weak_ptr<const RE2>> cache;
  std::string key = std::to_string(static_cast<int>(options.encoding())) + ":" +
                    std::to_string(options.max_mem()) + ":" + text;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(key); it != cache.end()) {
    if (auto re = it->second.lock()) return re;
  }
  auto re = std::make_shared<const RE2>(text, options);
  if (cache.size() >= 4096) {  // drop entries no pattern holds any more
    std::erase_if(cache, [](const auto& entry) { return entry.second.expired(); });
  }
  if (cache.size() < 65536) cache[key] = re;
  return re;
}

}  // namespace

struct CompiledPattern::Impl {
  Pattern pattern;
  std::vector<CompiledLeaf> leaves;  // in pre-order of the comparison trees
  // Per [ ] expression (pre-order over the observation tree): the range of its leaves.
  std::unordered_map<const ComparisonExpr*, std::size_t> leaf_index;
  // Per [ ] expression: its evaluator, built once at compile time.
  std::unordered_map<const ComparisonExpr*, std::unique_ptr<SimpleEvaluator>> simple;
};

namespace {

// ---- compilation ----

Status CompileLeaves(const ComparisonExpr& e, CompiledPattern::Impl& impl,
                     const CompileOptions& options) {
  if (e.kind != ComparisonExpr::Kind::kLeaf) {
    for (const auto& c : e.children) ENTENTE_RETURN_IF_ERROR(CompileLeaves(c, impl, options));
    return Status::Ok();
  }
  const Comparison& leaf = e.leaf;
  CompiledLeaf cl;
  cl.leaf = &leaf;
  const auto& steps = leaf.path.steps;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    KeyMode mode = KeyMode::kExact;
    std::string key = steps[i].key;
    if (steps[i].kind == PathStep::Kind::kKey && i > 0 &&
        steps[i - 1].kind == PathStep::Kind::kKey) {
      const std::string& parent = steps[i - 1].key;
      if (parent == "hashes") {
        mode = KeyMode::kHashAlgorithm;
        key = NormalizeHashAlgorithm(key);
        if (i + 1 == steps.size()) cl.hash_value = true;
      } else if (parent == "request_header" || parent == "response_header") {
        mode = KeyMode::kCaseless;  // HTTP header names are case-insensitive (RFC 9110)
      }
    }
    cl.key_modes.push_back(mode);
    cl.step_keys.push_back(std::move(key));
  }
  auto where = "column " + std::to_string(leaf.column) + ": ";
  if (leaf.op == CompareOp::kMatches) {
    const std::string& rx = leaf.values.at(0).text;
    if (rx.size() > options.max_regex_length) {
      return Status::LimitExceeded(where + "MATCHES regex longer than " +
                                   std::to_string(options.max_regex_length) + " bytes");
    }
    RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(options.max_regex_memory);
    o.set_encoding(RE2::Options::EncodingUTF8);
    auto re = SharedRegex(rx, o);
    if (!re->ok()) {
      return Status::Unsupported(where + "MATCHES regex cannot be compiled by RE2 (" + re->error() +
                                 ")");
    }
    if (re->ProgramSize() > options.max_regex_program_size ||
        re->ReverseProgramSize() > options.max_regex_program_size) {
      return Status::LimitExceeded(where + "MATCHES regex compiles to a program of " +
                                   std::to_string(re->ProgramSize()) + " instructions, over " +
                                   std::to_string(options.max_regex_program_size));
    }
    cl.regex = std::move(re);
    // Binary properties are matched byte-wise: the regex read as Latin-1, so '\\xd4' is the
    // byte 0xd4. Only possible when every code point of the regex is below 256.
    std::string latin1;
    bool convertible = true;
    for (std::size_t i = 0; i < rx.size() && convertible;) {
      unsigned char c = static_cast<unsigned char>(rx[i]);
      if (c < 0x80) {
        latin1.push_back(static_cast<char>(c));
        ++i;
      } else if ((c == 0xc2 || c == 0xc3) && i + 1 < rx.size()) {
        latin1.push_back(static_cast<char>(((c & 0x03) << 6) | (rx[i + 1] & 0x3f)));
        i += 2;
      } else {
        convertible = false;
      }
    }
    if (convertible) {
      RE2::Options bo = o;
      bo.set_encoding(RE2::Options::EncodingLatin1);
      auto bytes_re = SharedRegex(latin1, bo);
      if (bytes_re->ok() && bytes_re->ProgramSize() <= options.max_regex_program_size) {
        cl.regex_bytes = std::move(bytes_re);
      }
    }
  }
  if (leaf.op == CompareOp::kIsSubset || leaf.op == CompareOp::kIsSuperset) {
    auto c = Cidr::Parse(leaf.values.at(0).text);
    if (!c) {
      return Status::InvalidArgument(where + std::string(CompareOpName(leaf.op)) +
                                     " needs an IPv4 or IPv6 address or CIDR, found '" +
                                     leaf.values.at(0).text + "'");
    }
    cl.cidrs.push_back(*c);
  }
  impl.leaves.push_back(std::move(cl));
  return Status::Ok();
}

Status CompileObservation(const ObservationExpr& e, CompiledPattern::Impl& impl,
                          const CompileOptions& options) {
  if (e.kind == ObservationExpr::Kind::kSimple) {
    impl.leaf_index.emplace(&e.comparison, impl.leaves.size());
    return CompileLeaves(e.comparison, impl, options);
  }
  for (const auto& c : e.children) ENTENTE_RETURN_IF_ERROR(CompileObservation(c, impl, options));
  return Status::Ok();
}

// ---- leaf evaluation ----

const json::Value* FindKey(const json::Value& obj, std::string_view key, KeyMode mode) {
  if (mode == KeyMode::kExact) return obj.find(key);
  // The usual spelling first ("SHA-256", "MD5"), without normalising every member.
  if (const json::Value* v = obj.find(key)) return v;
  for (const auto& [k, v] : obj.object()) {
    if (mode == KeyMode::kHashAlgorithm ? NormalizeHashAlgorithm(k) == key
                                        : CompareCaseless(k, key) == Order::kEqual) {
      return &v;
    }
  }
  return nullptr;
}

class PathWalker {
 public:
  PathWalker(const ObservationSet& set, const Observation& obs, const CompiledLeaf& leaf,
             std::vector<Selected>& out)
      : set_(set), obs_(obs), leaf_(leaf), out_(out) {}

  void Walk(const json::Value& root) { Step(&root, 0, {}, false); }

 private:
  static constexpr std::size_t kMaxSelected = 100'000;

  // `deref`: the value came from a *_refs list, so its elements are references.
  void Step(const json::Value* cur, std::size_t i, std::string_view last_key, bool deref) {
    if (out_.size() >= kMaxSelected) return;
    const auto& steps = leaf_.leaf->path.steps;
    if (i == steps.size()) {
      // A list at the end of a path is compared element by element (see docs/PATTERNS.md).
      if (cur->is_array()) {
        for (const auto& e : cur->array()) {
          if (!e.is_array()) out_.push_back({&e, last_key});
        }
      } else {
        out_.push_back({cur, last_key});
      }
      return;
    }
    const PathStep& step = steps[i];
    if (step.kind == PathStep::Kind::kKey) {
      if (cur->is_array()) {  // implicit [*] over a list of objects
        for (const auto& e : cur->array()) {
          if (e.is_object()) Step(&e, i, last_key, false);
        }
        return;
      }
      if (!cur->is_object()) return;
      const json::Value* v = FindKey(*cur, leaf_.step_keys[i], leaf_.key_modes[i]);
      if (!v) return;
      std::string_view key = step.key;
      bool more = i + 1 < steps.size();
      if (more && EndsWith(key, "_ref") && v->is_string()) {
        const json::Value* target = set_.Resolve(obs_, v->str());
        if (target) Step(target, i + 1, key, false);
        return;
      }
      if (more && EndsWith(key, "_refs") && v->is_array()) {
        Step(v, i + 1, key, true);
        return;
      }
      Step(v, i + 1, key, false);
      return;
    }
    if (!cur->is_array()) return;
    const auto& items = cur->array();
    auto visit = [&](const json::Value& e) {
      if (deref && e.is_string()) {
        const json::Value* target = set_.Resolve(obs_, e.str());
        if (target) Step(target, i + 1, last_key, false);
      } else {
        Step(&e, i + 1, last_key, false);
      }
    };
    if (step.kind == PathStep::Kind::kAnyIndex) {
      for (const auto& e : items) visit(e);
      return;
    }
    std::int64_t n = static_cast<std::int64_t>(items.size());
    std::int64_t idx = step.index < 0 ? n + step.index : step.index;  // negative: from the end
    if (idx >= 0 && idx < n) visit(items[static_cast<std::size_t>(idx)]);
  }

  const ObservationSet& set_;
  const Observation& obs_;
  const CompiledLeaf& leaf_;
  std::vector<Selected>& out_;
};

std::optional<std::string> BinaryOf(const Selected& s) {
  if (!s.value->is_string()) return std::nullopt;
  const std::string& text = s.value->str();
  if (EndsWith(s.last_key, "_hex")) {
    auto b = HexDecode(text);
    if (!b.ok()) return std::nullopt;
    return std::string(AsChars(*b));
  }
  if (EndsWith(s.last_key, "_bin")) {
    auto b = Base64Decode(text);
    if (!b.ok()) return std::nullopt;
    return std::string(AsChars(*b));
  }
  return text;
}

Order CompareWith(const Selected& s, const Literal& lit, bool caseless) {
  const json::Value& v = *s.value;
  switch (lit.kind) {
    case Literal::Kind::kString:
      if (!v.is_string()) return Order::kIncomparable;
      if (caseless) return CompareCaseless(v.str(), lit.text);
      return Cmp3(std::string_view(v.str()), std::string_view(lit.text));
    case Literal::Kind::kInt: {
      if (!v.is_number()) return Order::kIncomparable;
      if (auto i = v.as_int64()) return Cmp3(*i, lit.integer);
      auto d = v.as_double();
      if (!d || std::isnan(*d)) return Order::kIncomparable;
      return Cmp3(*d, static_cast<double>(lit.integer));
    }
    case Literal::Kind::kFloat: {
      if (!v.is_number()) return Order::kIncomparable;
      auto d = v.as_double();
      if (!d || std::isnan(*d)) return Order::kIncomparable;
      return Cmp3(*d, lit.real);
    }
    case Literal::Kind::kBool:
      if (!v.is_bool()) return Order::kIncomparable;
      return v.boolean() == lit.boolean ? Order::kEqual : Order::kLess;
    case Literal::Kind::kTimestamp: {
      if (!v.is_string()) return Order::kIncomparable;
      auto t = ParseTimestamp(v.str());
      if (!t.ok()) return Order::kIncomparable;
      return Cmp3(*t, lit.timestamp);
    }
    case Literal::Kind::kHex:
    case Literal::Kind::kBinary: {
      auto bytes = BinaryOf(s);
      if (!bytes) return Order::kIncomparable;
      return Cmp3(std::string_view(*bytes), std::string_view(lit.text));
    }
  }
  return Order::kIncomparable;
}

// The truth of `value op literal` before NOT; nullopt when the types do not compare.
std::optional<bool> TestValue(const CompiledLeaf& cl, const Selected& s) {
  const Comparison& c = *cl.leaf;
  switch (c.op) {
    case CompareOp::kEqual:
    case CompareOp::kNotEqual: {
      Order o = CompareWith(s, c.values[0], cl.hash_value);
      if (o == Order::kIncomparable) return std::nullopt;
      return (o == Order::kEqual) == (c.op == CompareOp::kEqual);
    }
    case CompareOp::kLess:
    case CompareOp::kLessEqual:
    case CompareOp::kGreater:
    case CompareOp::kGreaterEqual: {
      Order o = CompareWith(s, c.values[0], false);
      if (o == Order::kIncomparable) return std::nullopt;
      switch (c.op) {
        case CompareOp::kLess:
          return o == Order::kLess;
        case CompareOp::kLessEqual:
          return o != Order::kGreater;
        case CompareOp::kGreater:
          return o == Order::kGreater;
        default:
          return o != Order::kLess;
      }
    }
    case CompareOp::kIn: {
      bool comparable = c.values.empty();
      for (const auto& lit : c.values) {
        Order o = CompareWith(s, lit, cl.hash_value);
        if (o == Order::kEqual) return true;
        if (o != Order::kIncomparable) comparable = true;
      }
      if (!comparable) return std::nullopt;
      return false;
    }
    case CompareOp::kLike:
      if (!s.value->is_string()) return std::nullopt;
      return LikeMatch(s.value->str(), c.values[0].text);
    case CompareOp::kMatches: {
      if (!s.value->is_string()) return std::nullopt;
      if (EndsWith(s.last_key, "_bin") || EndsWith(s.last_key, "_hex")) {
        if (!cl.regex_bytes) return std::nullopt;
        auto bytes = BinaryOf(s);
        if (!bytes) return std::nullopt;
        return RE2::PartialMatch(*bytes, *cl.regex_bytes);
      }
      return RE2::PartialMatch(s.value->str(), *cl.regex);
    }
    case CompareOp::kIsSubset:
    case CompareOp::kIsSuperset: {
      if (!s.value->is_string()) return std::nullopt;
      auto v = Cidr::Parse(s.value->str());
      if (!v || v->v6 != cl.cidrs[0].v6) return std::nullopt;
      return c.op == CompareOp::kIsSubset ? cl.cidrs[0].Contains(*v) : v->Contains(cl.cidrs[0]);
    }
    case CompareOp::kExists:
      return true;
  }
  return std::nullopt;
}

// Whether one SCO satisfies one leaf.
bool TestObject(const ObservationSet& set, const Observation& obs, const CompiledLeaf& cl,
                const json::Value& object, std::vector<Selected>& scratch) {
  scratch.clear();
  PathWalker(set, obs, cl, scratch).Walk(object);
  const Comparison& c = *cl.leaf;
  if (c.op == CompareOp::kExists) return scratch.empty() == c.negated;
  for (const auto& s : scratch) {
    auto r = TestValue(cl, s);
    if (r && (*r != c.negated)) return true;
  }
  return false;
}

// ---- one [ ] against one observation ----

struct LeafRef {
  std::size_t compiled;  // index in Impl::leaves
  std::size_t type;      // index in the type list
  std::size_t bit;       // position among the leaves of its type
};

class SimpleEvaluator {
 public:
  SimpleEvaluator(const CompiledPattern::Impl& impl, const ComparisonExpr& expr)
      : impl_(impl), expr_(expr) {
    std::size_t next = impl.leaf_index.at(&expr);
    Index(expr, next);
  }

  // True iff some choice of one object per type makes the expression true.
  Result<bool> Matches(const ObservationSet& set, const Observation& obs, const MatchLimits& limits,
                       std::vector<Selected>& scratch) const {
    if (types_.size() == 1) {
      // One SCO type (the common case): some object must satisfy the whole expression; leaves
      // are evaluated lazily, with short-circuit.
      for (std::size_t o = 0; o < obs.objects.size(); ++o) {
        if (obs.types[o] != types_[0]) continue;
        if (EvalLazy(expr_, set, obs, *obs.objects[o], scratch)) return true;
      }
      return false;
    }
    // Per type: the distinct signatures (which of the type's leaves each object satisfies).
    std::vector<std::vector<std::vector<bool>>> classes(types_.size());
    for (std::size_t t = 0; t < types_.size(); ++t) {
      auto& cls = classes[t];
      for (std::size_t o = 0; o < obs.objects.size(); ++o) {
        if (obs.types[o] != types_[t]) continue;
        std::vector<bool> sig(per_type_[t], false);
        for (const auto& lr : leaves_) {
          if (lr.type != t) continue;
          sig[lr.bit] = TestObject(set, obs, impl_.leaves[lr.compiled], *obs.objects[o], scratch);
        }
        if (std::find(cls.begin(), cls.end(), sig) == cls.end()) cls.push_back(std::move(sig));
      }
      if (cls.empty()) cls.push_back(std::vector<bool>(per_type_[t], false));  // no such object
    }
    std::size_t combos = 1;
    for (const auto& cls : classes) {
      combos *= cls.size();
      if (combos > limits.max_assignments) {
        return Status::LimitExceeded(obs.id + ": more than " +
                                     std::to_string(limits.max_assignments) +
                                     " ways to pick objects for one observation expression");
      }
    }
    std::vector<std::size_t> choice(types_.size(), 0);
    for (std::size_t n = 0; n < combos; ++n) {
      std::size_t k = n;
      for (std::size_t t = 0; t < types_.size(); ++t) {
        choice[t] = k % classes[t].size();
        k /= classes[t].size();
      }
      std::size_t cursor = 0;
      if (Eval(expr_, classes, choice, cursor)) return true;
    }
    return false;
  }

 private:
  void Index(const ComparisonExpr& e, std::size_t& next) {
    if (e.kind != ComparisonExpr::Kind::kLeaf) {
      for (const auto& c : e.children) Index(c, next);
      return;
    }
    const std::string& type = e.leaf.path.type;
    std::size_t t = 0;
    while (t < types_.size() && types_[t] != type) ++t;
    if (t == types_.size()) {
      types_.push_back(type);
      per_type_.push_back(0);
    }
    leaf_pos_.emplace(&e, leaves_.size());
    leaves_.push_back({next++, t, per_type_[t]++});
  }

  bool EvalLazy(const ComparisonExpr& e, const ObservationSet& set, const Observation& obs,
                const json::Value& object, std::vector<Selected>& scratch) const {
    if (e.kind == ComparisonExpr::Kind::kLeaf) {
      const LeafRef& lr = leaves_[leaf_pos_.at(&e)];
      return TestObject(set, obs, impl_.leaves[lr.compiled], object, scratch);
    }
    bool is_and = e.kind == ComparisonExpr::Kind::kAnd;
    for (const auto& c : e.children) {
      bool r = EvalLazy(c, set, obs, object, scratch);
      if (is_and && !r) return false;
      if (!is_and && r) return true;
    }
    return is_and;
  }

  bool Eval(const ComparisonExpr& e, const std::vector<std::vector<std::vector<bool>>>& classes,
            const std::vector<std::size_t>& choice, std::size_t& cursor) const {
    if (e.kind == ComparisonExpr::Kind::kLeaf) {
      const LeafRef& lr = leaves_[cursor++];
      return classes[lr.type][choice[lr.type]][lr.bit];
    }
    bool is_and = e.kind == ComparisonExpr::Kind::kAnd;
    bool result = is_and;
    for (const auto& c : e.children) {
      bool r = Eval(c, classes, choice, cursor);  // always walk: the cursor must advance
      result = is_and ? (result && r) : (result || r);
    }
    return result;
  }

  const CompiledPattern::Impl& impl_;
  const ComparisonExpr& expr_;
  std::unordered_map<const ComparisonExpr*, std::size_t> leaf_pos_;
  std::vector<std::string> types_;
  std::vector<std::size_t> per_type_;
  std::vector<LeafRef> leaves_;  // in pre-order
};

// ---- observation expressions ----

struct Partial {
  std::vector<std::uint32_t> obs;  // sorted observation indexes
  Timestamp first, last;
  std::int64_t weight = 1;  // occurrences this partial match stands for (REPEATS)
};

bool Disjoint(const Partial& a, const Partial& b) {
  std::size_t i = 0, j = 0;
  while (i < a.obs.size() && j < b.obs.size()) {
    if (a.obs[i] == b.obs[j]) return false;
    if (a.obs[i] < b.obs[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return true;
}

Partial Merge(const Partial& a, const Partial& b) {
  Partial m;
  m.obs.reserve(a.obs.size() + b.obs.size());
  std::merge(a.obs.begin(), a.obs.end(), b.obs.begin(), b.obs.end(), std::back_inserter(m.obs));
  m.first = std::min(a.first, b.first);
  m.last = std::max(a.last, b.last);
  m.weight = 1;
  return m;
}

void Dedupe(std::vector<Partial>& v) {
  std::sort(v.begin(), v.end(), [](const Partial& a, const Partial& b) { return a.obs < b.obs; });
  v.erase(std::unique(v.begin(), v.end(),
                      [](const Partial& a, const Partial& b) { return a.obs == b.obs; }),
          v.end());
}

class Evaluator {
 public:
  Evaluator(const CompiledPattern::Impl& impl, const ObservationSet& set, const MatchLimits& limits)
      : impl_(impl), set_(set), limits_(limits) {}

  // `exhaustive`: a qualifier above filters the result, so every partial match counts.
  Result<std::vector<Partial>> Eval(const ObservationExpr& e, bool exhaustive) {
    using K = ObservationExpr::Kind;
    switch (e.kind) {
      case K::kSimple: {
        const SimpleEvaluator& simple = *impl_.simple.at(&e.comparison);
        std::vector<Partial> out;
        const auto& all = set_.observations();
        for (std::size_t i = 0; i < all.size(); ++i) {
          ENTENTE_ASSIGN_OR_RETURN(bool ok, simple.Matches(set_, all[i], limits_, scratch_));
          if (!ok) continue;
          Partial p;
          p.obs.push_back(static_cast<std::uint32_t>(i));
          p.first = all[i].first_observed;
          p.last = all[i].last_observed;
          p.weight = all[i].number_observed;
          out.push_back(std::move(p));
        }
        return out;
      }
      case K::kOr: {
        std::vector<Partial> out;
        for (const auto& c : e.children) {
          ENTENTE_ASSIGN_OR_RETURN(auto part, Eval(c, exhaustive));
          for (auto& p : part) out.push_back(std::move(p));
        }
        Dedupe(out);
        ENTENTE_RETURN_IF_ERROR(Cap(out, exhaustive));
        return out;
      }
      case K::kAnd:
      case K::kFollowedBy: {
        bool ordered = e.kind == K::kFollowedBy;
        ENTENTE_ASSIGN_OR_RETURN(auto acc, Eval(e.children[0], exhaustive));
        for (std::size_t k = 1; k < e.children.size() && !acc.empty(); ++k) {
          ENTENTE_ASSIGN_OR_RETURN(auto next, Eval(e.children[k], exhaustive));
          std::vector<Partial> joined;
          bool full = false;
          for (const auto& a : acc) {
            for (const auto& b : next) {
              ENTENTE_RETURN_IF_ERROR(Work());
              if (ordered && !(a.last <= b.first)) continue;
              if (!Disjoint(a, b)) continue;
              if (joined.size() >= limits_.max_partial_matches) {
                full = true;
                break;
              }
              joined.push_back(Merge(a, b));
            }
            if (full) break;
          }
          if (full && exhaustive) return TooMany();
          Dedupe(joined);
          acc = std::move(joined);
        }
        return acc;
      }
      case K::kWithin: {
        ENTENTE_ASSIGN_OR_RETURN(auto part, Eval(e.children[0], true));
        // The span of a match: from its earliest first_observed to its latest last_observed.
        double limit_ns = e.within_seconds * 1e9;
        std::erase_if(part, [&](const Partial& p) {
          return static_cast<double>(p.last.nanos - p.first.nanos) > limit_ns;
        });
        return part;
      }
      case K::kStartStop: {
        ENTENTE_ASSIGN_OR_RETURN(auto part, Eval(e.children[0], true));
        std::erase_if(part,
                      [&](const Partial& p) { return !(p.first >= e.start && p.last < e.stop); });
        return part;
      }
      case K::kRepeats: {
        ENTENTE_ASSIGN_OR_RETURN(auto part, Eval(e.children[0], true));
        std::sort(part.begin(), part.end(), [](const Partial& a, const Partial& b) {
          return a.first < b.first || (a.first == b.first && a.obs < b.obs);
        });
        // From each starting match, take the next disjoint matches in time order until the
        // count is reached: the tightest windows, so a WITHIN above sees the best candidates.
        std::vector<Partial> out;
        for (std::size_t i = 0; i < part.size(); ++i) {
          Partial acc = part[i];
          std::int64_t count = part[i].weight;
          for (std::size_t j = i + 1; j < part.size() && count < e.repeats; ++j) {
            ENTENTE_RETURN_IF_ERROR(Work());
            if (!Disjoint(acc, part[j])) continue;
            acc = Merge(acc, part[j]);
            // Saturating: number_observed comes from the input and may be huge.
            count = part[j].weight > INT64_MAX - count ? INT64_MAX : count + part[j].weight;
          }
          if (count >= e.repeats) {
            acc.weight = 1;
            out.push_back(std::move(acc));
          }
        }
        Dedupe(out);
        return out;
      }
    }
    return Status::Internal("unknown observation expression kind");
  }

 private:
  // Counts one step of combining partial matches; bounded so no pattern can stall a node.
  Status Work() {
    if (++work_ <= limits_.max_work) return Status::Ok();
    return Status::LimitExceeded("pattern evaluation over " + std::to_string(set_.size()) +
                                 " observations needs more than " +
                                 std::to_string(limits_.max_work) + " combination steps");
  }
  Status Cap(std::vector<Partial>& v, bool exhaustive) {
    if (v.size() <= limits_.max_partial_matches) return Status::Ok();
    if (exhaustive) return TooMany();
    v.resize(limits_.max_partial_matches);
    return Status::Ok();
  }
  Status TooMany() const {
    return Status::LimitExceeded(
        "pattern evaluation needs more than " + std::to_string(limits_.max_partial_matches) +
        " partial matches over " + std::to_string(set_.size()) + " observations");
  }

  const CompiledPattern::Impl& impl_;
  const ObservationSet& set_;
  const MatchLimits& limits_;
  std::vector<Selected> scratch_;
  std::uint64_t work_ = 0;
};

}  // namespace

Result<CompiledPattern> CompiledPattern::Compile(std::string_view text, const ParseLimits& parse,
                                                 const CompileOptions& options) {
  ENTENTE_ASSIGN_OR_RETURN(Pattern p, Parse(text, parse));
  return Compile(std::move(p), options);
}

Result<CompiledPattern> CompiledPattern::Compile(Pattern pattern, const CompileOptions& options) {
  auto impl = std::make_shared<Impl>();
  impl->pattern = std::move(pattern);
  ENTENTE_RETURN_IF_ERROR(CompileObservation(impl->pattern.root, *impl, options));
  for (const auto& [expr, first_leaf] : impl->leaf_index) {
    impl->simple.emplace(expr, std::make_unique<SimpleEvaluator>(*impl, *expr));
  }
  return CompiledPattern(std::move(impl));
}

const Pattern& CompiledPattern::pattern() const noexcept { return impl_->pattern; }

Result<MatchResult> CompiledPattern::Match(const ObservationSet& set,
                                           const MatchLimits& limits) const {
  Evaluator ev(*impl_, set, limits);
  ENTENTE_ASSIGN_OR_RETURN(auto partial, ev.Eval(impl_->pattern.root, false));
  MatchResult result;
  result.matched = !partial.empty();
  std::vector<bool> seen(set.size(), false);
  for (const auto& p : partial) {
    for (auto i : p.obs) seen[i] = true;
  }
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i]) result.observations.push_back(i);
  }
  return result;
}

bool LikeMatch(std::string_view s, std::string_view p) noexcept {
  std::size_t i = 0, j = 0;
  std::size_t star_j = std::string_view::npos, star_i = 0;
  while (i < s.size()) {
    if (j < p.size() && p[j] == '%') {
      star_j = j++;
      star_i = i;
      continue;
    }
    if (j < p.size() && p[j] == '_') {
      // A truncated code point at the end counts as one character.
      i = std::min(s.size(), i + CodePointLength(static_cast<unsigned char>(s[i])));
      ++j;
      continue;
    }
    if (j < p.size() && p[j] == s[i]) {
      ++i;
      ++j;
      continue;
    }
    if (star_j != std::string_view::npos) {
      j = star_j + 1;
      star_i = std::min(s.size(), star_i + CodePointLength(static_cast<unsigned char>(s[star_i])));
      i = star_i;
      continue;
    }
    return false;
  }
  while (j < p.size() && p[j] == '%') ++j;
  return j == p.size();
}

std::string NormalizeHashAlgorithm(std::string_view name) {
  std::string u;
  for (char c : name) {
    if (c == '-' || c == '_' || c == ' ') continue;
    u.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  if (u == "SHA1") return "SHA-1";
  if (u == "SHA224" || u == "SHA256" || u == "SHA384" || u == "SHA512") {
    return "SHA-" + u.substr(3);
  }
  if (u.size() == 7 && u.compare(0, 4, "SHA3") == 0) return "SHA3-" + u.substr(4);
  return u;
}

}  // namespace entente::pattern
