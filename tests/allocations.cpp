// Parsing a typical record into a record_view allocates nothing: every
// allocation made through the global operator new is counted while records
// are read from a memory buffer.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> allocations{0};
std::atomic<bool> counting{false};
}  // namespace

// g++ 12 at -O2 sees the standard library's inlined `new` paired with
// these deletes' `free` and warns of a mismatch; they do match (this new
// is malloc).
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {
// Records read and allocations made reading every record of `bytes` into one
// reused record_view, after the reader has warmed up on the first record.
std::pair<std::size_t, std::size_t> count_allocations(const std::string& bytes) {
  marcpp::reader r{marcpp::memory_source{bytes}};
  marcpp::record_view v;
  REQUIRE(r.next(v));
  allocations = 0;
  counting = true;
  std::size_t n = 0;
  while (r.next(v)) ++n;
  counting = false;
  return {n, allocations.load()};
}
}  // namespace

TEST_CASE("record_view: a typical record allocates nothing") {
  std::string bytes;
  const std::string good = test::slurp(test::crafted("ok-basic.mrc"));
  for (int i = 0; i < 1000; ++i) bytes += good;
  auto [n, allocs] = count_allocations(bytes);
  CHECK(n == 999);
  CHECK(allocs == 0);
}

TEST_CASE("record_view: a leader fault that every record repeats allocates nothing after the first") {
  // A whole authority file may carry the same odd leader; each record still
  // gets its own diagnostic, in the room the one before it had.
  std::string bytes;
  const std::string odd = test::slurp(test::crafted("bad-entry-map.mrc"));
  for (int i = 0; i < 1000; ++i) bytes += odd;
  marcpp::reader r{marcpp::memory_source{bytes}};
  marcpp::record_view v;
  REQUIRE(r.next(v));
  REQUIRE(v.diagnostics().size() == 1);
  const marcpp::diagnostic first = v.diagnostics()[0];
  CHECK(first.code == marcpp::errc::bad_entry_map);
  CHECK(!first.message.empty());
  std::size_t n = 1, wrong = 0;
  allocations = 0;
  counting = true;
  while (r.next(v)) {
    const auto ds = v.diagnostics();
    if (ds.size() != 1 || ds[0].code != first.code || ds[0].message != first.message ||
        ds[0].record_index != n || ds[0].record_offset != n * odd.size() ||
        ds[0].offset != first.offset + n * odd.size() || ds[0].control_number != first.control_number)
      ++wrong;
    ++n;
  }
  counting = false;
  CHECK(n == 1000);
  CHECK(wrong == 0);
  CHECK(allocations == 0);
}

TEST_CASE("record_view: the corpus's large bibliographic files, a record at a time") {
  if (!test::have_corpus()) return;
  // Allocation happens only for records beyond the inline capacities
  // (docs/record-model.md): under 1% of real records.
  for (const char* f : {"large/solrmarc-uva_001_2000.mrc", "large/pymarc_basics-NLNZ_1000_example_marc.marc",
                        "large/evergreen-jazz_1k.mrc", "large/marc4j-pride-and-prejudice-fixed.mrc"}) {
    CAPTURE(f);
    const std::string bytes = test::slurp(test::corpus_dir() / f);
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    std::size_t records = 0, allocating = 0;
    for (;;) {
      std::size_t before = allocations;
      counting = true;
      bool got = r.next(v);
      counting = false;
      if (!got) break;
      ++records;
      if (allocations != before) ++allocating;
      // A record_view that spilled once keeps its capacity: clear it, so each
      // record is measured from the inline storage.
      v = marcpp::record_view{};
    }
    CHECK(records > 0);
    CHECK(allocating * 100 <= records);
  }
}
