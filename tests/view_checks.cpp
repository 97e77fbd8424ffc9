// A record_view kept past the next read of a source that reuses its buffer
// is reported. Built with MARCPP_CHECK_VIEWS=1 in every build type (the
// check is on by default only where NDEBUG is not defined).
#include "test_support.hpp"

#include <csignal>
#include <cstdint>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

static_assert(MARCPP_CHECK_VIEWS == 1, "this file is built with the view check on");

namespace {

std::vector<std::uint64_t> reported;

void note_dangling(std::uint64_t index, std::uint64_t) { reported.push_back(index); }

// Sets `note_dangling` as the handler while it lives.
struct catch_dangling {
  marcpp::dangling_view_handler before = marcpp::set_dangling_view_handler(&note_dangling);
  catch_dangling() { reported.clear(); }
  ~catch_dangling() { marcpp::set_dangling_view_handler(before); }
  catch_dangling(const catch_dangling&) = delete;
  catch_dangling& operator=(const catch_dangling&) = delete;
};

// Three records, repeated until the file is several chunks of a small-chunk
// source long: the window moves (and its bytes are overwritten) as it reads.
std::string many_records() {
  const std::string three = test::slurp(test::crafted("ok-three.mrc"));
  std::string bytes;
  while (bytes.size() < 20000) bytes += three;
  return bytes;
}

// Reads every record with `r`, keeping a copy of each view, and returns the
// copies; `lines` gets each record's line form while it is fresh.
template <class Reader>
std::vector<marcpp::record_view> keep_all(Reader& r, std::vector<std::string>& lines) {
  std::vector<marcpp::record_view> kept;
  marcpp::record_view v;
  while (r.next(v)) {
    lines.push_back(marcpp::to_line(v));
    kept.push_back(v);
  }
  return kept;
}

}  // namespace

TEST_CASE("view check: a view kept past the next read of a file_source is reported") {
  const std::string bytes = many_records();
  test::temp_file file("view-checks.mrc", bytes);
  catch_dangling guard;
  marcpp::reader r{marcpp::file_source{file.path, 256}};
  std::vector<std::string> lines;
  std::vector<marcpp::record_view> kept = keep_all(r, lines);
  REQUIRE(kept.size() > 20);
  CHECK(reported.empty());  // each view was used while it was fresh

  // Every kept view is stale now, the last one too (the final read moved
  // the window), and each is reported by its record's index.
  for (std::size_t i = 0; i < kept.size(); ++i) {
    (void)kept[i].fields();
    REQUIRE(reported.size() == i + 1);
    CHECK(reported.back() == kept[i].index());
  }
  // Each way to the view's bytes is checked.
  reported.clear();
  (void)kept[3].raw();
  (void)kept[3].begin();
  (void)kept[3][0];
  (void)kept[3].value("245", 'a');  // through fields()
  CHECK(reported == std::vector<std::uint64_t>(4, 3));
  // What is copied into the view is not the source's bytes, and is not checked.
  reported.clear();
  CHECK(kept[3].leader().status() == kept[2].leader().status());
  CHECK(kept[3].size() > 0);
  CHECK(kept[3].diagnostics().empty());
  CHECK(reported.empty());
}

TEST_CASE("view check: the view just read, and copies and moves of it, are fresh until the next read") {
  const std::string bytes = many_records();
  std::istringstream in(bytes);
  catch_dangling guard;
  marcpp::reader r{marcpp::stream_source{in, 128}};
  marcpp::record_view v;
  std::size_t n = 0;
  while (r.next(v)) {
    marcpp::record_view copy = v;
    marcpp::record_view moved = std::move(copy);
    CHECK(marcpp::to_line(moved) == marcpp::to_line(v));
    CHECK(marcpp::record(moved).size() == v.size());
    ++n;
  }
  CHECK(n > 20);
  CHECK(reported.empty());

  // One kept past a read, then replaced by a fresh one: fresh again.
  std::istringstream again(bytes);
  marcpp::reader r2{marcpp::stream_source{again, 128}};
  REQUIRE(r2.next(v));
  marcpp::record_view old = v;
  REQUIRE(r2.next(v));
  (void)old.fields();
  CHECK(reported == std::vector<std::uint64_t>{0});
  old = v;
  (void)old.fields();
  CHECK(reported.size() == 1);
  // A range-for's views too.
  std::istringstream third(bytes);
  marcpp::reader r3{marcpp::stream_source{third, 128}};
  std::vector<marcpp::record_view> by_for;
  for (const marcpp::record_view& rec : r3) by_for.push_back(rec);
  reported.clear();
  (void)by_for.front().raw();
  CHECK(reported == std::vector<std::uint64_t>{0});
}

TEST_CASE("view check: a view kept past its reader is reported") {
  const std::string bytes = many_records();
  std::istringstream in(bytes);
  catch_dangling guard;
  marcpp::record_view v;
  {
    marcpp::reader r{marcpp::stream_source{in}};
    REQUIRE(r.next(v));
    (void)v.fields();
    CHECK(reported.empty());
  }
  // Not dereferenced: reported before anything reads the freed bytes.
  (void)v.raw();
  CHECK(reported == std::vector<std::uint64_t>{0});
}

TEST_CASE("view check: views of memory and mapped sources stay valid, and are not checked") {
  const std::string bytes = many_records();
  test::temp_file file("view-checks-mmap.mrc", bytes);
  catch_dangling guard;
  std::vector<std::string> mem_lines, map_lines;
  marcpp::reader mem{marcpp::memory_source{bytes}};
  std::vector<marcpp::record_view> from_mem = keep_all(mem, mem_lines);
  marcpp::reader map{marcpp::mmap_source{file.path}};
  std::vector<marcpp::record_view> from_map = keep_all(map, map_lines);
  REQUIRE(from_mem.size() == mem_lines.size());
  REQUIRE(from_map.size() == mem_lines.size());
  for (std::size_t i = 0; i < from_mem.size(); ++i) {
    CHECK(marcpp::to_line(from_mem[i]) == mem_lines[i]);
    CHECK(marcpp::to_line(from_map[i]) == mem_lines[i]);
  }
  CHECK(reported.empty());
}

TEST_CASE("view check: by default a dangling view stops the program with a message") {
  const std::string bytes = many_records();
  std::istringstream in(bytes);
  marcpp::reader r{marcpp::stream_source{in, 128}};
  marcpp::record_view v;
  REQUIRE(r.next(v));
  marcpp::record_view old = v;
  REQUIRE(r.next(v));
  test::temp_file message("view-checks-stderr.txt", "");
  std::fflush(stderr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (!std::freopen(message.path.c_str(), "w", stderr)) ::_exit(3);
    marcpp::set_dangling_view_handler(nullptr);  // the default
    (void)old.fields();
    ::_exit(0);  // not reached when the check works
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  INFO(test::slurp(message.path));
  CHECK(test::slurp(message.path).find("the record_view of record 0 (at byte 0) is used after its reader read on") !=
        std::string::npos);
}

// For odr_a.cpp: this file's record_view, which the check changes.
std::string view_checks_view_type() { return typeid(marcpp::record_view).name(); }
std::size_t view_checks_view_size() { return sizeof(marcpp::record_view); }
