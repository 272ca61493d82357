#include "entente/detect/scanner.h"

#include <fcntl.h>
#include <immintrin.h>
#include <unistd.h>
#include <zlib.h>

#define XXH_INLINE_ALL  // the recent-miss cache hashes every candidate run: no call per run
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "token_masks.h"

namespace entente::detect {

std::string_view InputFormatName(InputFormat f) noexcept {
  switch (f) {
    case InputFormat::kAuto:
      return "auto";
    case InputFormat::kText:
      return "text";
    case InputFormat::kJsonLines:
      return "jsonl";
    case InputFormat::kZeekTsv:
      return "zeek-tsv";
    case InputFormat::kZeekJson:
      return "zeek-json";
    case InputFormat::kCsv:
      return "csv";
  }
  return "text";
}

namespace {

// Byte classes for the tokenizer.
enum : std::uint8_t {
  kTok = 1,        // [A-Za-z0-9._:-]
  kDot = 2,        // .
  kColon = 4,      // :
  kNonHex = 8,     // token bytes that are not hex digits, '.' or ':'
  kNonDigit = 16,  // token bytes other than digits and '.'
  kUpper = 32,     // A-Z
  kSlash = 64,     // /
  kUrl = 128,      // may appear inside a URL
};

struct ClassTable {
  std::uint8_t c[256] = {};
  constexpr ClassTable() {
    for (int i = 0; i < 256; ++i) {
      std::uint8_t v = 0;
      bool digit = i >= '0' && i <= '9';
      bool lower = i >= 'a' && i <= 'z', upper = i >= 'A' && i <= 'Z';
      bool hexl = (i >= 'a' && i <= 'f') || (i >= 'A' && i <= 'F');
      if (digit || lower || upper || i == '.' || i == '-' || i == '_' || i == ':') v |= kTok;
      if (i == '.') v |= kDot;
      if (i == ':') v |= kColon | kNonDigit;
      if ((lower || upper) && !hexl) v |= kNonHex;
      if (i == '-' || i == '_') v |= kNonHex | kNonDigit;
      if (lower || upper) v |= kNonDigit;
      if (upper) v |= kUpper;
      if (i == '/') v |= kSlash;
      if (i > 0x20 && i < 0x7f && i != '"' && i != '\'' && i != '<' && i != '>' && i != '`' &&
          i != '{' && i != '}' && i != '|' && i != '\\' && i != '^')
        v |= kUrl;
      c[i] = v;
    }
  }
};
constexpr ClassTable kClass;

inline std::uint8_t Cls(const char* p) { return kClass.c[static_cast<unsigned char>(*p)]; }

// --- Byte sources --------------------------------------------------------------------------

class Source {
 public:
  virtual ~Source() = default;
  // Bytes read (0 at end) or an error.
  virtual Result<std::size_t> Read(char* out, std::size_t n) = 0;
};

class FdSource : public Source {
 public:
  FdSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<std::size_t> Read(char* out, std::size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, out, n);
      if (r >= 0) return static_cast<std::size_t>(r);
      if (errno == EINTR) continue;
      return Status::IoError("read " + name_ + ": " + std::strerror(errno));
    }
  }

 private:
  int fd_;
  std::string name_;
};

class MemSource : public Source {
 public:
  explicit MemSource(std::string_view d) : d_(d) {}
  Result<std::size_t> Read(char* out, std::size_t n) override {
    n = std::min(n, d_.size());
    std::memcpy(out, d_.data(), n);
    d_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view d_;
};

// Streams gzip members (concatenated members allowed) out of a raw source. `head` holds bytes
// already read from it.
class GzipSource : public Source {
 public:
  GzipSource(Source& raw, std::string head, std::string name)
      : raw_(raw), in_(std::move(head)), name_(std::move(name)) {
    std::memset(&z_, 0, sizeof z_);
    ok_ = inflateInit2(&z_, 15 + 32) == Z_OK;
    in_.resize(std::max<std::size_t>(in_.size(), 1));
    avail_ = head_size_ = in_.size();
    if (avail_ == 1 && in_[0] == '\0') avail_ = 0;
    in_.resize(1 << 16);
    z_.next_in = reinterpret_cast<Bytef*>(in_.data());
    z_.avail_in = static_cast<uInt>(avail_);
  }
  ~GzipSource() override { inflateEnd(&z_); }
  Result<std::size_t> Read(char* out, std::size_t n) override {
    if (!ok_) return Status::Internal("zlib init failed");
    if (done_) return std::size_t{0};
    z_.next_out = reinterpret_cast<Bytef*>(out);
    z_.avail_out = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0 && !raw_eof_) {
        ENTENTE_ASSIGN_OR_RETURN(std::size_t got, raw_.Read(in_.data(), in_.size()));
        if (got == 0) raw_eof_ = true;
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(got);
      }
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        // Another member may follow.
        if (z_.avail_in == 0 && !raw_eof_) {
          ENTENTE_ASSIGN_OR_RETURN(std::size_t more, raw_.Read(in_.data(), in_.size()));
          if (more == 0) raw_eof_ = true;
          z_.next_in = reinterpret_cast<Bytef*>(in_.data());
          z_.avail_in = static_cast<uInt>(more);
        }
        if (z_.avail_in == 0) {
          done_ = true;
          break;
        }
        inflateReset(&z_);
        continue;
      }
      if (rc == Z_BUF_ERROR && z_.avail_in == 0 && raw_eof_) {
        done_ = true;
        std::size_t produced = n - z_.avail_out;
        pending_error_ = Status::IoError(name_ + ": truncated gzip stream (" +
                                         std::to_string(z_.total_out) + " bytes decompressed)");
        return produced;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        done_ = true;
        pending_error_ =
            Status::IoError(name_ + ": corrupt gzip data: " + (z_.msg ? z_.msg : "inflate failed"));
        return n - z_.avail_out;
      }
      if (rc == Z_BUF_ERROR && z_.avail_in == 0 && !raw_eof_) continue;
    }
    total_ += n - z_.avail_out;
    return n - z_.avail_out;
  }
  Status pending_error() const { return pending_error_; }

 private:
  Source& raw_;
  std::string in_;
  std::string name_;
  z_stream z_;
  bool ok_ = false, done_ = false, raw_eof_ = false;
  std::size_t avail_ = 0, head_size_ = 0, total_ = 0;
  Status pending_error_;
};

struct Token {
  std::uint32_t pos, len;  // in the region
  ObservableType type;
  std::uint64_t neg_key = 0;  // key in the recent-misses cache, 0 = not cached
  std::uint64_t run_key = 0;  // the raw run's key in the same cache
};

enum class ProbeKind : std::uint8_t { kExact, kParent, kSuffix };

struct Cand {  // its hash is in the parallel cand_hash
  const char* key;
  std::uint32_t key_len;
  ObservableType type;
  ProbeKind kind;
  std::uint32_t token;
};

struct V4Cand {
  std::uint32_t addr, token;
};

struct PendingHit {
  std::uint32_t token;
  MatchKind kind;
  bool v6;
  std::uint32_t id;  // entry / suffix entry / prefix
};

__attribute__((target("avx2"))) std::uint64_t CountNewlinesAvx2(const char* p, std::size_t n) {
  const __m256i nl = _mm256_set1_epi8('\n');
  std::uint64_t count = 0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    count += static_cast<std::uint64_t>(
        __builtin_popcount(static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, nl)))));
  }
  for (; i < n; ++i) count += p[i] == '\n';
  return count;
}

std::uint64_t CountNewlines(const char* p, std::size_t n) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return CountNewlinesAvx2(p, n);
  return static_cast<std::uint64_t>(std::count(p, p + n, '\n'));
}

// Bits [from, from + len) of a mask as the low bits of one word (len <= 64).
inline std::uint64_t Window(const std::uint64_t* m, std::size_t from, std::size_t len) {
  const std::size_t w = from / 64, o = from % 64;
  std::uint64_t bits = m[w] >> o;
  if (o != 0) bits |= m[w + 1] << (64 - o);
  return len < 64 ? bits & ((std::uint64_t{1} << len) - 1) : bits;
}

// Whether any bit in [from, to) of the mask is set.
inline bool AnyBit(const std::uint64_t* m, std::size_t from, std::size_t to) {
  while (from < to) {
    std::size_t w = from / 64, lo = from % 64;
    std::size_t hi = std::min<std::size_t>(64, lo + (to - from));
    std::uint64_t bits = m[w] >> lo;
    if (hi - lo < 64) bits &= (std::uint64_t{1} << (hi - lo)) - 1;
    if (bits) return true;
    from += hi - lo;
  }
  return false;
}

}  // namespace

struct Scanner::Impl {
  const IndexHandle& handle;
  const Warninglists* wl;
  ScanOptions opt;
  HitSink on_hit;
  WarningSink on_warning;
  ScanSummary sum;
  std::unordered_map<std::uint64_t, std::uint32_t> per_indicator;  // (table, id) -> hits
  std::unordered_map<std::string, std::string> wl_cache;
  std::unordered_map<std::uint64_t, std::string> verdicts;

  // Per input.
  std::shared_ptr<const Index> idx;
  std::string name;
  InputFormat format = InputFormat::kText;
  bool format_known = false;
  char zeek_sep = '\t';
  int ts_field = -1, uid_field = -1, nfields = 0;
  bool warned_fields = false, warned_long = false;
  std::uint64_t line = 1;  // line number at the region start

  // Per region.
  std::vector<Token> tokens;
  std::vector<Cand> cands;
  std::vector<std::uint64_t> cand_hash;
  std::vector<std::uint8_t> maybe;  // Bloom filter answer per candidate
  std::vector<V4Cand> v4s;
  std::vector<std::uint32_t> v4_addr, v4_found;  // v4s' addresses and prefixes, for the batch
  std::vector<std::uint32_t> found, positives;
  std::vector<std::uint64_t> maskbuf;  // the five Masks of the segment being tokenized
  std::vector<std::uint8_t> token_hit;
  std::vector<PendingHit> pending;
  // Key bytes of the region's candidates (lower-cased names, digests, normalised URLs). Blocks
  // never move, so a candidate's key pointer stays valid however much a region needs: overlapping
  // URLs ("http://a.b_p://a.b_p://...") each normalise up to max_token_bytes.
  std::vector<std::unique_ptr<char[]>> scratch_blocks;
  std::vector<std::size_t> scratch_sizes;
  std::size_t scratch_used = 0;  // in the last block
  Hit reused_hit;
  bool want_v4 = false, want_v4cidr = false, want_v6 = false, want_domain = false, want_url = false,
       want_email = false, want_hash = false, want_path = false;

  Impl(const IndexHandle& h, const Warninglists* w, ScanOptions o, HitSink hs, WarningSink ws)
      : handle(h), wl(w), opt(o), on_hit(std::move(hs)), on_warning(std::move(ws)) {}

  void Warn(const std::string& m) {
    sum.warnings++;
    if (on_warning) on_warning(m);
  }

  // --- candidate emission -----------------------------------------------------------------

  char* Scratch(std::size_t n) {
    if (scratch_blocks.empty() || scratch_used + n > scratch_sizes.back()) {
      const std::size_t size = std::max<std::size_t>(n, std::size_t{64} << 10);
      scratch_blocks.push_back(std::unique_ptr<char[]>(new char[size]));  // not zeroed
      scratch_sizes.push_back(size);
      scratch_used = 0;
    }
    char* p = scratch_blocks.back().get() + scratch_used;
    scratch_used += n;
    return p;
  }
  void ResetScratch() {
    if (scratch_blocks.size() > 1) {  // one block as large as this region needed, for the next
      std::size_t total = 0;
      for (std::size_t z : scratch_sizes) total += z;
      scratch_blocks.clear();
      scratch_sizes.clear();
      scratch_blocks.push_back(std::unique_ptr<char[]>(new char[total]));
      scratch_sizes.push_back(total);
    }
    scratch_used = 0;
  }

  // Recent tokens and raw runs that matched nothing (direct-mapped, 16 K entries): logs repeat the
  // same addresses and names line after line, and a repeat then costs one compare instead of
  // hashing and probing every level. Cleared with each new index generation.
  std::vector<std::uint64_t> neg_cache = std::vector<std::uint64_t>(16384, 0);
  bool NegCached(std::uint64_t k) const { return neg_cache[(k ^ (k >> 29)) & 16383] == k; }
  void NegRemember(std::uint64_t k) { neg_cache[(k ^ (k >> 29)) & 16383] = k; }

  __attribute__((always_inline)) std::uint32_t AddToken(const char* base, const char* s,
                                                        std::size_t len, ObservableType t) {
    tokens.push_back({static_cast<std::uint32_t>(s - base), static_cast<std::uint32_t>(len), t});
    return static_cast<std::uint32_t>(tokens.size() - 1);
  }
  __attribute__((always_inline)) void AddCand(ObservableType t, const char* key, std::size_t len,
                                              ProbeKind kind, std::uint32_t token,
                                              std::uint64_t hash) {
    cands.push_back({key, static_cast<std::uint32_t>(len), t, kind, token});
    cand_hash.push_back(hash);
  }
  void AddExact(ObservableType t, const char* key, std::size_t len, std::uint32_t token) {
    AddCand(t, key, len, ProbeKind::kExact, token, Index::Hash(t, {key, len}));
  }

  void EmitDomain(const char* base, const char* s, std::size_t len, bool upper) {
    const char* key = s;
    if (upper) {
      char* k = Scratch(len);
      for (std::size_t i = 0; i < len; ++i) {
        char c = s[i];
        k[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      }
      key = k;
    }
    std::string_view d(key, len);
    std::uint64_t h = Index::Hash(ObservableType::kDomain, d);
    const std::uint64_t nk = h | 1;
    if (NegCached(nk)) return;
    std::uint32_t tok = AddToken(base, s, len, ObservableType::kDomain);
    tokens[tok].neg_key = nk;
    bool first = true;
    bool suffix = idx->has_suffix_rules();
    while (true) {
      if (!first) h = Index::Hash(ObservableType::kDomain, d);
      bool multi = d.find('.') != std::string_view::npos;
      if (multi && (first || opt.parent_domains))
        AddCand(ObservableType::kDomain, d.data(), d.size(),
                first ? ProbeKind::kExact : ProbeKind::kParent, tok, h);
      if (!first && suffix)
        AddCand(ObservableType::kDomainSuffix, d.data(), d.size(), ProbeKind::kSuffix, tok, h);
      if (!multi || (!opt.parent_domains && !suffix)) break;
      d.remove_prefix(d.find('.') + 1);
      first = false;
    }
  }

  // A run of [A-Za-z0-9._-] (no colon) with the class bits `acc`.
  void Dotted(const char* base, const char* s, const char* e, std::uint8_t acc) {
    while (s < e && (*s == '.' || *s == '-' || *s == '_')) ++s;
    while (e > s && (e[-1] == '.' || e[-1] == '-' || e[-1] == '_')) --e;
    std::size_t len = static_cast<std::size_t>(e - s);
    if (len < 3) return;
    if (!(acc & kNonDigit)) {
      if (!want_v4 && !want_v4cidr) return;
      if (len > 15 || len < 7) return;
      auto a = ParseIpv4({s, len});
      if (!a) return;
      const std::uint64_t nk = (std::uint64_t{0xA1} << 56) | *a;
      if (NegCached(nk)) return;
      std::uint32_t tok = AddToken(base, s, len, ObservableType::kIpv4);
      tokens[tok].neg_key = nk;
      if (want_v4) {
        char* k = Scratch(4);
        k[0] = static_cast<char>(*a >> 24), k[1] = static_cast<char>(*a >> 16),
        k[2] = static_cast<char>(*a >> 8), k[3] = static_cast<char>(*a);
        AddExact(ObservableType::kIpv4, k, 4, tok);
      }
      if (want_v4cidr) v4s.push_back({*a, tok});
      return;
    }
    if (!want_domain) return;
    const char* last = e;
    while (last > s && last[-1] != '.') --last;
    std::size_t tl = static_cast<std::size_t>(e - last);
    if (last == s || tl < 2 || tl > 63) return;
    char lab[64];
    for (std::size_t i = 0; i < tl; ++i) {
      char c = last[i];
      lab[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    if (!idx->IsCandidateTld({lab, tl})) return;
    // Reject empty labels ("a..b") and over-long names.
    if (len > 253) return;
    for (const char* q = s + 1; q < e; ++q)
      if (*q == '.' && q[-1] == '.') return;
    EmitDomain(base, s, len, acc & kUpper);
  }

  void Hash(const char* base, const char* s, std::size_t len) {
    ObservableType t = len == 32   ? ObservableType::kMd5
                       : len == 40 ? ObservableType::kSha1
                                   : ObservableType::kSha256;
    if (!idx->HasType(t)) return;
    // The run is known to be hex digits only (no allocation on this path).
    char* k = Scratch(len / 2);
    auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    for (std::size_t i = 0; i < len / 2; ++i)
      k[i] = static_cast<char>(nib(s[2 * i]) * 16 + nib(s[2 * i + 1]));
    AddExact(t, k, len / 2, AddToken(base, s, len, t));
  }

  void NormalizedCand(const char* base, const char* s, std::size_t len, ObservableType t,
                      const std::string& key) {
    char* k = Scratch(key.size());
    std::memcpy(k, key.data(), key.size());
    AddExact(t, k, key.size(), AddToken(base, s, len, t));
  }

  // A URL path starting at s ('/'); returns its end.
  const char* Path(const char* base, const char* s, const char* end) {
    const char* e = s;
    while (e < end && (Cls(e) & kUrl) && static_cast<std::size_t>(e - s) < opt.max_token_bytes) ++e;
    std::size_t len = static_cast<std::size_t>(e - s);
    if (len >= 2 && len < opt.max_token_bytes) {
      // Request paths repeat as much as addresses do: skip one that matched nothing recently.
      const std::uint64_t rk = XXH3_64bits_withSeed(s, len, kPathSeed) | 1;
      if (NegCached(rk)) return e;
      const std::size_t t0 = tokens.size();
      PathTokens(base, s, len);
      for (std::size_t t = t0; t < tokens.size(); ++t) tokens[t].run_key = rk;
    }
    return e;
  }
  static constexpr std::uint64_t kPathSeed = 0x70617468;  // "path"
  void PathTokens(const char* base, const char* s, std::size_t len) {
    {
      if (auto p = NormalizeUrlPath({s, len}))
        NormalizedCand(base, s, len, ObservableType::kUrlPath, *p);
      std::string_view v(s, len);
      if (auto q = v.find('?'); q != std::string_view::npos && q > 1)
        if (auto p = NormalizeUrlPath(v.substr(0, q)))
          NormalizedCand(base, s, q, ObservableType::kUrlPath, *p);
    }
  }

  static constexpr int kMaxNestedUrls = 8;
  const char* url_span_end = nullptr;  // end of the last outer URL in this region
  int urls_nested = 0;
  void Url(const char* base, const char* s, const char* end) {
    const char* e = s;
    while (e < end && (Cls(e) & kUrl) && static_cast<std::size_t>(e - s) < opt.max_token_bytes) ++e;
    std::size_t len = static_cast<std::size_t>(e - s);
    if (len >= opt.max_token_bytes) return;
    // A URL inside another ("...?u=http://evil/") is its own candidate, but only a few per outer
    // URL: "p://" repeated along one long URL would otherwise normalise the same bytes again at
    // every repeat (quadratic time, and key memory many times the input).
    if (s < url_span_end) {
      if (++urls_nested > kMaxNestedUrls) return;
    } else {
      url_span_end = e;
      urls_nested = 0;
    }
    if (want_url)
      if (auto u = NormalizeUrl({s, len})) NormalizedCand(base, s, len, ObservableType::kUrl, *u);
    if (want_path) {
      const char* h = static_cast<const char*>(std::memchr(s, '/', len));  // the "//"
      if (h && h + 2 < e) {
        const char* p =
            static_cast<const char*>(std::memchr(h + 2, '/', static_cast<std::size_t>(e - h - 2)));
        if (p) Path(base, p, e);
      }
    }
  }

  void Email(const char* base, const char* local_start, const char* at, const char* end) {
    // Local part: back over [A-Za-z0-9._%+-]; domain: the run after '@'.
    const char* s = at;
    while (s > local_start && ((Cls(s - 1) & kTok) || s[-1] == '+' || s[-1] == '%') && s[-1] != ':')
      --s;
    const char* e = at + 1;
    while (e < end && (Cls(e) & kTok) && *e != ':') ++e;
    while (e > at + 1 && (e[-1] == '.' || e[-1] == '-')) --e;
    if (s == at || e <= at + 1) return;
    std::size_t len = static_cast<std::size_t>(e - s);
    if (len > 254) return;
    if (auto m = NormalizeEmail({s, len})) NormalizedCand(base, s, len, ObservableType::kEmail, *m);
  }

  // One run of token bytes [s, e) (whole: never part of a longer run).
  void ProcessRun(const char* base, const char* s, const char* p, const char* end) {
    std::uint8_t acc = 0;
    for (const char* q = s; q < p; ++q) acc |= Cls(q);
    std::size_t len = static_cast<std::size_t>(p - s);
    if (len > opt.max_token_bytes) return;
    if (!(acc & (kDot | kColon))) {
      if ((len == 32 || len == 40 || len == 64) && !(acc & kNonHex) && want_hash)
        Hash(base, s, len);
    } else if (acc & kColon) {
      // URL scheme "xxx://"
      if (p[-1] == ':' && p + 2 <= end && p[0] == '/' && p[1] == '/' && (want_url || want_path)) {
        const char* sch = p - 1;
        while (sch > s && sch[-1] != ':') --sch;
        Url(base, sch, end);
      }
      bool v6done = false;
      if (want_v6 && !(acc & kNonHex)) {
        const char* a = s;
        const char* b = p;
        while (b > a && (b[-1] == '.')) --b;
        if (b - a >= 2) {
          if (auto v6 = ParseIpv6({a, static_cast<std::size_t>(b - a)})) {
            std::uint32_t tok =
                AddToken(base, a, static_cast<std::size_t>(b - a), ObservableType::kIpv6);
            if (idx->HasType(ObservableType::kIpv6)) {
              char* k = Scratch(16);
              std::memcpy(k, v6->data(), 16);
              AddExact(ObservableType::kIpv6, k, 16, tok);
            }
            if (opt.cidrs && idx->has_v6_prefixes()) {
              std::uint32_t pr = idx->LookupV6(*v6);
              if (pr != Index::kNone) pending.push_back({tok, MatchKind::kCidr, true, pr});
            }
            v6done = true;
          }
        }
      }
      if (!v6done) {
        // Pieces between colons: "host:port", "ts:12.3", "http:".
        const char* q = s;
        while (q < p) {
          const char* r = q;
          std::uint8_t pa = 0;
          while (r < p && *r != ':') pa |= Cls(r++);
          if (pa & kDot) Dotted(base, q, r, pa);
          q = r + 1;
        }
      }
    } else {
      Dotted(base, s, p, acc);
    }
    if (want_email && p < end && *p == '@') Email(base, s, p, end);
  }

  // Splits a segment into runs and turns the interesting ones into candidates. Two passes: bit
  // masks per 64 bytes (token bytes; "seeds" = '.', ':', '/', '@' and starts of 32+ byte runs,
  // vectorised where the CPU allows), then only the runs holding a seed are looked at.
  void Tokenize(const char* base, const char* p0, const char* end, bool cut_head, bool cut_tail) {
    const std::size_t n = static_cast<std::size_t>(end - p0);
    const std::size_t words = (n + 63) / 64;
    const std::size_t mw = internal::MaskWords(n);
    maskbuf.resize(5 * mw);
    const internal::TokenMasks mk{maskbuf.data(), maskbuf.data() + mw, maskbuf.data() + 2 * mw,
                                  maskbuf.data() + 3 * mw, maskbuf.data() + 4 * mw};
    const std::uint64_t* const tokm = mk.tok;
    internal::BuildTokenMasks(p0, n, mk, want_hash, internal::BestMaskIsa());
    auto tok_at = [&](std::size_t i) { return (tokm[i / 64] >> (i % 64)) & 1; };
    auto run_start = [&](std::size_t i) -> std::size_t {
      std::size_t w = i / 64;
      std::uint64_t m = ~tokm[w] & ((std::uint64_t{1} << (i % 64)) - 1);
      while (true) {
        if (m) return w * 64 + static_cast<std::size_t>(63 - __builtin_clzll(m)) + 1;
        if (w == 0) return 0;
        m = ~tokm[--w];
      }
    };
    auto run_end = [&](std::size_t i) -> std::size_t {
      std::size_t w = i / 64;
      std::uint64_t m = ~tokm[w] & ~((std::uint64_t{2} << (i % 64)) - 1);
      while (!m && w + 1 < words) m = ~tokm[++w];
      std::size_t e = m ? w * 64 + static_cast<std::size_t>(__builtin_ctzll(m)) : n;
      return e < n ? e : n;
    };
    std::size_t done = 0;
    if (cut_head && n > 0 && tok_at(0)) done = run_end(0);
    for (std::size_t w = 0; w < words; ++w) {
      std::uint64_t m = mk.seed[w];
      while (m) {
        std::size_t i = w * 64 + static_cast<std::size_t>(__builtin_ctzll(m));
        m &= m - 1;
        if (i < done || i >= n) continue;
        const char* at = p0 + i;
        if (*at == '/') {
          // A path starts a field: "GET /x", "\t/x", "\"/x".
          if (want_path && (at == base || at[-1] == ' ' || at[-1] == '\t' || at[-1] == '"'))
            Path(base, at, end);
          continue;
        }
        if (*at == '@') {
          if (!want_email || i == 0 || !tok_at(i - 1)) continue;
          std::size_t s = run_start(i - 1);
          if (s < done) continue;
          done = i;
          ProcessRun(base, p0 + s, at, end);
          continue;
        }
        std::size_t s = run_start(i), e = run_end(i);
        if (s < done) s = done;
        done = e;
        // The run's other seeds need no visit of their own.
        m = e >= (w + 1) * 64 ? 0 : m & (~std::uint64_t{0} << (e % 64));
        if (cut_tail && e == n) continue;  // incomplete token at a forced cut
        const char* rs = p0 + s;
        const std::size_t rl = e - s;
        const bool before_at = e < n && p0[e] == '@';
        const bool colon = rl <= 64 ? Window(mk.colon, s, rl) != 0 : AnyBit(mk.colon, s, e);
        if (!colon && !before_at) {
          // Digits and dots only: an IPv4 address (three dots, trimmed dots aside) or a hash
          // (no dot, 32/40/64 digits), nothing else. Timestamps, durations and version numbers
          // are most of these runs and are dropped here, before any hashing.
          if (rl <= 64 && Window(mk.word, s, rl) == 0) {
            const std::uint64_t dots = Window(mk.dot, s, rl);
            std::uint64_t third = dots & (dots - 1);
            third &= third - 1;  // non-zero when the run has at least three dots
            if (dots == 0 ? !(rl == 32 || rl == 40 || rl == 64) : third == 0 || rl < 7) continue;
          }
          // A run without ':' and not before '@' yields at most one token, decided by its bytes
          // alone: when those bytes matched nothing recently, skip the whole run.
          const std::uint64_t rk = XXH3_64bits(rs, rl) | 1;
          if (NegCached(rk)) continue;
          const std::size_t t0 = tokens.size();
          ProcessRun(base, rs, p0 + e, end);
          if (tokens.size() == t0) {
            NegRemember(rk);
          } else {
            for (std::size_t t = t0; t < tokens.size(); ++t) tokens[t].run_key = rk;
          }
          continue;
        }
        ProcessRun(base, rs, p0 + e, end);
      }
    }
  }

  // --- matching and hits --------------------------------------------------------------------

  std::string WarninglistFor(ObservableType t, const std::string& canon) {
    if (!wl) return {};
    std::string key(1, static_cast<char>(t));
    key += canon;
    if (auto it = wl_cache.find(key); it != wl_cache.end()) return it->second;
    std::string r = wl->Check(t, canon);
    if (wl_cache.size() > 100000) wl_cache.clear();
    wl_cache.emplace(std::move(key), r);
    return r;
  }

  std::string Canonical(const Token& t, const char* base) {
    std::string_view raw(base + t.pos, t.len);
    switch (t.type) {
      case ObservableType::kIpv4:
        return FormatIpv4(*ParseIpv4(raw));
      case ObservableType::kIpv6:
        return FormatIpv6(*ParseIpv6(raw));
      case ObservableType::kDomain:
        return NormalizeDomain(raw).value_or(std::string(raw));
      case ObservableType::kUrl:
        return NormalizeUrl(raw).value_or(std::string(raw));
      case ObservableType::kUrlPath:
        return NormalizeUrlPath(raw).value_or(std::string(raw));
      case ObservableType::kEmail:
        return NormalizeEmail(raw).value_or(std::string(raw));
      default: {
        std::string s(raw);
        for (char& c : s)
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        return s;
      }
    }
  }

  void RecordFields(const char* base, const char* region_end, std::uint32_t pos,
                    bool region_starts_line, std::uint64_t line_no, Hit& h) {
    if (format != InputFormat::kZeekTsv && format != InputFormat::kZeekJson) return;
    const char* p = base + pos;
    const char* ls = p;
    while (ls > base && ls[-1] != '\n') --ls;
    if (ls == base && !region_starts_line) return;
    const char* le =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(region_end - p)));
    if (!le) le = region_end;
    std::string_view rec(ls, static_cast<std::size_t>(le - ls));
    if (!rec.empty() && rec.back() == '\r') rec.remove_suffix(1);
    if (format == InputFormat::kZeekTsv) {
      if (ts_field < 0 && uid_field < 0) return;
      // One pass over the separators, keeping only the two fields wanted (no allocation).
      std::string_view ts, uid;
      std::size_t count = 0, a = 0;
      while (true) {
        std::size_t b = rec.find(zeek_sep, a);
        std::string_view f =
            rec.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a);
        if (static_cast<int>(count) == ts_field) ts = f;
        if (static_cast<int>(count) == uid_field) uid = f;
        ++count;
        if (b == std::string_view::npos || count > 4096) break;
        a = b + 1;
      }
      if (nfields > 0 && static_cast<int>(count) != nfields) {
        if (!warned_fields) {
          warned_fields = true;
          Warn(name + ":" + std::to_string(line_no) + ": record has " + std::to_string(count) +
               " fields but the #fields header declares " + std::to_string(nfields) +
               "; ts/uid are not reported for such records");
        }
        return;
      }
      h.ts = ts;
      h.uid = uid;
    } else {
      auto field = [&](std::string_view k) -> std::string {
        auto at = rec.find(k);
        if (at == std::string_view::npos) return {};
        std::size_t v = at + k.size();
        while (v < rec.size() && rec[v] == ' ') ++v;
        if (v < rec.size() && rec[v] == '"') {
          auto close = rec.find('"', v + 1);
          if (close == std::string_view::npos) return {};
          return std::string(rec.substr(v + 1, close - v - 1));
        }
        std::size_t e = v;
        while (e < rec.size() && rec[e] != ',' && rec[e] != '}' && rec[e] != ' ') ++e;
        return std::string(rec.substr(v, e - v));
      };
      h.ts = field("\"ts\":");
      h.uid = field("\"uid\":");
    }
  }

  bool Capped(std::uint64_t key) {
    std::uint32_t& n = per_indicator[key];
    if (n >= opt.max_hits_per_indicator) {
      sum.capped++;
      return true;
    }
    if (++n == opt.max_hits_per_indicator) sum.capped_indicators++;
    return false;
  }

  // Scans one region and delivers its hits; returns the number of newlines in it (counted once,
  // on the way to the hits).
  std::uint64_t ProcessRegion(const char* base, std::size_t len, bool starts_line, bool cut_head,
                              bool cut_tail) {
    tokens.clear();
    cands.clear();
    cand_hash.clear();
    v4s.clear();
    pending.clear();
    ResetScratch();
    url_span_end = nullptr;
    const char* end = base + len;

    // Zeek TSV: '#' lines are headers; parse them and scan what lies between.
    if (format == InputFormat::kZeekTsv) {
      const char* p = base;
      bool at_line = starts_line;
      bool head = cut_head;
      while (p < end) {
        if (at_line && *p == '#') {
          const char* le =
              static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
          if (!le) le = end;
          ZeekHeader({p, static_cast<std::size_t>(le - p)});
          p = le + (le < end ? 1 : 0);
          at_line = true;
          continue;
        }
        // Up to the next "\n#".
        const char* next =
            static_cast<const char*>(memmem(p, static_cast<std::size_t>(end - p), "\n#", 2));
        const char* seg_end = next ? next + 1 : end;
        Tokenize(base, p, seg_end, head, next ? false : cut_tail);
        head = false;
        p = seg_end;
        at_line = true;
      }
    } else {
      Tokenize(base, base, end, cut_head, cut_tail);
    }
    sum.candidates += cands.size() + v4s.size();

    // Filter through the cache-resident Bloom filter, then batched probes with prefetch.
    found.assign(cands.size(), Index::kNone);
    maybe.resize(cands.size());
    idx->MayContainBatch(cand_hash, maybe.data());
    positives.clear();
    for (std::size_t i = 0; i < cands.size(); ++i) {
      const Cand& c = cands[i];
      if (c.kind == ProbeKind::kSuffix) {
        found[i] = idx->FindSuffix(cand_hash[i], {c.key, c.key_len});
      } else if (maybe[i]) {
        positives.push_back(static_cast<std::uint32_t>(i));
      }
    }
    constexpr std::size_t kAhead = 16;
    for (std::size_t j = 0; j < positives.size() && j < kAhead; ++j)
      idx->Prefetch(cand_hash[positives[j]]);
    for (std::size_t j = 0; j < positives.size(); ++j) {
      if (j + kAhead < positives.size()) idx->Prefetch(cand_hash[positives[j + kAhead]]);
      const Cand& c = cands[positives[j]];
      found[positives[j]] = idx->Find(cand_hash[positives[j]], c.type, {c.key, c.key_len});
    }
    for (std::size_t i = 0; i < cands.size(); ++i) {
      if (found[i] == Index::kNone) continue;
      const Cand& c = cands[i];
      if (c.kind == ProbeKind::kParent && idx->IsPublicSuffix({c.key, c.key_len})) {
        sum.public_suffix_skipped++;
        continue;
      }
      pending.push_back({c.token,
                         c.kind == ProbeKind::kExact    ? MatchKind::kExact
                         : c.kind == ProbeKind::kParent ? MatchKind::kParent
                                                        : MatchKind::kSuffix,
                         false, found[i]});
    }
    v4_addr.resize(v4s.size());
    v4_found.resize(v4s.size());
    for (std::size_t i = 0; i < v4s.size(); ++i) v4_addr[i] = v4s[i].addr;
    idx->LookupV4Batch(v4_addr, v4_found.data());
    for (std::size_t i = 0; i < v4s.size(); ++i)
      if (v4_found[i] != Index::kNone)
        pending.push_back({v4s[i].token, MatchKind::kCidr, false, v4_found[i]});
    token_hit.assign(tokens.size(), 0);
    for (const PendingHit& ph : pending) token_hit[ph.token] = 1;
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (!token_hit[i] && tokens[i].neg_key != 0) NegRemember(tokens[i].neg_key);
    // A run or path is remembered only when none of its tokens (they are adjacent) matched.
    for (std::size_t i = 0; i < tokens.size();) {
      const std::uint64_t rk = tokens[i].run_key;
      bool hit = false;
      std::size_t j = i;
      for (; j < tokens.size() && tokens[j].run_key == rk; ++j) hit |= token_hit[j] != 0;
      if (rk != 0 && !hit) NegRemember(rk);
      i = j;
    }
    if (pending.empty()) return CountNewlines(base, len);
    std::stable_sort(pending.begin(), pending.end(), [&](const PendingHit& a, const PendingHit& b) {
      return tokens[a.token].pos < tokens[b.token].pos;
    });

    // Resolve hits: location, indicators, warninglists, caps.
    std::uint64_t ln = line;
    const char* counted = base;
    for (const PendingHit& ph : pending) {
      const Token& t = tokens[ph.token];
      std::uint64_t cap_key = ph.kind == MatchKind::kCidr
                                  ? (std::uint64_t{ph.v6 ? 3u : 2u} << 32) | ph.id
                              : ph.kind == MatchKind::kSuffix ? (std::uint64_t{1} << 32) | ph.id
                                                              : ph.id;
      if (auto it = per_indicator.find(cap_key);
          it != per_indicator.end() && it->second >= opt.max_hits_per_indicator) {
        sum.capped++;
        continue;
      }
      Hit& h = reused_hit;  // reused: its strings and vector keep their capacity
      h.indicators.clear();
      h.ts.clear();
      h.uid.clear();
      h.value.assign(base + t.pos, t.len);
      h.type = t.type;
      h.kind = ph.kind;
      std::span<const MetaId> posts;
      if (ph.kind == MatchKind::kCidr) {
        const Index::Prefix& pr = ph.v6 ? idx->v6_prefix(ph.id) : idx->v4_prefix(ph.id);
        h.matched = FormatCidr(pr.cidr);
        posts = idx->prefix_postings(pr);
      } else if (ph.kind == MatchKind::kSuffix) {
        const Index::Entry& e = idx->suffix_entry(ph.id);
        h.matched = KeyToText(ObservableType::kDomainSuffix, idx->key(e));
        posts = idx->postings(e);
      } else {
        const Index::Entry& e = idx->entry(ph.id);
        h.matched = KeyToText(e.type, idx->key(e));
        posts = idx->postings(e);
      }
      for (MetaId m : posts) {
        const IndicatorMeta& meta = idx->meta(m);
        if (meta.revoked && !opt.include_revoked) continue;
        if (opt.valid_at_ms != 0 &&
            !(opt.valid_at_ms >= meta.valid_from_ms && opt.valid_at_ms < meta.valid_until_ms))
          continue;
        h.indicators.push_back(&meta);
      }
      if (h.indicators.empty()) continue;
      // The verdict depends on the observed value (and the indicator value): for exact hits the
      // entry determines both, for IPv4 CIDR hits the address does; cache those by number.
      std::uint64_t verdict_key = 0;
      if (ph.kind == MatchKind::kExact) {
        verdict_key = (std::uint64_t{1} << 60) | ph.id;
      } else if (ph.kind == MatchKind::kCidr && !ph.v6) {
        verdict_key = (std::uint64_t{2} << 60) | *ParseIpv4(h.value);
      }
      if (auto it = verdicts.find(verdict_key); verdict_key != 0 && it != verdicts.end()) {
        h.warninglists = it->second;
      } else {
        std::string canon = Canonical(t, base);
        h.warninglists = WarninglistFor(t.type, canon);
        if (h.warninglists.empty() && ph.kind != MatchKind::kCidr && h.matched != canon) {
          ObservableType mt = ph.kind == MatchKind::kExact ? t.type : ObservableType::kDomain;
          if (ph.kind == MatchKind::kSuffix) mt = ObservableType::kDomainSuffix;
          std::string mv = ph.kind == MatchKind::kSuffix ? h.matched.substr(1) : h.matched;
          h.warninglists = WarninglistFor(mt, mv);
        }
        if (verdict_key != 0 && wl) {
          if (verdicts.size() > 100000) verdicts.clear();
          verdicts.emplace(verdict_key, h.warninglists);
        }
      }
      if (!h.warninglists.empty()) {
        sum.warninglisted++;
        if (opt.suppress_warninglisted) {
          sum.suppressed_warninglisted++;
          continue;
        }
      }
      if (Capped(cap_key)) continue;
      const char* at = base + t.pos;
      if (counted < at) {
        ln += CountNewlines(counted, static_cast<std::size_t>(at - counted));
        counted = at;
      }
      h.line = ln;
      h.offset = region_offset + t.pos;
      h.input = name;
      RecordFields(base, end, t.pos, starts_line, ln, h);
      sum.hits++;
      on_hit(h);
    }
    return ln - line + CountNewlines(counted, static_cast<std::size_t>(end - counted));
  }

  std::uint64_t region_offset = 0;

  void ZeekHeader(std::string_view hl) {
    if (!hl.empty() && hl.back() == '\r') hl.remove_suffix(1);
    if (hl.starts_with("#separator ")) {
      std::string_view v = hl.substr(11);
      if (v.size() == 4 && v[0] == '\\' && v[1] == 'x') {
        auto b = HexToBytes(v.substr(2));
        if (b) zeek_sep = (*b)[0];
      } else if (v.size() == 1) {
        zeek_sep = v[0];
      } else {
        Warn(name + ": unusable Zeek #separator '" + std::string(v.substr(0, 20)) + "'; using TAB");
        zeek_sep = '\t';
      }
    } else if (hl.starts_with("#fields")) {
      ts_field = uid_field = -1;
      nfields = 0;
      std::string_view rest = hl.substr(7);
      if (!rest.empty()) rest.remove_prefix(1);
      std::size_t a = 0;
      while (a <= rest.size()) {
        std::size_t b = rest.find(zeek_sep, a);
        std::string_view f =
            rest.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a);
        if (f == "ts") ts_field = nfields;
        if (f == "uid") uid_field = nfields;
        ++nfields;
        if (b == std::string_view::npos || nfields > 4096) break;
        a = b + 1;
      }
    }
  }

  void DetectFormat(std::string_view head) {
    format_known = true;
    if (opt.format != InputFormat::kAuto) {
      format = opt.format;
      return;
    }
    std::size_t nl = head.find('\n');
    std::string_view first = head.substr(0, nl);
    while (!first.empty() && (first.front() == ' ' || first.front() == '\t'))
      first.remove_prefix(1);
    if (first.starts_with("#separator") || first.starts_with("#fields")) {
      format = InputFormat::kZeekTsv;
    } else if (first.starts_with("{")) {
      format = (first.find("\"uid\"") != std::string_view::npos ||
                first.find("\"ts\"") != std::string_view::npos)
                   ? InputFormat::kZeekJson
                   : InputFormat::kJsonLines;
    } else if (std::count(first.begin(), first.end(), ',') >= 2 &&
               first.find('\t') == std::string_view::npos) {
      format = InputFormat::kCsv;
    } else {
      format = InputFormat::kText;
    }
  }

  // Takes the current generation and resets the per-input state.
  Status BeginInput(const std::string& input_name) {
    auto next = handle.Current();
    if (!next) return Status::Unavailable("no index generation published");
    if (next != idx) {  // both are only valid for one generation
      verdicts.clear();
      std::fill(neg_cache.begin(), neg_cache.end(), 0);
    }
    idx = std::move(next);
    name = input_name;
    format_known = false;
    zeek_sep = '\t';
    ts_field = uid_field = -1;
    nfields = 0;
    warned_fields = warned_long = false;
    line = 1;
    region_offset = 0;
    at_line_start = true;
    cut_mid_token = false;
    want_v4 = idx->HasType(ObservableType::kIpv4);
    want_v4cidr = opt.cidrs && idx->has_v4_prefixes();
    want_v6 = idx->HasType(ObservableType::kIpv6) || (opt.cidrs && idx->has_v6_prefixes());
    want_domain = idx->HasType(ObservableType::kDomain) || idx->has_suffix_rules();
    want_url = idx->HasType(ObservableType::kUrl);
    want_email = idx->HasType(ObservableType::kEmail);
    want_hash = idx->HasType(ObservableType::kMd5) || idx->HasType(ObservableType::kSha1) ||
                idx->HasType(ObservableType::kSha256);
    want_path = idx->HasType(ObservableType::kUrlPath);
    sum.inputs++;
    return Status::Ok();
  }

  bool at_line_start = true, cut_mid_token = false;  // where the next region begins

  std::size_t RegionCap() const {
    return std::max<std::size_t>(opt.chunk_bytes, 2 * opt.max_token_bytes + 16);
  }

  // Scans a prefix of the `have` bytes at `data` (all of them when `eof`): up to the last
  // newline, else (a line longer than the window) up to a token boundary. Returns its length.
  std::size_t Step(const char* data, std::size_t have, bool eof) {
    if (!format_known) DetectFormat({data, have});
    std::size_t end = have;
    bool cut_tail = false, ends_line = true;
    if (!eof) {
      const char* nl = static_cast<const char*>(memrchr(data, '\n', have));
      if (nl) {
        end = static_cast<std::size_t>(nl - data) + 1;
      } else {
        ends_line = false;
        if (!warned_long) {
          warned_long = true;
          Warn(name + ":" + std::to_string(line) + ": line longer than " +
               std::to_string(RegionCap()) + " bytes; scanned in pieces");
        }
        // Cut after the last non-token byte within reach, else mid-token.
        std::size_t lim = have > opt.max_token_bytes ? have - opt.max_token_bytes : 0;
        std::size_t k = have;
        while (k > lim && (Cls(data + k - 1) & kTok)) --k;
        if (k > lim) {
          end = k;
        } else {
          cut_tail = true;
        }
      }
    }
    const std::uint64_t nls = ProcessRegion(data, end, at_line_start, cut_mid_token, cut_tail);
    line += nls;
    sum.records += nls;
    sum.bytes += end;
    region_offset += end;
    at_line_start = ends_line;
    cut_mid_token = cut_tail;
    return end;
  }

  // Bytes already in memory, not compressed: scanned in place, window by window.
  Status ScanMemory(std::string_view data, const std::string& input_name) {
    ENTENTE_RETURN_IF_ERROR(BeginInput(input_name));
    const std::size_t cap = RegionCap();
    while (!data.empty()) {
      const bool eof = data.size() <= cap;
      std::size_t used = Step(data.data(), eof ? data.size() : cap, eof);
      data.remove_prefix(used);
    }
    if (!at_line_start) sum.records++;  // last line without newline
    return Status::Ok();
  }

  Status ScanSource(Source& raw, const std::string& input_name) {
    ENTENTE_RETURN_IF_ERROR(BeginInput(input_name));

    // Sniff gzip.
    std::string head(2, '\0');
    std::size_t got = 0;
    while (got < 2) {
      ENTENTE_ASSIGN_OR_RETURN(std::size_t n, raw.Read(head.data() + got, 2 - got));
      if (n == 0) break;
      got += n;
    }
    head.resize(got);
    std::unique_ptr<GzipSource> gz;
    Source* src = &raw;
    std::string prefix;
    if (got == 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
        static_cast<unsigned char>(head[1]) == 0x8b) {
      gz = std::make_unique<GzipSource>(raw, head, input_name);
      src = gz.get();
    } else {
      prefix = head;
    }

    const std::size_t cap = RegionCap();
    std::string buf(cap, '\0');
    std::size_t have = prefix.size();
    std::memcpy(buf.data(), prefix.data(), have);
    bool eof = false;
    Status read_error;
    while (true) {
      while (!eof && have < cap) {
        auto r = src->Read(buf.data() + have, cap - have);
        if (!r.ok()) {
          read_error = r.status();
          eof = true;
          break;
        }
        if (*r == 0) eof = true;
        have += *r;
      }
      if (have == 0) break;
      std::size_t end = Step(buf.data(), have, eof);
      std::memmove(buf.data(), buf.data() + end, have - end);
      have -= end;
      if (eof && have == 0) break;
    }
    if (!at_line_start) sum.records++;  // last line without newline
    if (gz && !gz->pending_error().ok())
      Warn(gz->pending_error().message() + "; scanned what was readable");
    if (!read_error.ok()) Warn(read_error.message());
    return Status::Ok();
  }
};

Scanner::Scanner(const IndexHandle& index, const Warninglists* warninglists, ScanOptions options,
                 HitSink on_hit, WarningSink on_warning)
    : impl_(std::make_unique<Impl>(index, warninglists, options, std::move(on_hit),
                                   std::move(on_warning))) {}
Scanner::~Scanner() = default;

const ScanSummary& Scanner::summary() const noexcept { return impl_->sum; }

void Scanner::Finish() {
  if (impl_->sum.capped > 0)
    impl_->Warn(std::to_string(impl_->sum.capped) + " hits on " +
                std::to_string(impl_->sum.capped_indicators) + " indicators over the cap of " +
                std::to_string(impl_->opt.max_hits_per_indicator) +
                " hits per indicator were not reported");
}

Status Scanner::ScanFd(int fd, const std::string& name) {
  auto t0 = std::chrono::steady_clock::now();
  FdSource src(fd, name);
  Status s = impl_->ScanSource(src, name);
  impl_->sum.seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

Status Scanner::ScanBuffer(std::string_view data, const std::string& name) {
  auto t0 = std::chrono::steady_clock::now();
  const bool gzip = data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
                    static_cast<unsigned char>(data[1]) == 0x8b;
  MemSource src(data);
  Status s = gzip ? impl_->ScanSource(src, name) : impl_->ScanMemory(data, name);
  impl_->sum.seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

Status Scanner::ScanPath(const std::string& path) {
  namespace fs = std::filesystem;
  if (path == "-") return ScanFd(0, "-");
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (fs::recursive_directory_iterator
             it(path, fs::directory_options::skip_permission_denied, ec),
         e;
         it != e; it.increment(ec)) {
      if (ec) break;
      if (it->is_regular_file(ec)) files.push_back(it->path().string());
    }
    if (ec) impl_->Warn("walking " + path + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      Status s = ScanPath(f);
      if (!s.ok()) impl_->Warn(s.message());
    }
    return Status::Ok();
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  Status s = ScanFd(fd, path);
  ::close(fd);
  return s;
}

}  // namespace entente::detect
