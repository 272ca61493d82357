// A realistic corpus of indicator-sized STIX objects for benchmarks.
//
// Values come from the real indicator lists in shared/data/ioc when present (IPs, domains,
// URLs, hashes with their malware family labels), else from a deterministic synthetic set.
// Each object is shaped like what national CSIRTs exchange: name, description, pattern,
// indicator_types, labels, TLP marking, created_by_ref, external reference, kill chain phase.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace entente::bench {

// `n` indicator objects, one JSON text each (average about 700 bytes).
std::vector<std::string> MakeIndicators(std::size_t n, std::uint64_t seed = 42);

// The same objects as a bundle text.
std::string MakeBundle(const std::vector<std::string>& objects);

// Where real indicator values were read from ("" when synthetic).
std::string CorpusSource();

}  // namespace entente::bench
