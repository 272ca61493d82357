#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "misp_internal.h"

namespace entente::formats::misp_internal {
namespace {

// Spellings follow misp-stix's output (its golden files): the SCO key is what the stix2
// library stores, the pattern component is what misp-stix writes into patterns.
constexpr HashName kHashes[] = {
    {"md5", "MD5", "MD5"},
    {"sha1", "SHA-1", "'SHA-1'"},
    {"sha224", "SHA224", "'SHA-224'"},
    {"sha256", "SHA-256", "'SHA-256'"},
    {"sha384", "SHA384", "'SHA-384'"},
    {"sha512", "SHA-512", "'SHA-512'"},
    {"sha512/224", "SHA224", "'SHA-224'"},
    {"sha512/256", "SHA-256", "'SHA-256'"},
    {"sha3-224", "SHA3224", "'SHA3-224'"},
    {"sha3-256", "SHA3-256", "'SHA3-256'"},
    {"sha3-384", "SHA3384", "'SHA3-384'"},
    {"sha3-512", "SHA3-512", "'SHA3-512'"},
    {"ssdeep", "SSDEEP", "SSDEEP"},
    {"tlsh", "TLSH", "TLSH"},
    {"imphash", "IMPHASH", "IMPHASH"},
    {"authentihash", "AUTHENTIHASH", "AUTHENTIHASH"},
    {"pehash", "PEHASH", "PEHASH"},
    {"vhash", "VHASH", "VHASH"},
    {"telfhash", "TELFHASH", "TELFHASH"},
    {"impfuzzy", "IMPFUZZY", "IMPFUZZY"},
};

using K = AttrKind;
constexpr AttrSpec kAttrSpecs[] = {
    {"AS", K::kAs, "", ""},
    {"attachment", K::kAttachment, "", ""},
    {"authentihash", K::kHash, "", ""},
    {"campaign-name", K::kCampaign, "", ""},
    {"domain", K::kSimple, "domain-name", "value"},
    {"domain|ip", K::kDomainIp, "", ""},
    {"email", K::kSimple, "email-addr", "value"},
    {"email-attachment", K::kEmailAttachment, "", ""},
    {"email-body", K::kEmailProperty, "body", ""},
    {"email-dst", K::kEmailAddress, "to_refs", ""},
    {"email-header", K::kEmailProperty, "received_lines", ""},
    {"email-message-id", K::kEmailProperty, "message_id", ""},
    {"email-reply-to", K::kEmailHeaderField, "Reply-To", "reply_to"},
    {"email-src", K::kEmailAddress, "from_ref", ""},
    {"email-subject", K::kEmailProperty, "subject", ""},
    {"email-x-mailer", K::kEmailHeaderField, "X-Mailer", "x_mailer"},
    {"filename", K::kSimple, "file", "name"},
    {"filename|authentihash", K::kFilenameHash, "", ""},
    {"filename|imphash", K::kFilenameHash, "", ""},
    {"filename|md5", K::kFilenameHash, "", ""},
    {"filename|pehash", K::kFilenameHash, "", ""},
    {"filename|sha1", K::kFilenameHash, "", ""},
    {"filename|sha224", K::kFilenameHash, "", ""},
    {"filename|sha256", K::kFilenameHash, "", ""},
    {"filename|sha3-224", K::kFilenameHash, "", ""},
    {"filename|sha3-256", K::kFilenameHash, "", ""},
    {"filename|sha3-384", K::kFilenameHash, "", ""},
    {"filename|sha3-512", K::kFilenameHash, "", ""},
    {"filename|sha384", K::kFilenameHash, "", ""},
    {"filename|sha512", K::kFilenameHash, "", ""},
    {"filename|sha512/224", K::kFilenameHash, "", ""},
    {"filename|sha512/256", K::kFilenameHash, "", ""},
    {"filename|ssdeep", K::kFilenameHash, "", ""},
    {"filename|tlsh", K::kFilenameHash, "", ""},
    {"filename|vhash", K::kFilenameHash, "", ""},
    {"filename|impfuzzy", K::kFilenameHash, "", ""},
    {"github-username", K::kGithubUser, "", ""},
    {"hostname", K::kSimple, "domain-name", "value"},
    {"hostname|port", K::kHostnamePort, "", ""},
    {"http-method", K::kPatternOnly, "network-traffic:extensions.'http-request-ext'.request_method",
     ""},
    {"imphash", K::kHash, "", ""},
    {"impfuzzy", K::kHash, "", ""},
    {"ip-dst", K::kIp, "dst", ""},
    {"ip-dst|port", K::kIpPort, "dst", ""},
    {"ip-src", K::kIp, "src", ""},
    {"ip-src|port", K::kIpPort, "src", ""},
    {"link", K::kSimple, "url", "value"},
    {"mac-address", K::kSimple, "mac-addr", "value"},
    {"malware-sample", K::kMalwareSample, "", ""},
    {"md5", K::kHash, "", ""},
    {"mutex", K::kSimple, "mutex", "name"},
    {"pehash", K::kHash, "", ""},
    {"port", K::kPatternOnly, "network-traffic:dst_port", ""},
    {"regkey", K::kRegkey, "", ""},
    {"regkey|value", K::kRegkeyValue, "", ""},
    {"sha1", K::kHash, "", ""},
    {"sha224", K::kHash, "", ""},
    {"sha256", K::kHash, "", ""},
    {"sha3-224", K::kHash, "", ""},
    {"sha3-256", K::kHash, "", ""},
    {"sha3-384", K::kHash, "", ""},
    {"sha3-512", K::kHash, "", ""},
    {"sha384", K::kHash, "", ""},
    {"sha512", K::kHash, "", ""},
    {"sha512/224", K::kHash, "", ""},
    {"sha512/256", K::kHash, "", ""},
    {"sigma", K::kRule, "sigma", ""},
    {"size-in-bytes", K::kPatternOnly, "file:size", ""},
    {"snort", K::kRule, "snort", ""},
    {"ssdeep", K::kHash, "", ""},
    {"suricata", K::kRule, "suricata", ""},
    {"telfhash", K::kHash, "", ""},
    {"tlsh", K::kHash, "", ""},
    {"uri", K::kSimple, "url", "value"},
    {"url", K::kSimple, "url", "value"},
    {"user-agent", K::kPatternOnly,
     "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'", ""},
    {"vhash", K::kHash, "", ""},
    {"vulnerability", K::kVulnerability, "", ""},
    {"x509-fingerprint-md5", K::kX509Hash, "md5", ""},
    {"x509-fingerprint-sha1", K::kX509Hash, "sha1", ""},
    {"x509-fingerprint-sha256", K::kX509Hash, "sha256", ""},
    {"yara", K::kRule, "yara", ""},
};

// TLP 2.0 marking-definition ids fixed by the OASIS TLP 2.0 extension
// (extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d).
constexpr TlpMarking kTlp[] = {
    {"tlp:clear", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"},
    {"tlp:white", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"},
    {"tlp:green", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"},
    {"tlp:amber", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"},
    {"tlp:amber+strict", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
     "TLP:AMBER+STRICT", "amber+strict"},
    {"tlp:red", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"},
    // Spellings seen in the wild.
    {"tlp:amber-strict", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
     "TLP:AMBER+STRICT", "amber+strict"},
    {"tlp:amber_strict", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
     "TLP:AMBER+STRICT", "amber+strict"},
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool ParseDigits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::string MispUuid5(std::string_view name) {
  Uuid ns{};
  ParseUuid(kMispStixNamespace, ns);
  return UuidToString(UuidV5(ns, name));
}

const HashName* FindHash(std::string_view misp_type) noexcept {
  for (const auto& h : kHashes) {
    if (h.misp == misp_type) return &h;
  }
  return nullptr;
}

const HashName* FindHashBySco(std::string_view sco_key) noexcept {
  for (const auto& h : kHashes) {
    if (h.sco_key == sco_key) return &h;
  }
  return nullptr;
}

const AttrSpec* FindAttrSpec(std::string_view misp_type) noexcept {
  for (const auto& s : kAttrSpecs) {
    if (s.misp_type == misp_type) return &s;
  }
  return nullptr;
}

std::string_view AddressType(std::string_view ip) noexcept {
  return ip.find(':') != std::string_view::npos ? "ipv6-addr" : "ipv4-addr";
}

std::string PatternEscape(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 8);
  for (char c : value) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string PatternUnescape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    out.push_back(value[i]);
  }
  return out;
}

std::vector<Comparison> SplitSimplePattern(std::string_view p) {
  std::vector<Comparison> out;
  std::size_t i = 0;
  const std::size_t n = p.size();
  while (i < n) {
    // Skip brackets, parentheses, spaces and AND/OR keywords between comparisons.
    while (i < n && (p[i] == '[' || p[i] == ']' || p[i] == '(' || p[i] == ')' || p[i] == ' ')) {
      ++i;
    }
    if (i >= n) break;
    if (p.compare(i, 4, "AND ") == 0) {
      i += 4;
      continue;
    }
    if (p.compare(i, 3, "OR ") == 0) {
      i += 3;
      continue;
    }
    // Path up to " = '" (quoted path components may contain spaces only inside quotes).
    std::size_t start = i;
    bool in_quote = false;
    while (i < n) {
      if (p[i] == '\'') in_quote = !in_quote;
      if (!in_quote && p.compare(i, 4, " = '") == 0) break;
      ++i;
    }
    if (i >= n) break;
    Comparison c;
    c.path = std::string(p.substr(start, i - start));
    i += 4;
    std::string raw;
    while (i < n && p[i] != '\'') {
      if (p[i] == '\\' && i + 1 < n) {
        raw.push_back(p[i + 1]);
        i += 2;
        continue;
      }
      raw.push_back(p[i]);
      ++i;
    }
    ++i;  // closing quote
    c.value = std::move(raw);
    out.push_back(std::move(c));
  }
  return out;
}

std::optional<Timestamp> ParseMispTimeText(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool digits = true;
  for (char c : s) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (s.size() > 10) return std::nullopt;  // Timestamp ends in 2262: 10 digits suffice
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    if (v > 9'000'000'000) return std::nullopt;
    return Timestamp{v * 1'000'000'000};
  }
  // YYYY-MM-DD[(T| )HH:MM:SS[.fraction]][Z|+HH:MM|-HH:MM|+HHMM]
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !ParseDigits(s, 5, 2, month) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, day)) {
    return std::nullopt;
  }
  // Timestamp holds nanoseconds in an int64: years 1678-2261 only.
  if (year < 1678 || year > 2261 || month < 1 || month > 12 || day < 1 || day > 31) {
    return std::nullopt;
  }
  std::size_t i = 10;
  std::int64_t nanos = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    if (!ParseDigits(s, i + 1, 2, hour) || s.size() < i + 9 || s[i + 3] != ':' ||
        !ParseDigits(s, i + 4, 2, minute) || s[i + 6] != ':' || !ParseDigits(s, i + 7, 2, second)) {
      return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    i += 9;
    if (i < s.size() && s[i] == '.') {
      ++i;
      std::int64_t scale = 100'000'000;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        nanos += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
    }
  }
  std::int64_t offset_seconds = 0;
  if (i < s.size()) {
    if (s[i] == 'Z') {
      ++i;
    } else if (s[i] == '+' || s[i] == '-') {
      int oh = 0, om = 0;
      const int sign = s[i] == '-' ? -1 : 1;
      if (!ParseDigits(s, i + 1, 2, oh)) return std::nullopt;
      std::size_t j = i + 3;
      if (j < s.size() && s[j] == ':') ++j;
      if (!ParseDigits(s, j, 2, om)) return std::nullopt;
      offset_seconds = sign * (oh * 3600 + om * 60);
      i = j + 2;
    }
  }
  if (i != s.size()) return std::nullopt;
  const std::int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return Timestamp{secs * 1'000'000'000 + nanos};
}

std::optional<Timestamp> ParseMispTime(const json::Node& node) {
  if (node.is_number()) {
    auto v = node.as_int64();
    if (!v || *v < 0 || *v > 9'000'000'000) return std::nullopt;
    return Timestamp{*v * 1'000'000'000};
  }
  if (node.is_string()) return ParseMispTimeText(node.str());
  return std::nullopt;
}

std::string StixMillis(Timestamp t) { return FormatTimestamp(t, 3); }

std::string StixSeconds(Timestamp t) {
  if (t.nanos % 1'000'000'000 == 0) return FormatTimestamp(t, 0);
  if (t.nanos % 1'000 == 0) return FormatTimestamp(t, 6);
  return FormatTimestamp(t, 9);
}

std::string ScalarText(const json::Node& node) {
  switch (node.kind()) {
    case json::Kind::kString:
      return std::string(node.str());
    case json::Kind::kNumber:
      return std::string(node.number_text());
    case json::Kind::kTrue:
      return "1";
    case json::Kind::kFalse:
      return "0";
    default:
      return {};
  }
}

bool Truthy(const json::Node& node) noexcept {
  switch (node.kind()) {
    case json::Kind::kTrue:
      return true;
    case json::Kind::kNumber:
      return node.number_text() != "0";
    case json::Kind::kString: {
      auto s = node.str();
      return s == "1" || EqualsIgnoreCase(s, "true");
    }
    default:
      return false;
  }
}

const TlpMarking* FindTlpByTag(std::string_view tag) noexcept {
  for (const auto& t : kTlp) {
    if (EqualsIgnoreCase(t.tag, tag)) return &t;
  }
  return nullptr;
}

const TlpMarking* FindTlpById(std::string_view id) noexcept {
  for (const auto& t : kTlp) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

json::Value TlpMarkingObject(const TlpMarking& tlp) {
  json::Value m = json::Value::MakeObject();
  m.set("type", "marking-definition");
  m.set("spec_version", "2.1");
  m.set("id", tlp.id);
  m.set("created", "2022-10-01T00:00:00.000Z");
  m.set("name", tlp.name);
  json::Value ext = json::Value::MakeObject();
  ext.set("extension_type", "property-extension");
  ext.set("tlp_2_0", tlp.level);
  json::Value exts = json::Value::MakeObject();
  exts.set(kTlp2ExtensionId, std::move(ext));
  m.set("extensions", std::move(exts));
  return m;
}

std::string_view DistributionName(int level) noexcept {
  switch (level) {
    case 0:
      return "Your organisation only";
    case 1:
      return "This community only";
    case 2:
      return "Connected communities";
    case 3:
      return "All communities";
    case 4:
      return "Sharing group";
    case 5:
      return "Inherit event";
    default:
      return "";
  }
}

std::string MispLabel(std::string_view key, std::string_view value) {
  std::string out = "misp:";
  out.append(key);
  out.append("=\"");
  out.append(value);
  out.push_back('"');
  return out;
}

std::optional<std::pair<std::string, std::string>> ParseMispLabel(std::string_view label) {
  if (label.substr(0, 5) != "misp:") return std::nullopt;
  auto eq = label.find("=\"");
  if (eq == std::string_view::npos || label.back() != '"' || eq + 2 > label.size() - 1) {
    return std::nullopt;
  }
  return std::make_pair(std::string(label.substr(5, eq - 5)),
                        std::string(label.substr(eq + 2, label.size() - eq - 3)));
}

}  // namespace entente::formats::misp_internal
