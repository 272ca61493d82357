// gen_stix_bundle N FILE: writes a bundle of N realistic indicators (see corpus.h).
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "corpus.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: gen_stix_bundle N FILE\n");
    return 2;
  }
  std::size_t n = std::strtoull(argv[1], nullptr, 10);
  std::ofstream out(argv[2], std::ios::binary);
  out << "{\"type\":\"bundle\",\"id\":\"bundle--0f3c5d4e-2b1a-4c9d-8e7f-6a5b4c3d2e1f\",\"objects\":"
         "[";
  const std::size_t chunk = 100000;
  for (std::size_t done = 0; done < n; done += chunk) {
    auto objs = entente::bench::MakeIndicators(std::min(chunk, n - done), done + 1);
    for (std::size_t i = 0; i < objs.size(); ++i) out << (done + i ? ",\n" : "") << objs[i];
  }
  out << "]}\n";
  std::fprintf(stderr, "wrote %zu indicators to %s (values from %s)\n", n, argv[2],
               entente::bench::CorpusSource().empty() ? "synthetic set"
                                                      : entente::bench::CorpusSource().c_str());
  return out ? 0 : 1;
}
