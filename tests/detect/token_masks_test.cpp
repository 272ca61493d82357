#include "token_masks.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace entente::detect::internal {
namespace {

struct Built {
  std::vector<std::uint64_t> buf;
  std::vector<std::uint64_t> Mask(int k, std::size_t n) const {
    const std::size_t mw = MaskWords(n);
    return {buf.begin() + static_cast<std::ptrdiff_t>(k * mw),
            buf.begin() + static_cast<std::ptrdiff_t>((k + 1) * mw)};
  }
};

Built Build(const std::string& text, bool hash_seeds, MaskIsa isa) {
  const std::size_t mw = MaskWords(text.size());
  Built b;
  b.buf.assign(5 * mw, ~std::uint64_t{0});  // garbage: every word must be overwritten
  TokenMasks m{b.buf.data(), b.buf.data() + mw, b.buf.data() + 2 * mw, b.buf.data() + 3 * mw,
               b.buf.data() + 4 * mw};
  BuildTokenMasks(text.data(), text.size(), m, hash_seeds, isa);
  return b;
}

bool Bit(const std::vector<std::uint64_t>& m, std::size_t i) { return (m[i / 64] >> (i % 64)) & 1; }

// The scalar masks against the definition, byte by byte, including the hash seeds.
TEST(TokenMasks, ScalarMatchesTheDefinition) {
  const std::string text =
      "GET /a.b?x=1 10.0.0.1:80 user@evil.example 00008157c1abe8a7b172b23078e3f705 "
      "0123456789abcdef0123456789abcdeX_-\t\xff";
  Built b = Build(text, true, MaskIsa::kScalar);
  const auto tok = b.Mask(0, text.size()), seed = b.Mask(1, text.size()),
             colon = b.Mask(2, text.size()), dot = b.Mask(3, text.size()),
             word = b.Mask(4, text.size());
  auto is_tok = [&](std::size_t i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':';
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    bool long_run = i + 32 <= text.size();
    for (std::size_t j = i; long_run && j < i + 32; ++j) long_run = is_tok(j);
    SCOPED_TRACE(i);
    EXPECT_EQ(Bit(tok, i), is_tok(i));
    EXPECT_EQ(Bit(seed, i), c == '.' || c == ':' || c == '/' || c == '@' || long_run);
    EXPECT_EQ(Bit(colon, i), c == ':');
    EXPECT_EQ(Bit(dot, i), c == '.');
    EXPECT_EQ(Bit(word, i), is_tok(i) && !std::isdigit(static_cast<unsigned char>(c)) && c != '.');
  }
  for (std::size_t i = text.size(); i < 64 * MaskWords(text.size()); ++i)
    EXPECT_FALSE(Bit(tok, i) || Bit(seed, i) || Bit(word, i)) << i;
}

// Every vector variant this CPU runs gives the scalar bits, for every length and alignment.
TEST(TokenMasks, VectorVariantsEqualScalar) {
  std::mt19937 rng(7);
  const std::string alphabet = "0123456789abcdefXYZ.:-_/@ \t\n\"\x80\xff";
  int variants = 0;
  for (MaskIsa isa : {MaskIsa::kAvx2, MaskIsa::kAvx512}) {
    if (!MaskIsaSupported(isa)) continue;
    ++variants;
    for (std::size_t n : {0, 1, 31, 32, 63, 64, 65, 127, 128, 511, 512, 513, 1000, 4099}) {
      for (int round = 0; round < 20; ++round) {
        std::string text(n, ' ');
        // Long token stretches now and then, so the hash seeds are exercised across words.
        const bool runs = round % 2 == 1;
        for (char& c : text)
          c = runs && rng() % 8 != 0 ? "abc0123456789"[rng() % 13]
                                     : alphabet[rng() % alphabet.size()];
        for (bool hash_seeds : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "isa " << static_cast<int>(isa) << " n " << n
                                            << " round " << round << " hash_seeds " << hash_seeds);
          EXPECT_EQ(Build(text, hash_seeds, isa).buf,
                    Build(text, hash_seeds, MaskIsa::kScalar).buf);
        }
      }
    }
  }
  if (variants == 0) GTEST_SKIP() << "no vector variant on this CPU";
}

}  // namespace
}  // namespace entente::detect::internal
