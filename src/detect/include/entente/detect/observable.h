// Observable values: their types, canonical forms and the parsers that produce them.
//
// Every value that goes into the indicator index, and every token the scanner extracts, passes
// through the same normalisation so that "Evil.COM." in a log and "evil.com" in a feed meet as
// the same key. The canonical forms (docs/DETECT.md):
//   ipv4    4 bytes, network order          text: dotted decimal without leading zeros
//   ipv6    16 bytes                        text: RFC 5952 (lower case, longest zero run "::")
//   domain  lower-case ASCII, no leading/trailing dots, labels of [a-z0-9_-], 1..63 bytes each
//   url     host[:port]/path[?query]: scheme dropped, host canonical as a domain or IP literal,
//           default port (80/443/21 per scheme; 80 and 443 when there is none) dropped,
//           percent-escapes of unreserved characters decoded and the rest upper-cased,
//           userinfo and fragment dropped, empty path "/"
//   email   lower case, domain part canonical as a domain
//   md5/sha1/sha256  raw digest bytes (text: lower-case hex)
//   url-path  a path as found ("/gate.php"), percent-normalised like a URL path
// Functions here are pure, allocate only their output, and are safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "entente/base/status.h"

namespace entente::detect {

enum class ObservableType : std::uint8_t {
  kIpv4 = 0,
  kIpv6 = 1,
  kDomain = 2,
  kUrl = 3,
  kEmail = 4,
  kMd5 = 5,
  kSha1 = 6,
  kSha256 = 7,
  kUrlPath = 8,
  kDomainSuffix = 9,  // a rule ".example": matches every strict subdomain, never the name itself
  kOther = 10,        // any other (scope, value), e.g. ("mutex:name", "Global\\x")
};
inline constexpr int kObservableTypeCount = 11;

// Stable lower-case names used in output: "ipv4", "domain", "sha256", "url-path", ...
std::string_view ObservableTypeName(ObservableType type) noexcept;

// Strict dotted-decimal IPv4 ("1.2.3.4"; leading zeros read as decimal). nullopt otherwise.
std::optional<std::uint32_t> ParseIpv4(std::string_view text) noexcept;
std::string FormatIpv4(std::uint32_t address);

using Ipv6Bytes = std::array<std::uint8_t, 16>;
// RFC 4291 text forms: full, "::"-compressed, with a trailing dotted IPv4. No zone, no brackets.
std::optional<Ipv6Bytes> ParseIpv6(std::string_view text) noexcept;
// RFC 5952 canonical text.
std::string FormatIpv6(const Ipv6Bytes& address);

// A CIDR "a.b.c.d/n" or "v6/n" (a bare address is /32 or /128). Host bits must be zero unless
// `allow_host_bits` (then they are cleared).
struct Cidr {
  bool v6 = false;
  std::uint32_t v4 = 0;
  Ipv6Bytes v6_bytes{};
  int length = 0;
};
Result<Cidr> ParseCidr(std::string_view text, bool allow_host_bits = true);
std::string FormatCidr(const Cidr& cidr);

// Canonical domain name (see above); nullopt if the text is not a syntactically valid name
// with at least one dot. Non-ASCII bytes are rejected (IDNs appear in punycode).
std::optional<std::string> NormalizeDomain(std::string_view text);
// Canonical URL key; nullopt when there is no usable host.
std::optional<std::string> NormalizeUrl(std::string_view text);
// Canonical URL path (percent-normalised; query kept); nullopt unless it starts with '/'.
std::optional<std::string> NormalizeUrlPath(std::string_view text);
std::optional<std::string> NormalizeEmail(std::string_view text);

// A value of a known type turned into its index key (binary for IPs and hashes). Fails with
// kInvalidArgument naming the type when the text is not such a value.
Result<std::string> CanonicalKey(ObservableType type, std::string_view text);
// The readable text of an index key (inverse of CanonicalKey up to normalisation).
std::string KeyToText(ObservableType type, std::string_view key);

// What a plain-list value is: a CIDR is reported as kIpv4/kIpv6 with `is_cidr`. Rules in
// docs/DETECT.md ("Type inference"). kOther when nothing fits.
struct InferredValue {
  ObservableType type = ObservableType::kOther;
  bool is_cidr = false;
};
InferredValue InferType(std::string_view value);

// Hex helpers for digests: nullopt unless every byte is a hex digit and the length is even.
std::optional<std::string> HexToBytes(std::string_view hex);
std::string BytesToHex(std::string_view bytes);

}  // namespace entente::detect
