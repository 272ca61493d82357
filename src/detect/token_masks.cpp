#include "token_masks.h"

#include <immintrin.h>

#include <algorithm>

namespace entente::detect::internal {

namespace {

bool IsTokenByte(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '.' ||
         c == '-' || c == '_' || c == ':';
}

void Clear(const TokenMasks& m, std::size_t from, std::size_t to) {
  for (std::uint64_t* a : {m.tok, m.seed, m.colon, m.dot, m.word})
    std::fill(a + from, a + to, std::uint64_t{0});
}

// Bytes [from, n) one by one, OR-ed into words that must be zero beyond `from`.
void MasksScalar(const char* p, std::size_t from, std::size_t n, const TokenMasks& m) {
  for (std::size_t i = from; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    const bool tok = IsTokenByte(c);
    if (tok) m.tok[i / 64] |= bit;
    if (c == '.' || c == ':' || c == '/' || c == '@') m.seed[i / 64] |= bit;
    if (c == ':') m.colon[i / 64] |= bit;
    if (c == '.') m.dot[i / 64] |= bit;
    if (tok && !(c >= '0' && c <= '9') && c != '.') m.word[i / 64] |= bit;
  }
}

// seed |= bytes that start 32 consecutive token bytes: bit i of the smeared mask is the AND of
// token bits i..i+31, which lie in words w and w + 1 (doubling: 1, 2, 4, 8, 16).
void HashSeedsScalar(const TokenMasks& m, std::size_t from, std::size_t words) {
  for (std::size_t w = from; w < words; ++w) {
    __extension__ unsigned __int128 v =
        m.tok[w] | (static_cast<unsigned __int128>(m.tok[w + 1]) << 64);
    v &= v >> 1;
    v &= v >> 2;
    v &= v >> 4;
    v &= v >> 8;
    v &= v >> 16;
    m.seed[w] |= static_cast<std::uint64_t>(v);
  }
}

struct Half {
  std::uint64_t tok, seed, colon, dot, word;
};

__attribute__((target("avx2"), always_inline)) inline Half Masks32(const char* q) {
  const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
  const __m256i lo = _mm256_or_si256(b, _mm256_set1_epi8(0x20));
  const __m256i alpha = _mm256_and_si256(_mm256_cmpgt_epi8(lo, _mm256_set1_epi8('a' - 1)),
                                         _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), lo));
  const __m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(b, _mm256_set1_epi8('0' - 1)),
                                         _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), b));
  const __m256i dot = _mm256_cmpeq_epi8(b, _mm256_set1_epi8('.'));
  const __m256i col = _mm256_cmpeq_epi8(b, _mm256_set1_epi8(':'));
  const __m256i word = _mm256_or_si256(
      _mm256_or_si256(alpha, col), _mm256_or_si256(_mm256_cmpeq_epi8(b, _mm256_set1_epi8('-')),
                                                   _mm256_cmpeq_epi8(b, _mm256_set1_epi8('_'))));
  const __m256i tok = _mm256_or_si256(word, _mm256_or_si256(digit, dot));
  const __m256i seed = _mm256_or_si256(
      _mm256_or_si256(dot, col), _mm256_or_si256(_mm256_cmpeq_epi8(b, _mm256_set1_epi8('/')),
                                                 _mm256_cmpeq_epi8(b, _mm256_set1_epi8('@'))));
  auto bits = [](int v) { return static_cast<std::uint64_t>(static_cast<std::uint32_t>(v)); };
  return {bits(_mm256_movemask_epi8(tok)), bits(_mm256_movemask_epi8(seed)),
          bits(_mm256_movemask_epi8(col)), bits(_mm256_movemask_epi8(dot)),
          bits(_mm256_movemask_epi8(word))};
}

__attribute__((target("avx2"))) std::size_t MasksAvx2(const char* p, std::size_t n,
                                                      const TokenMasks& m) {
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const Half a = Masks32(p + i), b = Masks32(p + i + 32);
    const std::size_t w = i / 64;
    m.tok[w] = a.tok | b.tok << 32;
    m.seed[w] = a.seed | b.seed << 32;
    m.colon[w] = a.colon | b.colon << 32;
    m.dot[w] = a.dot | b.dot << 32;
    m.word[w] = a.word | b.word << 32;
  }
  return i;
}

// 64 bytes per step straight into mask registers (no movemask), and the hash-seed smear eight
// words at a time.
__attribute__((target("avx512f,avx512bw"))) std::size_t MasksAvx512(const char* p, std::size_t n,
                                                                    const TokenMasks& m) {
  const __m512i k20 = _mm512_set1_epi8(0x20), ka = _mm512_set1_epi8('a'),
                k26 = _mm512_set1_epi8(26), k0 = _mm512_set1_epi8('0'), k10 = _mm512_set1_epi8(10),
                kdot = _mm512_set1_epi8('.'), kcol = _mm512_set1_epi8(':'),
                kdash = _mm512_set1_epi8('-'), kus = _mm512_set1_epi8('_'),
                ksl = _mm512_set1_epi8('/'), kat = _mm512_set1_epi8('@');
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i b = _mm512_loadu_si512(p + i);
    const __mmask64 alpha =
        _mm512_cmplt_epu8_mask(_mm512_sub_epi8(_mm512_or_si512(b, k20), ka), k26);
    const __mmask64 digit = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(b, k0), k10);
    const __mmask64 dot = _mm512_cmpeq_epi8_mask(b, kdot);
    const __mmask64 col = _mm512_cmpeq_epi8_mask(b, kcol);
    const __mmask64 word =
        alpha | col | _mm512_cmpeq_epi8_mask(b, kdash) | _mm512_cmpeq_epi8_mask(b, kus);
    const std::size_t w = i / 64;
    m.tok[w] = word | digit | dot;
    m.seed[w] = dot | col | _mm512_cmpeq_epi8_mask(b, ksl) | _mm512_cmpeq_epi8_mask(b, kat);
    m.colon[w] = col;
    m.dot[w] = dot;
    m.word[w] = word;
  }
  return i;
}

__attribute__((target("avx512f"))) std::size_t HashSeedsAvx512(const TokenMasks& m,
                                                               std::size_t words) {
  // a = words w..w+7, b = words w+1..w+8. Bits of b needed by a stay below bit 31 at every
  // step, and those depend only on b's own word, so b smears without its next word.
  std::size_t w = 0;
  for (; w + 8 <= words; w += 8) {
    __m512i a = _mm512_loadu_si512(m.tok + w), b = _mm512_loadu_si512(m.tok + w + 1);
    for (int k : {1, 2, 4, 8, 16}) {
      const __m128i sh = _mm_cvtsi32_si128(k), back = _mm_cvtsi32_si128(64 - k);
      a = _mm512_and_si512(a, _mm512_or_si512(_mm512_srl_epi64(a, sh), _mm512_sll_epi64(b, back)));
      b = _mm512_and_si512(b, _mm512_srl_epi64(b, sh));
    }
    _mm512_storeu_si512(m.seed + w, _mm512_or_si512(_mm512_loadu_si512(m.seed + w), a));
  }
  return w;
}

}  // namespace

bool MaskIsaSupported(MaskIsa isa) noexcept {
  switch (isa) {
    case MaskIsa::kScalar:
      return true;
    case MaskIsa::kAvx2:
      return __builtin_cpu_supports("avx2");
    case MaskIsa::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  }
  return false;
}

MaskIsa BestMaskIsa() noexcept {
  static const MaskIsa best = MaskIsaSupported(MaskIsa::kAvx512) ? MaskIsa::kAvx512
                              : MaskIsaSupported(MaskIsa::kAvx2) ? MaskIsa::kAvx2
                                                                 : MaskIsa::kScalar;
  return best;
}

void BuildTokenMasks(const char* p, std::size_t n, const TokenMasks& m, bool hash_seeds,
                     MaskIsa isa) noexcept {
  const std::size_t words = (n + 63) / 64;
  std::size_t done = 0;  // bytes whose words are written whole
  if (isa == MaskIsa::kAvx512) {
    done = MasksAvx512(p, n, m);
  } else if (isa == MaskIsa::kAvx2) {
    done = MasksAvx2(p, n, m);
  }
  Clear(m, done / 64, MaskWords(n));
  MasksScalar(p, done, n, m);
  if (!hash_seeds) return;
  std::size_t smeared = isa == MaskIsa::kAvx512 ? HashSeedsAvx512(m, words) : 0;
  HashSeedsScalar(m, smeared, words);
}

}  // namespace entente::detect::internal
