// Name normalisation for screening: transliteration of Latin-with-diacritics, Cyrillic and
// Greek to plain lower-case Latin, then folding of common romanisation variants.
#include <cstdint>
#include <string>
#include <string_view>

#include "entente/respond/sanctions.h"

namespace entente::respond {

namespace {

#include "translit_tables.inc"

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i. Invalid bytes
// yield U+FFFD and advance by one.
char32_t NextCodePoint(std::string_view s, std::size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    ++i;
    return c;
  }
  int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = c & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  i += len;
  return cp;
}

// Appends the plain-Latin form of one code point; returns false for a word separator.
bool AppendLatin(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    char c = static_cast<char>(cp);
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
      return true;
    }
    return c == '\'';  // O'Brien -> obrien
  }
  if (cp >= 0x300 && cp < 0x370) return true;     // combining marks: drop, stay in the word
  if (cp == 0x2019 || cp == 0x02BC) return true;  // right quote / modifier apostrophe
  const char* t = nullptr;
  if (cp >= 0xC0 && cp < 0xC0 + std::size(kLatin)) {
    t = kLatin[cp - 0xC0];
  } else if (cp >= 0x400 && cp < 0x400 + std::size(kCyrillic)) {
    t = kCyrillic[cp - 0x400];
    if (*t == '\0') return cp == 0x42A || cp == 0x44A || cp == 0x42C || cp == 0x44C;  // ъ ь
  } else if (cp >= 0x370 && cp < 0x370 + std::size(kGreek)) {
    t = kGreek[cp - 0x370];
  } else if (cp == 0x1E9E) {
    t = "ss";
  }
  if (t == nullptr || *t == '\0') return false;
  out += t;
  return true;
}

// Folds romanisation variants inside one word: kh->h, ph->f, ck->k, q->k, w->v, x->ks,
// y->i, j->i, then runs of a letter to one, and a leading "ie" (Ye-) to "e".
void FoldWord(std::string_view w, std::string& out) {
  std::string tmp;
  tmp.reserve(w.size() + 4);
  for (std::size_t i = 0; i < w.size(); ++i) {
    char c = w[i];
    char next = i + 1 < w.size() ? w[i + 1] : '\0';
    if ((c == 'k' && next == 'h') || (c == 'p' && next == 'h') || (c == 'c' && next == 'k')) {
      tmp.push_back(c == 'p' ? 'f' : c == 'k' ? 'h' : 'k');
      ++i;
      continue;
    }
    switch (c) {
      case 'q':
        tmp.push_back('k');
        break;
      case 'w':
        tmp.push_back('v');
        break;
      case 'x':
        tmp += "ks";
        break;
      case 'y':
      case 'j':
        tmp.push_back('i');
        break;
      default:
        tmp.push_back(c);
    }
  }
  std::size_t start = out.size();
  for (char c : tmp) {
    if (out.size() > start && out.back() == c) continue;
    out.push_back(c);
  }
  if (out.size() - start > 3 && out[start] == 'i' && out[start + 1] == 'e') out.erase(start, 1);
}

}  // namespace

std::string NormalizeName(std::string_view name) {
  if (name.size() > 512) name = name.substr(0, 512);
  std::string latin;
  latin.reserve(name.size() + 8);
  std::size_t i = 0;
  while (i < name.size()) {
    char32_t cp = NextCodePoint(name, i);
    if (!AppendLatin(cp, latin) && !latin.empty() && latin.back() != ' ') latin.push_back(' ');
  }
  std::string out;
  out.reserve(latin.size() + 8);
  std::size_t pos = 0;
  while (pos < latin.size()) {
    std::size_t end = latin.find(' ', pos);
    if (end == std::string::npos) end = latin.size();
    if (end > pos) {
      if (!out.empty()) out.push_back(' ');
      FoldWord(std::string_view(latin).substr(pos, end - pos), out);
    }
    pos = end + 1;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace entente::respond
