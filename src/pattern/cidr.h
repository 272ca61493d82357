// IPv4/IPv6 addresses and CIDR blocks for ISSUBSET/ISSUPERSET and the anchor compiler.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace entente::pattern::internal {

struct Cidr {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // network order; v4 uses the first 4
  int prefix = 0;                        // 0..32 or 0..128; a bare address is a full prefix

  // "10.0.0.0/8", "2001:db8::/32", "1.2.3.4" (as /32). Host bits set below the prefix are
  // accepted and cleared ("10.1.2.3/8" is 10.0.0.0/8), as the reference tools do.
  static std::optional<Cidr> Parse(std::string_view text);

  // True iff every address of `inner` lies in this block (same family only).
  bool Contains(const Cidr& inner) const noexcept;

  // Canonical text: "10.0.0.0/8", "2001:db8::/32"; bare addresses keep no suffix when
  // `bare_host` and the prefix is full.
  std::string ToString(bool bare_host = true) const;
};

}  // namespace entente::pattern::internal
