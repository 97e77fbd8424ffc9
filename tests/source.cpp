#include <marcpp/source.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <sstream>

namespace {
std::string summary(const test::outcome& o) {
  std::string s;
  for (std::size_t i = 0; i < o.records.size(); ++i) s += o.raws[i] + "|" + test::dump(o.records[i]);
  for (const auto& d : o.diags) s += marcpp::to_string(d) + "\n";
  s += o.failed ? marcpp::to_string(o.error) : std::string("ok");
  return s;
}
}  // namespace

TEST_CASE("sources: memory, mapped file and stream give the same results") {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::directory_iterator(test::data_dir() / "crafted")) {
    if (entry.path().extension() != ".mrc") continue;
    CAPTURE(entry.path().filename().string());
    const std::string bytes = test::slurp(entry.path());
    for (auto policy : {marcpp::error_policy::lenient, marcpp::error_policy::strict, marcpp::error_policy::skip}) {
      const auto expected = summary(test::read_bytes(bytes, test::with(policy)));
      CHECK(summary(test::read_all(marcpp::mmap_source{entry.path()}, test::with(policy))) == expected);
      for (std::size_t chunk : {std::size_t{64}, std::size_t{100}, std::size_t{4096}}) {
        std::istringstream in(bytes);
        CHECK(summary(test::read_all(marcpp::stream_source{in, chunk}, test::with(policy))) == expected);
      }
    }
  }
}

// A memory source views bytes it does not own: one over a temporary string
// would dangle, so it does not compile.
static_assert(!std::is_constructible_v<marcpp::memory_source, std::string&&>);
static_assert(std::is_constructible_v<marcpp::memory_source, const std::string&>);

TEST_CASE("memory_source") {
  marcpp::memory_source m{"abcdef"};
  CHECK(m.window().size == 6);
  CHECK(m.fill(6));
  CHECK_FALSE(m.fill(7));
  m.consume(2);
  CHECK(m.window().offset == 2);
  CHECK(std::string_view(m.window().data, m.window().size) == "cdef");
  m.consume(100);
  CHECK(m.window().size == 0);
  m.seek(1);
  CHECK(m.window().data[0] == 'b');
  CHECK(m.bytes() == "abcdef");
  CHECK(m.error().empty());
}

TEST_CASE("mmap_source") {
  const auto path = test::crafted("ok-basic.mrc");
  marcpp::mmap_source m{path};
  CHECK(m.bytes() == test::slurp(path));
  marcpp::mmap_source moved = std::move(m);
  CHECK(moved.window().size == test::slurp(path).size());
  SUBCASE("an empty file maps to no bytes") {
    auto empty = std::filesystem::temp_directory_path() / "marcpp-empty.mrc";
    { std::ofstream(empty, std::ios::binary); }
    marcpp::mmap_source e{empty};
    CHECK(e.window().size == 0);
    std::filesystem::remove(empty);
  }
  SUBCASE("a missing file or a directory is an io_error") {
    try {
      marcpp::mmap_source bad{test::crafted("does-not-exist.mrc")};
      FAIL("no exception");
    } catch (const marcpp::error& e) {
      CHECK(e.code() == marcpp::errc::io_error);
      CHECK(e.diagnostic().message.find("does-not-exist.mrc") != std::string::npos);
    }
    CHECK_THROWS_AS(marcpp::mmap_source{test::data_dir()}, marcpp::error);
  }
}

TEST_CASE("stream_source keeps memory bounded by the largest record") {
  const std::string rec = test::slurp(test::crafted("ok-basic.mrc"));
  std::string big;
  for (int i = 0; i < 5000; ++i) big += rec;  // about 1 MB
  std::istringstream in(big);
  marcpp::stream_source src{in, 4096};
  marcpp::reader r{std::move(src)};
  marcpp::record_view v;
  std::size_t n = 0;
  while (r.next(v)) ++n;
  CHECK(n == 5000);
  CHECK(r.source().capacity() <= 4096 + 2 * rec.size() + 4096);
}
