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

#if defined(__linux__)
TEST_CASE("pages_ahead maps a step at a time ahead of the writing, within the room, and starts over in a new buffer") {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  constexpr std::size_t pages = 32;
  auto map = [&] {
    void* m = ::mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(m != MAP_FAILED);
    return static_cast<unsigned char*>(m);
  };
  auto resident = [&](unsigned char* m) {
    std::vector<unsigned char> v(pages);
    REQUIRE(::mincore(m, pages * page, v.data()) == 0);
    std::vector<int> r(pages);
    for (std::size_t i = 0; i < pages; ++i) r[i] = v[i] & 1;
    return r;
  };
  auto pages_from_to = [&](std::size_t first, std::size_t last) {  // resident: first..last
    std::vector<int> want(pages, 0);
    for (std::size_t i = first; i <= last; ++i) want[i] = 1;
    return want;
  };
  unsigned char* a = map();
  if (!marcpp::detail::prefault(a + 31 * page, page)) {
    MESSAGE("MADV_POPULATE_WRITE is not available here (Linux before 5.14): nothing to check");
    ::munmap(a, pages * page);
    return;
  }
  ::munmap(a, pages * page);
  a = map();
  // A buffer that starts 100 bytes into page 0, with room for 30 pages.
  unsigned char* data = a + 100;
  const std::size_t room = 30 * page;
  marcpp::detail::pages_ahead ahead;
  // Nothing written yet: four pages' worth, ending on a page boundary.
  // Page 0 is not whole inside the buffer, so it stays as it was.
  ahead.before_write(data, 0, room, page, 4 * page);
  CHECK(resident(a) == pages_from_to(1, 3));
  // Writing inside what is mapped maps nothing more.
  ahead.before_write(data, 2 * page, room, page, 4 * page);
  CHECK(resident(a) == pages_from_to(1, 3));
  // Past it: the next step, from where the last one ended.
  ahead.before_write(data, 3 * page, room, page, 4 * page);
  CHECK(resident(a) == pages_from_to(1, 7));
  // Near the end of the room: up to its end and no further (page 30 holds
  // the room's last 100 bytes, not a whole page; page 31 is past it).
  ahead.before_write(data, 27 * page, room, 2 * page, 16 * page);
  // Pages 28 and 29 are whole inside [27 pages + 100, 30 pages + 100).
  std::vector<int> want = pages_from_to(1, 7);
  want[28] = want[29] = 1;
  CHECK(resident(a) == want);
  // All of the room mapped: nothing more to do.
  ahead.before_write(data, room, room, page, 4 * page);
  CHECK(resident(a) == want);

  // The buffer moved (it grew into new memory, with 5 pages copied there):
  // mapping starts over in it, from what is written.
  unsigned char* b = map();
  ahead.before_write(b, 5 * page, 20 * page, page, 2 * page);
  CHECK(resident(b) == pages_from_to(5, 6));
  // A step shorter than a page is a page: the mapping still moves on.
  for (std::size_t used = 7 * page; used < 10 * page; used += 64) ahead.before_write(b, used, 20 * page, 64, 1);
  CHECK(resident(b) == pages_from_to(5, 9));
  ::munmap(a, pages * page);
  ::munmap(b, pages * page);
}
#endif
