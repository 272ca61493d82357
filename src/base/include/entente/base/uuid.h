// UUIDs as STIX identifiers use them: v4 (random) for SDOs/SROs, v5 (name-based, SHA-1) for
// deterministic SCO ids under the STIX namespace 00abedb4-aa42-466c-9c01-fed23315a9b7.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace entente {

using Uuid = std::array<std::uint8_t, 16>;

// The namespace STIX 2.1 (section 2.9) fixes for SCO ids.
inline constexpr std::string_view kStixScoNamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7";

// Random v4 UUID from the OpenSSL CSPRNG.
Uuid UuidV4();
// RFC 4122 v5: SHA-1 of namespace || name.
Uuid UuidV5(const Uuid& ns, std::string_view name);
// Lower-case 8-4-4-4-12 form.
std::string UuidToString(const Uuid& u);
// Parses 8-4-4-4-12 hex (either case). Returns false on any other shape.
bool ParseUuid(std::string_view text, Uuid& out) noexcept;
// True iff text is 8-4-4-4-12 hex; `rfc4122` additionally requires the RFC 4122 variant bits
// and a version 1-8 (STIX 2.1 requires both for identifiers).
bool IsUuid(std::string_view text, bool rfc4122 = true) noexcept;

}  // namespace entente
