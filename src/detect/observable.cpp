#include "entente/detect/observable.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace entente::detect {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char Lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool IsUnreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Percent-normalises a path/query: %XX of unreserved characters decoded, other escapes
// upper-cased; a stray '%' is kept as is.
void AppendPercentNormalized(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    // Bytes up to the next '%' are copied as they are (one append, not one per byte: the
    // scanner normalises every request path it has not seen recently).
    const std::size_t pct = std::min(in.find('%', i), in.size());
    out.append(in.data() + i, pct - i);
    i = pct;
    if (i == in.size()) break;
    if (i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        auto v = static_cast<unsigned char>(hi * 16 + lo);
        if (IsUnreserved(v)) {
          out.push_back(static_cast<char>(v));
        } else {
          out.push_back('%');
          out.push_back("0123456789ABCDEF"[hi]);
          out.push_back("0123456789ABCDEF"[lo]);
        }
        i += 3;
        continue;
      }
    }
    out.push_back('%');  // a stray '%' is kept
    ++i;
  }
}

}  // namespace

std::string_view ObservableTypeName(ObservableType type) noexcept {
  switch (type) {
    case ObservableType::kIpv4:
      return "ipv4";
    case ObservableType::kIpv6:
      return "ipv6";
    case ObservableType::kDomain:
      return "domain";
    case ObservableType::kUrl:
      return "url";
    case ObservableType::kEmail:
      return "email";
    case ObservableType::kMd5:
      return "md5";
    case ObservableType::kSha1:
      return "sha1";
    case ObservableType::kSha256:
      return "sha256";
    case ObservableType::kUrlPath:
      return "url-path";
    case ObservableType::kDomainSuffix:
      return "domain-suffix";
    case ObservableType::kOther:
      return "other";
  }
  return "other";
}

std::optional<std::uint32_t> ParseIpv4(std::string_view s) noexcept {
  std::uint32_t addr = 0;
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    if (i >= s.size()) return std::nullopt;
    std::uint32_t v = 0;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + static_cast<std::uint32_t>(s[i] - '0');
      if (++digits > 3) return std::nullopt;
      ++i;
    }
    if (digits == 0 || v > 255) return std::nullopt;
    addr = (addr << 8) | v;
    if (++parts == 4) break;
    if (i >= s.size() || s[i] != '.') return std::nullopt;
    ++i;
  }
  if (i != s.size()) return std::nullopt;
  return addr;
}

std::string FormatIpv4(std::uint32_t a) {
  // By hand: the scanner formats one per CIDR hit, and snprintf's format parsing dominated that.
  char buf[16];
  std::size_t n = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const unsigned v = (a >> shift) & 255;
    if (v >= 100) buf[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) buf[n++] = static_cast<char>('0' + v / 10 % 10);
    buf[n++] = static_cast<char>('0' + v % 10);
    if (shift != 0) buf[n++] = '.';
  }
  return std::string(buf, n);
}

std::optional<Ipv6Bytes> ParseIpv6(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > 45) return std::nullopt;
  std::uint16_t groups[8] = {};
  int n = 0, gap = -1;
  std::size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return std::nullopt;
    gap = 0;
    i = 2;
    if (i == s.size()) return Ipv6Bytes{};
  }
  while (i < s.size()) {
    if (n >= 8) return std::nullopt;
    // A trailing dotted IPv4 takes two groups.
    std::size_t j = i;
    std::uint32_t v = 0;
    int digits = 0;
    while (j < s.size() && HexValue(s[j]) >= 0) {
      v = v * 16 + static_cast<std::uint32_t>(HexValue(s[j]));
      ++j;
      if (++digits > 4) break;
    }
    if (j < s.size() && s[j] == '.') {
      if (n > 6) return std::nullopt;
      auto v4 = ParseIpv4(s.substr(i));
      if (!v4) return std::nullopt;
      groups[n++] = static_cast<std::uint16_t>(*v4 >> 16);
      groups[n++] = static_cast<std::uint16_t>(*v4 & 0xffff);
      i = s.size();
      break;
    }
    if (digits == 0 || digits > 4) return std::nullopt;
    groups[n++] = static_cast<std::uint16_t>(v);
    i = j;
    if (i == s.size()) break;
    if (s[i] != ':') return std::nullopt;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (gap >= 0) return std::nullopt;
      gap = n;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return std::nullopt;  // trailing single colon
    }
  }
  Ipv6Bytes out{};
  if (gap >= 0) {
    if (n >= 8) return std::nullopt;
    int tail = n - gap;
    std::uint16_t full[8] = {};
    for (int k = 0; k < gap; ++k) full[k] = groups[k];
    for (int k = 0; k < tail; ++k) full[8 - tail + k] = groups[gap + k];
    std::memcpy(groups, full, sizeof full);
  } else if (n != 8) {
    return std::nullopt;
  }
  for (int k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<std::uint8_t>(groups[k] >> 8);
    out[2 * k + 1] = static_cast<std::uint8_t>(groups[k] & 255);
  }
  return out;
}

std::string FormatIpv6(const Ipv6Bytes& a) {
  std::uint16_t g[8];
  for (int k = 0; k < 8; ++k) g[k] = static_cast<std::uint16_t>((a[2 * k] << 8) | a[2 * k + 1]);
  int best = -1, best_len = 0;
  for (int k = 0; k < 8;) {
    if (g[k] != 0) {
      ++k;
      continue;
    }
    int e = k;
    while (e < 8 && g[e] == 0) ++e;
    if (e - k > best_len && e - k >= 2) best = k, best_len = e - k;
    k = e;
  }
  std::string out;
  char buf[8];
  for (int k = 0; k < 8; ++k) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    std::snprintf(buf, sizeof buf, "%x", g[k]);
    out += buf;
  }
  return out;
}

Result<Cidr> ParseCidr(std::string_view text, bool allow_host_bits) {
  Cidr c;
  std::string_view addr = text;
  int len = -1;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view l = text.substr(slash + 1);
    if (l.empty() || l.size() > 3)
      return Status::InvalidArgument("bad prefix length in '" + std::string(text) + "'");
    len = 0;
    for (char ch : l) {
      if (ch < '0' || ch > '9')
        return Status::InvalidArgument("bad prefix length in '" + std::string(text) + "'");
      len = len * 10 + (ch - '0');
    }
  }
  if (auto v4 = ParseIpv4(addr)) {
    if (len < 0) len = 32;
    if (len > 32)
      return Status::InvalidArgument("IPv4 prefix length over 32 in '" + std::string(text) + "'");
    std::uint32_t mask = len == 0 ? 0 : ~std::uint32_t{0} << (32 - len);
    if ((*v4 & ~mask) != 0 && !allow_host_bits)
      return Status::InvalidArgument("host bits set in '" + std::string(text) + "'");
    c.v4 = *v4 & mask;
    c.length = len;
    return c;
  }
  if (auto v6 = ParseIpv6(addr)) {
    if (len < 0) len = 128;
    if (len > 128)
      return Status::InvalidArgument("IPv6 prefix length over 128 in '" + std::string(text) + "'");
    c.v6 = true;
    c.length = len;
    c.v6_bytes = *v6;
    for (int bit = len; bit < 128; ++bit) {
      auto& byte = c.v6_bytes[static_cast<std::size_t>(bit / 8)];
      std::uint8_t m = static_cast<std::uint8_t>(0x80 >> (bit % 8));
      if ((byte & m) && !allow_host_bits)
        return Status::InvalidArgument("host bits set in '" + std::string(text) + "'");
      byte = static_cast<std::uint8_t>(byte & ~m);
    }
    return c;
  }
  return Status::InvalidArgument("not an IP address or CIDR: '" + std::string(text) + "'");
}

std::string FormatCidr(const Cidr& c) {
  return (c.v6 ? FormatIpv6(c.v6_bytes) : FormatIpv4(c.v4)) + "/" + std::to_string(c.length);
}

std::optional<std::string> NormalizeDomain(std::string_view s) {
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);
  while (!s.empty() && s.front() == '.') s.remove_prefix(1);
  if (s.empty() || s.size() > 253) return std::nullopt;
  std::string out;
  out.resize(s.size());
  std::size_t label = 0;
  bool dot = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = Lower(s[i]);
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
      dot = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      if (++label > 63) return std::nullopt;
    } else {
      return std::nullopt;
    }
    out[i] = c;
  }
  if (!dot) return std::nullopt;
  return out;
}

namespace {

// Host part of a URL authority, canonical; nullopt if unusable.
std::optional<std::string> NormalizeHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto v6 = ParseIpv6(host.substr(1, host.size() - 2));
    if (!v6) return std::nullopt;
    return "[" + FormatIpv6(*v6) + "]";
  }
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (auto v4 = ParseIpv4(host)) return FormatIpv4(*v4);
  if (host.find('.') == std::string_view::npos) {
    // Single-label hosts ("localhost") are kept, lower-cased.
    if (host.empty() || host.size() > 63) return std::nullopt;
    std::string out;
    for (char c : host) {
      c = Lower(c);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        return std::nullopt;
      out.push_back(c);
    }
    return out;
  }
  return NormalizeDomain(host);
}

}  // namespace

std::optional<std::string> NormalizeUrl(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  std::string scheme;
  if (auto p = s.find("://"); p != std::string_view::npos && p > 0 && p <= 16) {
    bool ok = true;
    for (std::size_t i = 0; i < p; ++i) {
      char c = Lower(s[i]);
      if (!((c >= 'a' && c <= 'z') ||
            (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
        ok = false;
      scheme.push_back(c);
    }
    if (ok) {
      s.remove_prefix(p + 3);
    } else {
      scheme.clear();
    }
  }
  std::size_t end_auth = s.find_first_of("/?#");
  std::string_view auth = s.substr(0, end_auth);
  std::string_view rest =
      end_auth == std::string_view::npos ? std::string_view{} : s.substr(end_auth);
  if (auto at = auth.rfind('@'); at != std::string_view::npos) auth.remove_prefix(at + 1);
  std::string_view host = auth, port;
  if (!auth.empty() && auth.front() == '[') {
    auto close = auth.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = auth.substr(0, close + 1);
    std::string_view after = auth.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else if (auto colon = auth.rfind(':'); colon != std::string_view::npos) {
    host = auth.substr(0, colon);
    port = auth.substr(colon + 1);
  }
  auto h = NormalizeHost(host);
  if (!h) return std::nullopt;
  std::string out = std::move(*h);
  if (!port.empty()) {
    std::uint32_t pv = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      pv = pv * 10 + static_cast<std::uint32_t>(c - '0');
      if (pv > 65535) return std::nullopt;
    }
    bool dflt = scheme.empty()
                    ? (pv == 80 || pv == 443)
                    : ((scheme == "http" && pv == 80) || (scheme == "https" && pv == 443) ||
                       (scheme == "ftp" && pv == 21));
    if (!dflt) out += ":" + std::to_string(pv);
  }
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  if (rest.empty() || rest.front() != '/') out.push_back('/');
  AppendPercentNormalized(rest, out);
  return out;
}

std::optional<std::string> NormalizeUrlPath(std::string_view s) {
  if (s.empty() || s.front() != '/') return std::nullopt;
  if (auto hash = s.find('#'); hash != std::string_view::npos) s = s.substr(0, hash);
  std::string out;
  AppendPercentNormalized(s, out);
  return out;
}

std::optional<std::string> NormalizeEmail(std::string_view s) {
  auto at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return std::nullopt;
  auto domain = NormalizeDomain(s.substr(at + 1));
  if (!domain) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < at; ++i) {
    char c = Lower(s[i]);
    if (static_cast<unsigned char>(c) <= ' ' || c == '@' || c == '"' || c == '<' || c == '>')
      return std::nullopt;
    out.push_back(c);
  }
  out.push_back('@');
  out += *domain;
  return out;
}

std::optional<std::string> HexToBytes(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string BytesToHex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<std::string> CanonicalKey(ObservableType type, std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("not a valid " + std::string(ObservableTypeName(type)) + ": '" +
                                   std::string(text.substr(0, 200)) + "'");
  };
  switch (type) {
    case ObservableType::kIpv4: {
      auto v = ParseIpv4(text);
      if (!v) return bad();
      std::string k(4, '\0');
      for (int i = 0; i < 4; ++i)
        k[static_cast<std::size_t>(i)] = static_cast<char>(*v >> (24 - 8 * i));
      return k;
    }
    case ObservableType::kIpv6: {
      auto v = ParseIpv6(text);
      if (!v) return bad();
      return std::string(reinterpret_cast<const char*>(v->data()), 16);
    }
    case ObservableType::kDomain:
    case ObservableType::kDomainSuffix: {
      auto d = NormalizeDomain(text);
      if (!d) {
        // A suffix rule may name a single label (".xyz").
        std::string_view t = text;
        while (!t.empty() && t.front() == '.') t.remove_prefix(1);
        while (!t.empty() && t.back() == '.') t.remove_suffix(1);
        if (type != ObservableType::kDomainSuffix || t.empty() || t.size() > 63) return bad();
        std::string out;
        for (char c : t) {
          c = Lower(c);
          if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return bad();
          out.push_back(c);
        }
        return out;
      }
      return *d;
    }
    case ObservableType::kUrl: {
      auto u = NormalizeUrl(text);
      if (!u) return bad();
      return *u;
    }
    case ObservableType::kUrlPath: {
      auto u = NormalizeUrlPath(text);
      if (!u) return bad();
      return *u;
    }
    case ObservableType::kEmail: {
      auto e = NormalizeEmail(text);
      if (!e) return bad();
      return *e;
    }
    case ObservableType::kMd5:
    case ObservableType::kSha1:
    case ObservableType::kSha256: {
      std::size_t want = type == ObservableType::kMd5    ? 32
                         : type == ObservableType::kSha1 ? 40
                                                         : 64;
      if (text.size() != want) return bad();
      auto b = HexToBytes(text);
      if (!b) return bad();
      return *b;
    }
    case ObservableType::kOther:
      return std::string(text);
  }
  return bad();
}

std::string KeyToText(ObservableType type, std::string_view key) {
  switch (type) {
    case ObservableType::kIpv4: {
      if (key.size() != 4) return {};
      std::uint32_t v = 0;
      for (unsigned char c : key) v = (v << 8) | c;
      return FormatIpv4(v);
    }
    case ObservableType::kIpv6: {
      if (key.size() != 16) return {};
      Ipv6Bytes b;
      std::memcpy(b.data(), key.data(), 16);
      return FormatIpv6(b);
    }
    case ObservableType::kMd5:
    case ObservableType::kSha1:
    case ObservableType::kSha256:
      return BytesToHex(key);
    case ObservableType::kDomainSuffix:
      return "." + std::string(key);
    default:
      return std::string(key);
  }
}

InferredValue InferType(std::string_view v) {
  InferredValue r;
  if (v.empty()) return r;
  if (v.front() == '/') {
    r.type = ObservableType::kUrlPath;
    return r;
  }
  if (v.find("://") != std::string_view::npos) {
    r.type = ObservableType::kUrl;
    return r;
  }
  if (ParseIpv4(v)) {
    r.type = ObservableType::kIpv4;
    return r;
  }
  if (v.find(':') != std::string_view::npos && ParseIpv6(v)) {
    r.type = ObservableType::kIpv6;
    return r;
  }
  if (auto slash = v.find('/'); slash != std::string_view::npos) {
    auto c = ParseCidr(v, false);
    if (c.ok()) {
      r.type = c->v6 ? ObservableType::kIpv6 : ObservableType::kIpv4;
      r.is_cidr = true;
      return r;
    }
    r.type = ObservableType::kUrl;
    return r;
  }
  if ((v.size() == 32 || v.size() == 40 || v.size() == 64) && HexToBytes(v)) {
    r.type = v.size() == 32   ? ObservableType::kMd5
             : v.size() == 40 ? ObservableType::kSha1
                              : ObservableType::kSha256;
    return r;
  }
  if (v.find('@') != std::string_view::npos) {
    if (NormalizeEmail(v)) r.type = ObservableType::kEmail;
    return r;
  }
  if (v.front() == '.') {
    r.type = ObservableType::kDomainSuffix;
    return r;
  }
  if (auto colon = v.rfind(':'); colon != std::string_view::npos) {
    if (NormalizeUrl(v)) r.type = ObservableType::kUrl;
    return r;
  }
  if (NormalizeDomain(v)) r.type = ObservableType::kDomain;
  return r;
}

}  // namespace entente::detect
