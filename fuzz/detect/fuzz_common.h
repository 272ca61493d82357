// A small index with one value of every kind the tokenizer extracts, so fuzzed inputs reach the
// hit path (location, Zeek fields, warninglists) and not just the tokenizer.
#pragma once

#include <memory>

#include "entente/detect/indicator_list.h"
#include "entente/detect/scanner.h"

namespace entente::detect::fuzz {

inline const IndexHandle& Handle() {
  static IndexHandle* h = [] {
    IndexBuilder b;
    (void)ParseIndicatorList(
        "evil.example\tx\n1.2.3.4\tx\n10.0.0.0/8\tx\n2001:db8::/32\tx\n2001:db8::1\tx\n"
        "d41d8cd98f00b204e9800998ecf8427e\tx\nevil.example/gate.php\tx\n/gate.php\tx\n"
        "a@evil.example\tx\n.xyz\tx\n0.0.0.0/0\tall\n",
        "fuzz", b, nullptr);
    auto psl = PublicSuffixList::FromText("com\nexample\nxyz\n*.ck\n!www.ck\nru\norg.ru\n");
    return new IndexHandle(*b.Build(&psl));
  }();
  return *h;
}

inline const Warninglists& Lists() {
  static Warninglists* w = [] {
    auto* wl = new Warninglists();
    (void)wl->Add("hostname", "example", "x");
    (void)wl->Add("cidr", "10.1.0.0/16", "x");
    (void)wl->Add("substring", "gate", "x");
    (void)wl->Add("regex", "/^a@/i", "x");
    wl->Finish();
    return wl;
  }();
  return *w;
}

inline void Scan(const std::uint8_t* data, std::size_t size, InputFormat format) {
  ScanOptions opt;
  opt.chunk_bytes = 4096;  // small, so pieces, carries and cuts are exercised
  opt.max_token_bytes = 256;
  opt.max_hits_per_indicator = 50;
  opt.format = format;
  Scanner s(Handle(), &Lists(), opt, [](const Hit& h) {
    if (h.value.empty()) __builtin_trap();
  });
  (void)s.ScanBuffer({reinterpret_cast<const char*>(data), size}, "fuzz");
  s.Finish();
}

}  // namespace entente::detect::fuzz
