// Private to the scanner: the per-byte bit masks its tokenizer walks instead of the bytes.
// One bit per input byte, 64 bytes per word. Built with AVX-512 or AVX2 where the CPU has them
// (chosen at run time), else byte by byte; every variant gives the same bits.
#pragma once

#include <cstddef>
#include <cstdint>

namespace entente::detect::internal {

struct TokenMasks {
  std::uint64_t* tok;    // token bytes [A-Za-z0-9._:-]
  std::uint64_t* seed;   // '.', ':', '/', '@'; with hash seeds also each byte that starts 32
                         // consecutive token bytes
  std::uint64_t* colon;  // ':'
  std::uint64_t* dot;    // '.'
  std::uint64_t* word;   // token bytes other than digits and '.': letters, '-', '_', ':'
};

enum class MaskIsa : std::uint8_t { kScalar, kAvx2, kAvx512 };
// The best variant this CPU runs.
MaskIsa BestMaskIsa() noexcept;
bool MaskIsaSupported(MaskIsa isa) noexcept;

// Words needed per mask for n bytes: (n + 63) / 64 plus two zero words after them, so a window
// that starts inside the input may read one word past its end.
inline std::size_t MaskWords(std::size_t n) { return (n + 63) / 64 + 2; }

// Fills every mask of `m` (each MaskWords(n) words; previous contents are overwritten).
void BuildTokenMasks(const char* p, std::size_t n, const TokenMasks& m, bool hash_seeds,
                     MaskIsa isa) noexcept;

}  // namespace entente::detect::internal
