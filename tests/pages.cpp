#include <marcpp/detail/pages.hpp>  // first: proves it is self-contained

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#  include <sys/mman.h>
#  include <unistd.h>
#endif

TEST_CASE("prefault leaves the bytes as they were, whatever the range") {
  std::vector<unsigned char> buf(5 * 4096 + 123);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<unsigned char>(i * 7 + 3);
  const std::vector<unsigned char> before = buf;
  // Unaligned at both ends, shorter than a page, empty, and the whole.
  (void)marcpp::detail::prefault(buf.data() + 1, buf.size() - 2);
  (void)marcpp::detail::prefault(buf.data() + 100, 50);
  (void)marcpp::detail::prefault(buf.data() + 7, 0);
  (void)marcpp::detail::prefault(buf.data(), buf.size());
  CHECK(buf == before);
}

#if defined(__linux__)
TEST_CASE("prefault maps every whole page inside the range, and no page outside it") {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  constexpr std::size_t pages = 16;
  void* m = ::mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(m != MAP_FAILED);
  auto* base = static_cast<unsigned char*>(m);
  auto resident = [&] {
    std::vector<unsigned char> v(pages);
    REQUIRE(::mincore(m, pages * page, v.data()) == 0);
    std::vector<int> r(pages);
    for (std::size_t i = 0; i < pages; ++i) r[i] = v[i] & 1;
    return r;
  };
  CHECK(resident() == std::vector<int>(pages, 0));
  // From the middle of page 2 to the middle of page 9: pages 3 to 8 are
  // whole inside it.
  const bool done = marcpp::detail::prefault(base + 2 * page + page / 2, 7 * page);
  if (!done) {
    MESSAGE("MADV_POPULATE_WRITE is not available here (Linux before 5.14): nothing to check");
    CHECK(resident() == std::vector<int>(pages, 0));
  } else {
    std::vector<int> want(pages, 0);
    for (std::size_t i = 3; i <= 8; ++i) want[i] = 1;
    CHECK(resident() == want);
    for (std::size_t i = 0; i < pages * page; ++i) REQUIRE(base[i] == 0);
  }
  ::munmap(m, pages * page);
}
#endif
