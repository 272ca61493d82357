#include "entente/stix/markings.h"

#include <cctype>
#include <string>

namespace entente::stix {
namespace {

struct TlpId {
  std::string_view id;
  Tlp tlp;
};

// TLP 2.0 (OASIS TLP 2.0 marking definitions, extension-definition--60a3c5c5-...) and the
// TLP 1.0 objects of STIX 2.1 section 7.2.1.4.
constexpr TlpId kTlpIds[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", Tlp::kClear},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", Tlp::kGreen},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", Tlp::kAmber},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", Tlp::kAmberStrict},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", Tlp::kRed},
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp::kClear},  // 1.0 white
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp::kGreen},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp::kAmber},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp::kRed},
};

}  // namespace

std::string_view TlpName(Tlp tlp) noexcept {
  switch (tlp) {
    case Tlp::kClear:
      return "TLP:CLEAR";
    case Tlp::kGreen:
      return "TLP:GREEN";
    case Tlp::kAmber:
      return "TLP:AMBER";
    case Tlp::kAmberStrict:
      return "TLP:AMBER+STRICT";
    case Tlp::kRed:
      return "TLP:RED";
  }
  return "TLP:?";
}

std::optional<Tlp> TlpOfMarking(std::string_view marking_id) noexcept {
  for (const TlpId& t : kTlpIds) {
    if (t.id == marking_id) return t.tlp;
  }
  return std::nullopt;
}

std::string_view Tlp2MarkingId(Tlp tlp) noexcept { return kTlpIds[static_cast<int>(tlp)].id; }

std::optional<Tlp> ParseTlp(std::string_view text) noexcept {
  std::string s;
  for (char c : text) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.starts_with("tlp:")) s.erase(0, 4);
  if (s == "clear" || s == "white") return Tlp::kClear;
  if (s == "green") return Tlp::kGreen;
  if (s == "amber") return Tlp::kAmber;
  if (s == "amber+strict") return Tlp::kAmberStrict;
  if (s == "red") return Tlp::kRed;
  return std::nullopt;
}

}  // namespace entente::stix
