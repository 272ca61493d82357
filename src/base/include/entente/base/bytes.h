// Byte strings, hex and base64, and a buffer that wipes its memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "entente/base/status.h"

namespace entente {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView AsBytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Lower-case hex.
std::string HexEncode(ByteView data);
// Accepts upper and lower case; fails on odd length or a non-hex character (naming its offset).
Result<Bytes> HexDecode(std::string_view hex);

// RFC 4648 base64 with padding.
std::string Base64Encode(ByteView data);
// Strict RFC 4648 decode (padding required, no whitespace); `url_safe` selects the -_ alphabet.
Result<Bytes> Base64Decode(std::string_view text, bool url_safe = false);

// Overwrites memory in a way the optimiser cannot remove (OPENSSL_cleanse).
void SecureWipe(void* data, std::size_t size) noexcept;

// Owns secret bytes; wipes them on destruction, on move-from and on resize to smaller.
// Not copyable by accident: use Clone().
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : data_(size) {}
  explicit SecretBytes(ByteView bytes) : data_(bytes.begin(), bytes.end()) {}
  ~SecretBytes() { Wipe(); }
  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Wipe();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes Clone() const { return SecretBytes(ByteView(data_)); }
  std::uint8_t* data() noexcept { return data_.data(); }
  const std::uint8_t* data() const noexcept { return data_.data(); }
  std::size_t size() const noexcept { return data_.size(); }
  bool empty() const noexcept { return data_.empty(); }
  ByteView view() const noexcept { return data_; }
  std::span<std::uint8_t> span() noexcept { return data_; }
  std::uint8_t& operator[](std::size_t i) noexcept { return data_[i]; }
  std::uint8_t operator[](std::size_t i) const noexcept { return data_[i]; }

 private:
  void Wipe() noexcept {
    if (!data_.empty()) SecureWipe(data_.data(), data_.size());
  }
  std::vector<std::uint8_t> data_;
};

// Constant-time equality of two equal-length buffers (false if lengths differ; length is public).
bool ConstantTimeEqual(ByteView a, ByteView b) noexcept;

}  // namespace entente
