// SPDX-License-Identifier: MIT
#pragma once

// The memory adapter: the only header that asks the operating system to map
// fresh memory ahead of its use.

#include <marcpp/config.hpp>

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#  include <sys/mman.h>
#  include <unistd.h>
#endif

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// The size of a page of memory (4096 where it is not asked).
[[nodiscard]] inline std::size_t page_size() noexcept {
#if defined(__linux__)
  static const std::size_t page = [] {
    const long s = ::sysconf(_SC_PAGESIZE);
    return s > 0 ? static_cast<std::size_t>(s) : std::size_t{4096};
  }();
  return page;
#else
  return 4096;
#endif
}

/// Maps the whole pages inside [p, p + n) for writing now, in one system
/// call, where the system can (Linux 5.14 and later); true if it did (or
/// if no whole page lies inside). Elsewhere, or if the call fails, it does
/// nothing and returns false. The bytes do not change. Where the first
/// write to a page is slow (some virtual machines take 10 to 30 µs), this
/// costs a fraction of faulting the pages in one at a time: for buffers
/// that are about to be written whole.
inline bool prefault(void* p, std::size_t n) noexcept {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  const std::uintptr_t page = page_size();
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = (at + page - 1) & ~(page - 1);
  const std::uintptr_t last = (at + n) & ~(page - 1);
  if (last <= first) return true;
  return ::madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_WRITE) == 0;
#else
  (void)p;
  (void)n;
  return false;
#endif
}

}  // namespace detail
MARCPP_NAMESPACE_END
