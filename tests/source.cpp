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

TEST_CASE("sources: memory, mapped file, file and stream give the same results") {
  namespace fs = std::filesystem;
  for (const auto& entry : fs::directory_iterator(test::data_dir() / "crafted")) {
    if (entry.path().extension() != ".mrc") continue;
    CAPTURE(entry.path().filename().string());
    const std::string bytes = test::slurp(entry.path());
    for (auto policy : {marcpp::error_policy::lenient, marcpp::error_policy::strict, marcpp::error_policy::skip}) {
      const auto expected = summary(test::read_bytes(bytes, test::with(policy)));
      CHECK(summary(test::read_all(marcpp::mmap_source{entry.path()}, test::with(policy))) == expected);
      for (std::size_t chunk : {std::size_t{64}, std::size_t{100}, marcpp::file_source::default_chunk})
        CHECK(summary(test::read_all(marcpp::file_source{entry.path(), chunk}, test::with(policy))) == expected);
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

// Reads 5,000 copies of a record (about 1 MB) from `src`, read in chunks
// of 4 KiB: the source never holds more than the largest record and a chunk.
template <class Source>
void check_bounded(Source src, const std::string& rec) {
  marcpp::reader r{std::move(src)};
  marcpp::record_view v;
  std::size_t n = 0;
  while (r.next(v)) ++n;
  CHECK(n == 5000);
  CHECK(r.source().capacity() <= 4096 + 2 * rec.size() + 4096);
}

TEST_CASE("stream_source and file_source keep memory bounded by the largest record") {
  const std::string rec = test::slurp(test::crafted("ok-basic.mrc"));
  std::string big;
  for (int i = 0; i < 5000; ++i) big += rec;
  std::istringstream in(big);
  check_bounded(marcpp::stream_source{in, 4096}, rec);
  test::temp_file file("bounded.mrc", big);
  check_bounded(marcpp::file_source{file.path, 4096}, rec);
}

TEST_CASE("a source's buffer grows seldom, however its records grow") {
  // 300 records, each a field (43 bytes) longer than the one before (about
  // 80 bytes to 13 KB): a buffer sized for each request exactly would grow
  // at each record, and every growth is a copy into fresh memory.
  std::string all;
  std::size_t largest = 0;
  for (int i = 0; i < 300; ++i) {
    marcpp::record rec;
    rec.add(marcpp::field::control("001", std::to_string(1000 + i)));
    for (int j = 0; j <= i; ++j) rec.add(marcpp::field("500", "  ", {{'a', std::string(26, 'n')}}));
    const std::string bytes = marcpp::to_iso2709(rec);
    largest = std::max(largest, bytes.size());
    all += bytes;
  }
  auto check = [&](auto src) {
    marcpp::reader r{std::move(src)};
    marcpp::record_view v;
    std::size_t n = 0, grows = 0, cap = 0;
    while (r.next(v)) {
      ++n;
      if (r.source().capacity() != cap) ++grows;
      cap = r.source().capacity();
    }
    CHECK(n == 300);
    CHECK(grows <= 6);
    CHECK(cap <= 2 * 4096 + 2 * largest);
  };
  std::istringstream in(all);
  check(marcpp::stream_source{in, 4096});
  test::temp_file file("growing.mrc", all);
  check(marcpp::file_source{file.path, 4096});
}

TEST_CASE("file_source") {
  const auto path = test::crafted("ok-three.mrc");
  const std::string bytes = test::slurp(path);
  marcpp::file_source f{path, 100};
  CHECK(f.size() == bytes.size());
  CHECK(f.window().size == 0);
  REQUIRE(f.fill(10));
  CHECK(std::string_view(f.window().data, 10) == bytes.substr(0, 10));
  f.consume(7);
  CHECK(f.window().offset == 7);
  REQUIRE(f.fill(bytes.size() - 7));
  CHECK(std::string_view(f.window().data, f.window().size) == bytes.substr(7));
  CHECK_FALSE(f.fill(bytes.size() - 6));
  CHECK(f.error().empty());
  std::string part(5, '\0');
  CHECK(f.read_at(3, part.data(), 5).empty());
  CHECK(part == bytes.substr(3, 5));
  marcpp::file_source moved = std::move(f);
  CHECK(moved.window().offset == 7);

  SUBCASE("an empty file reads as no bytes") {
    test::temp_file empty("empty.mrc", "");
    marcpp::file_source e{empty.path};
    CHECK_FALSE(e.fill(1));
    CHECK(e.error().empty());
    CHECK(test::read_all(marcpp::file_source{empty.path}).records.empty());
  }
  SUBCASE("a missing file or a directory is an io_error") {
    try {
      marcpp::file_source bad{test::crafted("does-not-exist.mrc")};
      FAIL("no exception");
    } catch (const marcpp::error& e) {
      CHECK(e.code() == marcpp::errc::io_error);
      CHECK(e.diagnostic().message.find("does-not-exist.mrc") != std::string::npos);
    }
    try {
      marcpp::file_source dir{test::data_dir()};
      FAIL("no exception");
    } catch (const marcpp::error& e) {
      CHECK(e.diagnostic().message.find("not a regular file") != std::string::npos);
    }
  }
  SUBCASE("a file cut short while it is read: the records before the cut, then an io_error") {
    std::string many;
    for (int i = 0; i < 200; ++i) many += bytes;
    test::temp_file file("cut.mrc", many);
    marcpp::file_source src{file.path, 4096};
    std::filesystem::resize_file(file.path, many.size() / 2);
    marcpp::reader r{std::move(src)};
    marcpp::record_view v;
    std::size_t n = 0;
    while (r.next(v)) ++n;
    CHECK(r.failed());
    CHECK(r.error().code == marcpp::errc::io_error);
    CHECK(r.error().message.find("before its size when opened") != std::string::npos);
    CHECK(n > 0);
    CHECK(n < 600);
  }
}

TEST_CASE("with_source reads a regular file with a file_source") {
  const std::string bytes = test::slurp(test::crafted("ok-three.mrc"));
  test::temp_file plain("plain.mrc", bytes);
  const bool is_file = marcpp::with_source(plain.path.string(), [](auto&& src) {
    return std::is_same_v<std::remove_cvref_t<decltype(src)>, marcpp::file_source>;
  });
  CHECK(is_file);
  CHECK(marcpp::with_reader(plain.path.string(), {}, [](auto& r) {
          marcpp::record_view v;
          std::size_t n = 0;
          while (r.next(v)) ++n;
          return n;
        }) == 3);
}
