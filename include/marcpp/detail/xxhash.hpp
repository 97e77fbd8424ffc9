// SPDX-License-Identifier: MIT
#pragma once

// The xxHash adapter: the only header that includes xxHash, inlined (no
// library to link).

#include <marcpp/config.hpp>

#ifndef XXH_INLINE_ALL
#  define XXH_INLINE_ALL
#  define MARCPP_DEFINED_XXH_INLINE_ALL
#endif
#include <xxhash.h>
#ifdef MARCPP_DEFINED_XXH_INLINE_ALL
#  undef XXH_INLINE_ALL
#  undef MARCPP_DEFINED_XXH_INLINE_ALL
#endif

#include <cstddef>
#include <cstdint>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// XXH3, 64 bits.
[[nodiscard]] inline std::uint64_t hash64(const void* p, std::size_t n) noexcept { return XXH3_64bits(p, n); }

/// XXH3 over data arriving in pieces.
class hasher {
 public:
  hasher() noexcept : st_(XXH3_createState()) { XXH3_64bits_reset(st_); }
  ~hasher() { XXH3_freeState(st_); }
  hasher(const hasher&) = delete;
  hasher& operator=(const hasher&) = delete;
  void update(const void* p, std::size_t n) noexcept { XXH3_64bits_update(st_, p, n); }
  [[nodiscard]] std::uint64_t digest() const noexcept { return XXH3_64bits_digest(st_); }

 private:
  XXH3_state_t* st_;
};

}  // namespace detail
MARCPP_NAMESPACE_END
