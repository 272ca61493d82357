// Constant-time helpers and the hooks of the valgrind constant-time check (ctgrind).
//
// The ct test marks secret inputs undefined with VALGRIND_MAKE_MEM_UNDEFINED; memcheck then
// reports any branch or memory index that depends on them. Values that are public by design
// (public keys, ciphertexts, signatures, ML-DSA's rejection decision) are declassified here
// with VALGRIND_MAKE_MEM_DEFINED, which outside valgrind is a few no-op instructions.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define ENTENTE_CT_HAVE_VALGRIND 1
#endif
#endif

namespace entente::crypto::ct {

// Marks `size` bytes at `p` as public (defined) for the ct check.
inline void Declassify(const void* p, std::size_t size) noexcept {
#ifdef ENTENTE_CT_HAVE_VALGRIND
  (void)VALGRIND_MAKE_MEM_DEFINED(p, size);
#else
  (void)p;
  (void)size;
#endif
}

// Marks bytes as secret (undefined); used by the ct test.
inline void Poison(const void* p, std::size_t size) noexcept {
#ifdef ENTENTE_CT_HAVE_VALGRIND
  (void)VALGRIND_MAKE_MEM_UNDEFINED(p, size);
#else
  (void)p;
  (void)size;
#endif
}

// Hides a value from the optimiser so it cannot turn masks back into branches.
template <typename T>
inline T Barrier(T v) noexcept {
  __asm__("" : "+r"(v));
  return v;
}

// All-ones if a != 0, else zero.
inline std::uint32_t NonZeroMask(std::uint32_t a) noexcept {
  return Barrier(static_cast<std::uint32_t>(-static_cast<std::int32_t>((a | (0u - a)) >> 31)));
}

}  // namespace entente::crypto::ct
