#include "entente/detect/warninglist.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "entente/detect/indicator_list.h"
#include "tables.h"

namespace entente::detect {

namespace {
constexpr std::size_t kMaxEntriesPerType = 10'000'000;

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}
}  // namespace

struct Warninglists::Impl {
  std::vector<std::string> names;  // interned list-name strings
  std::unordered_map<std::string, std::uint32_t> name_ids;
  // Keys are views into `storage` so probes need no allocation.
  std::deque<std::string> storage;
  std::unordered_map<std::string_view, std::uint32_t> hostnames, strings, string_suffixes,
      substrings;
  void Put(std::unordered_map<std::string_view, std::uint32_t>& m, std::string v,
           std::uint32_t name) {
    if (m.count(v)) return;
    storage.push_back(std::move(v));
    m.emplace(storage.back(), name);
  }
  std::set<std::size_t> substring_lengths;
  // First four bytes of every substring entry of 4+ bytes: a position whose next four bytes
  // are not here cannot start a match, so most positions cost one set probe.
  std::unordered_set<std::uint32_t> substring_prefix4;
  bool short_substrings = false;
  static std::uint32_t Load4(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  struct Regex {
    std::unique_ptr<RE2> re;
    std::uint32_t name;
  };
  std::vector<Regex> regexes;
  // Every regex in one automaton (built by Finish): one pass over a value instead of one per
  // regex. Patterns in regexes' order, case-insensitive ones prefixed with (?i); the first
  // matching index names the list, as the loop would. Null when RE2 could not build it.
  std::vector<std::string> regex_sources;
  std::unique_ptr<RE2::Set> regex_set;
  struct PIn {
    Cidr cidr;
    std::uint32_t name;
  };
  std::vector<PIn> pending_v4, pending_v6;
  internal::V4Table v4;
  internal::V6Table v6;
  std::vector<std::uint32_t> v4_names, v6_names;  // by prefix number
  std::size_t count = 0;

  std::uint32_t Name(std::string_view lists) {
    auto [it, ins] = name_ids.emplace(std::string(lists), static_cast<std::uint32_t>(names.size()));
    if (ins) names.emplace_back(lists);
    return it->second;
  }

  const std::string* Host(std::string_view d) const {
    while (true) {
      if (auto it = hostnames.find(d); it != hostnames.end()) return &names[it->second];
      auto dot = d.find('.');
      if (dot == std::string_view::npos) return nullptr;
      d.remove_prefix(dot + 1);
    }
  }
  const std::string* String(std::string_view v, bool domain_like) const {
    if (auto it = strings.find(v); it != strings.end()) return &names[it->second];
    if (domain_like && !string_suffixes.empty()) {
      std::string_view d = v;
      while (true) {
        auto dot = d.find('.');
        if (dot == std::string_view::npos) break;
        d.remove_prefix(dot + 1);
        if (auto it = string_suffixes.find(d); it != string_suffixes.end())
          return &names[it->second];
      }
    }
    return nullptr;
  }
  const std::string* Substring(std::string_view v) const {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!short_substrings && (i + 4 > v.size() || !substring_prefix4.count(Load4(v.data() + i))))
        continue;
      for (std::size_t len : substring_lengths) {
        if (i + len > v.size()) break;
        if (auto it = substrings.find(v.substr(i, len)); it != substrings.end())
          return &names[it->second];
      }
    }
    return nullptr;
  }
  const std::string* Regexes(std::string_view v) const {
    if (regex_set) {
      thread_local std::vector<int> matched;
      RE2::Set::ErrorInfo error;
      if (regex_set->Match(v, &matched, &error)) {
        const int first = *std::min_element(matched.begin(), matched.end());
        return &names[regexes[static_cast<std::size_t>(first)].name];
      }
      if (error.kind == RE2::Set::kNoError) return nullptr;
      // Out of DFA memory on this value: the one-by-one loop below still answers.
    }
    for (const auto& r : regexes)
      if (RE2::PartialMatch(v, *r.re)) return &names[r.name];
    return nullptr;
  }
  const std::string* Ip(std::string_view text) const {
    if (auto a = ParseIpv4(text)) {
      std::uint32_t p = v4.Lookup(*a);
      if (p != internal::V4Table::kNone) return &names[v4_names[p]];
    } else if (auto b = ParseIpv6(text)) {
      std::uint32_t p = v6.Lookup(internal::U128FromBytes(b->data()));
      if (p != internal::V6Table::kNone) return &names[v6_names[p]];
    }
    return nullptr;
  }
};

Warninglists::Warninglists() : impl_(std::make_unique<Impl>()) {}
Warninglists::~Warninglists() = default;
Warninglists::Warninglists(Warninglists&&) noexcept = default;
Warninglists& Warninglists::operator=(Warninglists&&) noexcept = default;

std::size_t Warninglists::size() const noexcept { return impl_->count; }

Status Warninglists::Add(std::string_view type, std::string_view value, std::string_view lists) {
  Impl& m = *impl_;
  if (value.empty()) return Status::InvalidArgument("empty warninglist value");
  std::uint32_t name = m.Name(lists);
  if (type == "cidr") {
    ENTENTE_ASSIGN_OR_RETURN(Cidr c, ParseCidr(value, true));
    (c.v6 ? m.pending_v6 : m.pending_v4).push_back({c, name});
  } else if (type == "hostname") {
    std::string v = Lowered(value);
    while (!v.empty() && v.front() == '.') v.erase(0, 1);
    while (!v.empty() && v.back() == '.') v.pop_back();
    if (v.empty()) return Status::InvalidArgument("empty hostname");
    m.Put(m.hostnames, std::move(v), name);
  } else if (type == "string") {
    std::string v = Lowered(value);
    if (v.size() > 1 && v.front() == '.') {
      m.Put(m.string_suffixes, v.substr(1), name);
    } else {
      m.Put(m.strings, std::move(v), name);
    }
  } else if (type == "substring") {
    std::string v = Lowered(value);
    m.substring_lengths.insert(v.size());
    if (v.size() >= 4) {
      m.substring_prefix4.insert(Impl::Load4(v.data()));
    } else {
      m.short_substrings = true;
    }
    m.Put(m.substrings, std::move(v), name);
  } else if (type == "regex") {
    std::string_view p = value;
    RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_max_mem(8 << 20);
    if (p.size() >= 2 && p.front() == '/') {
      auto close = p.rfind('/');
      if (close > 0) {
        std::string_view flags = p.substr(close + 1);
        p = p.substr(1, close - 1);
        if (flags.find('i') != std::string_view::npos) opt.set_case_sensitive(false);
      }
    }
    auto re = std::make_unique<RE2>(std::string(p), opt);
    if (!re->ok()) return Status::InvalidArgument("regex rejected by RE2: " + re->error());
    m.regex_sources.push_back((opt.case_sensitive() ? "" : "(?i)") + std::string(p));
    m.regexes.push_back({std::move(re), name});
  } else {
    return Status::Unsupported("unknown warninglist type '" + std::string(type) + "'");
  }
  if (++m.count > kMaxEntriesPerType * 5)
    return Status::LimitExceeded("too many warninglist entries");
  return Status::Ok();
}

void Warninglists::Finish() {
  Impl& m = *impl_;
  m.regex_set.reset();
  if (!m.regexes.empty()) {
    RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_max_mem(64 << 20);
    auto set = std::make_unique<RE2::Set>(opt, RE2::UNANCHORED);
    bool ok = true;
    for (const std::string& src : m.regex_sources) ok = ok && set->Add(src, nullptr) >= 0;
    if (ok && set->Compile()) m.regex_set = std::move(set);
  }
  auto build = [](auto& pending, auto& table, std::vector<std::uint32_t>& names, auto key_of,
                  auto last_of) {
    using In = typename std::remove_reference_t<decltype(table)>::In;
    std::sort(pending.begin(), pending.end(), [&](const auto& a, const auto& b) {
      auto ka = key_of(a.cidr), kb = key_of(b.cidr);
      if (!(ka == kb)) return ka < kb;
      return a.cidr.length < b.cidr.length;
    });
    std::vector<In> in;
    names.clear();
    for (std::size_t i = 0; i < pending.size(); ++i) {
      if (i > 0 && key_of(pending[i].cidr) == key_of(pending[i - 1].cidr) &&
          pending[i].cidr.length == pending[i - 1].cidr.length)
        continue;
      auto first = key_of(pending[i].cidr);
      in.push_back({first, last_of(first, pending[i].cidr.length),
                    static_cast<std::uint32_t>(names.size())});
      names.push_back(pending[i].name);
    }
    if (!in.empty()) table.Build(in);
    pending.clear();
  };
  build(
      m.pending_v4, m.v4, m.v4_names, [](const Cidr& c) { return c.v4; },
      [](std::uint32_t first, int len) {
        return len == 0 ? 0xffffffffu : first | (len == 32 ? 0u : (0xffffffffu >> len));
      });
  build(
      m.pending_v6, m.v6, m.v6_names,
      [](const Cidr& c) { return internal::U128FromBytes(c.v6_bytes.data()); },
      internal::U128LastOf);
}

Result<Warninglists> Warninglists::Load(const std::string& dir,
                                        std::vector<std::string>* warnings) {
  namespace fs = std::filesystem;
  Warninglists wl;
  int files = 0;
  for (std::string type : {"cidr", "hostname", "string", "substring", "regex"}) {
    std::string path;
    for (std::string cand : {dir + "/" + type + ".txt", dir + "/" + type + ".txt.gz"}) {
      std::error_code ec;
      if (fs::is_regular_file(cand, ec)) path = cand;
    }
    if (path.empty()) continue;
    ++files;
    ENTENTE_ASSIGN_OR_RETURN(std::string text, ReadFileMaybeGzip(path, std::size_t{1} << 30));
    std::size_t pos = 0, line_no = 0, bad = 0, entries = 0;
    while (pos < text.size()) {
      std::size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string_view line(text.data() + pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line.front() == '#') continue;
      std::string_view value = line, lists = type;
      if (auto tab = line.find('\t'); tab != std::string_view::npos) {
        value = line.substr(0, tab);
        lists = line.substr(tab + 1);
      }
      if (++entries > kMaxEntriesPerType)
        return Status::LimitExceeded(path + ": over 10 M entries");
      Status s = wl.Add(type, value, lists);
      if (!s.ok()) {
        if (s.code() == ErrorCode::kLimitExceeded) return s;
        if (warnings && bad < 3)
          warnings->push_back(path + ":" + std::to_string(line_no) + ": skipped: " + s.message());
        ++bad;
      }
    }
    if (bad > 3 && warnings)
      warnings->push_back(path + ": " + std::to_string(bad) + " entries skipped in all");
  }
  if (files == 0)
    return Status::NotFound(
        "no warninglist files (cidr|hostname|string|substring|regex).txt[.gz] in " + dir);
  wl.Finish();
  return wl;
}

std::string Warninglists::Check(ObservableType type, std::string_view value) const {
  const Impl& m = *impl_;
  const std::string* hit = nullptr;
  auto host_check = [&](std::string_view host) -> const std::string* {
    if (ParseIpv4(host) || (host.find(':') != std::string_view::npos)) {
      std::string_view h = host;
      if (h.size() > 2 && h.front() == '[') h = h.substr(1, h.size() - 2);
      if (auto r = m.Ip(h)) return r;
      return m.String(h, false);
    }
    if (auto r = m.Host(host)) return r;
    return m.String(host, true);
  };
  switch (type) {
    case ObservableType::kIpv4:
    case ObservableType::kIpv6:
      if (!(hit = m.Ip(value))) hit = m.String(value, false);
      break;
    case ObservableType::kDomain:
    case ObservableType::kDomainSuffix:
      hit = host_check(value);
      break;
    case ObservableType::kUrl: {
      std::string_view host = value.substr(0, value.find('/'));
      if (!host.empty() && host.front() == '[') {
        host = host.substr(0, host.find(']') + 1);
      } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
      }
      if (!(hit = host_check(host))) hit = m.String(value, false);
      break;
    }
    case ObservableType::kEmail: {
      auto at = value.rfind('@');
      if (at != std::string_view::npos) hit = host_check(value.substr(at + 1));
      if (!hit) hit = m.String(value, false);
      break;
    }
    default:
      hit = m.String(value, false);
      break;
  }
  if (!hit && !m.substrings.empty()) hit = m.Substring(value);
  if (!hit && !m.regexes.empty()) hit = m.Regexes(value);
  return hit ? *hit : std::string();
}

}  // namespace entente::detect
