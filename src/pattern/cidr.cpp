#include "cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace entente::pattern::internal {

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string_view addr = text;
  int prefix = -1;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || ptr != p.data() + p.size()) return std::nullopt;
  }
  char buf[65];
  std::memcpy(buf, addr.data(), addr.size());
  buf[addr.size()] = '\0';
  Cidr c;
  if (addr.find(':') != std::string_view::npos) {
    c.v6 = true;
    if (inet_pton(AF_INET6, buf, c.bytes.data()) != 1) return std::nullopt;
    if (prefix < 0) prefix = 128;
    if (prefix > 128) return std::nullopt;
  } else {
    if (inet_pton(AF_INET, buf, c.bytes.data()) != 1) return std::nullopt;
    if (prefix < 0) prefix = 32;
    if (prefix > 32) return std::nullopt;
  }
  c.prefix = prefix;
  // Clear host bits.
  int total = c.v6 ? 16 : 4;
  for (int i = 0; i < total; ++i) {
    int bits_here = prefix - i * 8;
    if (bits_here >= 8) continue;
    if (bits_here <= 0) {
      c.bytes[i] = 0;
    } else {
      c.bytes[i] &= static_cast<std::uint8_t>(0xff << (8 - bits_here));
    }
  }
  return c;
}

bool Cidr::Contains(const Cidr& inner) const noexcept {
  if (v6 != inner.v6 || prefix > inner.prefix) return false;
  int full = prefix / 8;
  if (std::memcmp(bytes.data(), inner.bytes.data(), full) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (inner.bytes[full] & mask);
}

std::string Cidr::ToString(bool bare_host) const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  std::string out = buf;
  if (!bare_host || prefix != (v6 ? 128 : 32)) out += "/" + std::to_string(prefix);
  return out;
}

}  // namespace entente::pattern::internal
