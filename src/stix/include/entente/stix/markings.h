// TLP markings (TLP 2.0 as defined for STIX by the OASIS TLP 2.0 marking definitions, and the
// TLP 1.0 marking-definition objects of STIX 2.1 section 7.2.1.4) and their order.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace entente::stix {

enum class Tlp : std::uint8_t { kClear = 0, kGreen = 1, kAmber = 2, kAmberStrict = 3, kRed = 4 };

std::string_view TlpName(Tlp tlp) noexcept;  // "TLP:CLEAR", "TLP:AMBER+STRICT", ...

// The TLP level a marking-definition id stands for (TLP 1.0 white maps to CLEAR), or nullopt
// if the id is not one of the well-known TLP marking definitions.
std::optional<Tlp> TlpOfMarking(std::string_view marking_id) noexcept;

// The well-known TLP 2.0 marking-definition id for a level.
std::string_view Tlp2MarkingId(Tlp tlp) noexcept;

// Parses "TLP:AMBER+STRICT", "amber+strict", "tlp:white", ... (case-insensitive).
std::optional<Tlp> ParseTlp(std::string_view text) noexcept;

}  // namespace entente::stix
