// SPDX-License-Identifier: MIT
#pragma once

// The memory adapter: the only header that asks the operating system to map
// fresh memory ahead of its use.

#include <marcpp/config.hpp>

#include <algorithm>
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

/// Maps a growing buffer's pages a step at a time, just before they are
/// written: one `prefault` call for many pages instead of a fault for each.
/// It remembers how much of the buffer is mapped, and starts over when the
/// buffer moves (what was copied there is mapped already).
class pages_ahead {
 public:
  /// Before bytes [used, used + ahead) of the buffer at `data`, which has
  /// room for `capacity`, are written: maps `step` bytes from there (at
  /// least a page; ending on a page boundary, where the next step starts),
  /// unless they are mapped already.
  void before_write(void* data, std::size_t used, std::size_t capacity, std::size_t ahead,
                    std::size_t step) noexcept {
    if (data != base_) {
      base_ = data;
      mapped_ = 0;
    }
    if (used + ahead <= mapped_ || mapped_ >= capacity) return;
    const std::size_t page = page_size();
    const std::size_t from = std::max(used, mapped_);
    std::size_t to = std::min(capacity, from + std::max(step, page));
    const auto at = reinterpret_cast<std::uintptr_t>(data);
    // A step of a page or more ends past `from` once rounded down.
    if (to < capacity) to = static_cast<std::size_t>(((at + to) & ~(page - 1)) - at);
    (void)prefault(static_cast<char*>(data) + from, to - from);
    mapped_ = to;
  }

 private:
  void* base_ = nullptr;
  std::size_t mapped_ = 0;  // bytes from base_ on that are mapped
};

}  // namespace detail
MARCPP_NAMESPACE_END
