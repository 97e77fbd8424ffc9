#include <marcpp/record_index.hpp>  // first: proves it is self-contained

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <map>

namespace {

struct temp_file {
  std::filesystem::path path;
  explicit temp_file(const std::string& name, const std::string& bytes)
      : path(std::filesystem::temp_directory_path() / ("marcpp-" + std::to_string(::getpid()) + "-" + name)) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::filesystem::remove(marcpp::default_index_path(path), ec);
  }
};

std::string with_id(const std::string& rec_bytes, const std::string& id) {
  marcpp::record r = test::one(rec_bytes);
  r[0].set_data(id);
  return marcpp::to_iso2709(r);
}

}  // namespace

TEST_CASE("record_index: by number and by 001") {
  const std::string base = test::slurp(test::crafted("ok-basic.mrc"));
  std::string bytes;
  std::vector<std::string> ids = {"a1", "b2", "a1", "  c3 ", "d4", "a1"};
  for (const auto& id : ids) bytes += with_id(base, id);
  bytes += "\n" + test::slurp(test::crafted("ok-empty-record.mrc"));  // no 001, filler before it
  bytes += test::slurp(test::crafted("record-too-short.mrc"));      // a record that is skipped
  temp_file data("index.mrc", bytes);
  REQUIRE_FALSE(marcpp::build_index(data.path, marcpp::default_index_path(data.path), {.threads = 2, .batch_bytes = 300}));

  marcpp::record_index idx;
  REQUIRE_FALSE(idx.open(data.path));
  CHECK(idx.is_open());
  auto whole = test::read_bytes(bytes);
  // Numbers are the readers' record indices: the skipped record keeps its own.
  REQUIRE(idx.size() == whole.records.size() + 1);
  for (const auto& rec : whole.records) {
    CAPTURE(rec.index());
    CHECK(idx.offset(rec.index()) == rec.offset());
    marcpp::record_view v;
    REQUIRE(idx.record_at(rec.index(), v));
    CHECK(v.raw() == marcpp::to_iso2709(rec));
    CHECK(v.index() == rec.index());
  }
  const marcpp::diagnostic* skipped = whole.find(marcpp::errc::record_too_short);
  REQUIRE(skipped);
  CHECK(idx.offset(skipped->record_index) == skipped->record_offset);
  {
    marcpp::record_view v;
    marcpp::diagnostic why;
    CHECK_FALSE(idx.record_at(skipped->record_index, v, &why));
    CHECK(why.code == marcpp::errc::record_too_short);
    CHECK(why.record_index == skipped->record_index);
  }
  auto a1 = idx.find("a1");
  REQUIRE(a1.size() == 3);
  CHECK(a1[0] == 0);
  CHECK(a1[1] == 2);
  CHECK(a1[2] == 5);
  CHECK(idx.find("c3").size() == 1);  // blanks around the 001 are ignored
  CHECK(idx.find(" c3").size() == 1);
  CHECK(idx.find("zz").empty());
  CHECK(idx.find("").empty());
  marcpp::record_view v;
  marcpp::diagnostic err;
  CHECK_FALSE(idx.record_at(idx.size(), v, &err));
  CHECK(err.message.find("not in the index") != std::string::npos);
}

TEST_CASE("record_index: a stale or damaged index is reported, never used") {
  const std::string bytes = test::slurp(test::crafted("ok-three.mrc"));
  temp_file data("stale.mrc", bytes);
  const auto side = marcpp::default_index_path(data.path);
  REQUIRE_FALSE(marcpp::build_index(data.path, side));
  const std::string good_index = test::slurp(side);
  auto reopen = [&] {
    marcpp::record_index idx;
    marcpp::diagnostic d = idx.open(data.path);
    CHECK(idx.is_open() == !d);
    if (d) CHECK(idx.find("ocm00000001").empty());
    return d;
  };
  auto write_index = [&](const std::string& s) {
    std::ofstream out(side, std::ios::binary | std::ios::trunc);
    out << s;
  };
  CHECK_FALSE(reopen());

  SUBCASE("the data file changed size") {
    std::ofstream(data.path, std::ios::binary | std::ios::app) << "\n";
    CHECK(reopen().code == marcpp::errc::index_stale);
  }
  SUBCASE("the data file was touched") {
    std::filesystem::last_write_time(data.path, std::filesystem::last_write_time(data.path) + std::chrono::seconds(5));
    auto d = reopen();
    CHECK(d.code == marcpp::errc::index_stale);
    CHECK(d.message.find("rebuild") != std::string::npos);
  }
  SUBCASE("a flipped byte") {
    std::string s = good_index;
    s[s.size() - 3] = static_cast<char>(s[s.size() - 3] ^ 1);
    write_index(s);
    CHECK(reopen().code == marcpp::errc::index_corrupt);
  }
  SUBCASE("cut short") {
    write_index(good_index.substr(0, good_index.size() - 8));
    CHECK(reopen().code == marcpp::errc::index_corrupt);
    write_index(good_index.substr(0, 10));
    CHECK(reopen().code == marcpp::errc::index_corrupt);
  }
  SUBCASE("not an index, or another version") {
    std::string s = good_index;
    s[0] = 'X';
    write_index(s);
    CHECK(reopen().code == marcpp::errc::index_corrupt);
    s = good_index;
    s[8] = 9;  // version
    write_index(s);
    CHECK(reopen().message.find("version") != std::string::npos);
  }
  // A damaged or hostile index whose checksum matches: open() must refuse
  // anything a lookup could not trust (both found by fuzzing the loader).
  auto forge = [&](auto&& edit) {
    std::string s = good_index;
    marcpp::detail::index_header h;
    std::memcpy(&h, s.data(), sizeof h);
    const std::size_t slots_at = sizeof h + marcpp::detail::align8(h.records * 8);
    const std::size_t ids_at = slots_at + marcpp::detail::align8(h.slots * 4);
    edit(h, s, slots_at, ids_at);
    h.checksum = marcpp::detail::hash64(s.data() + sizeof h, s.size() - sizeof h);
    std::memcpy(s.data(), &h, sizeof h);
    write_index(s);
  };
  SUBCASE("a hash table with no empty slot (a lookup of a missing id would never end)") {
    forge([](const marcpp::detail::index_header& h, std::string& s, std::size_t slots_at, std::size_t) {
      for (std::size_t k = 0; k < h.slots; ++k) {
        std::uint32_t slot;
        std::memcpy(&slot, s.data() + slots_at + 4 * k, 4);
        if (slot == 0) slot = 1;
        std::memcpy(s.data() + slots_at + 4 * k, &slot, 4);
      }
    });
    auto d = reopen();
    CHECK(d.code == marcpp::errc::index_corrupt);
    CHECK(d.message.find("empty slot") != std::string::npos);
  }
  SUBCASE("an id whose string offset and length add up past 2^64") {
    forge([](const marcpp::detail::index_header&, std::string& s, std::size_t, std::size_t ids_at) {
      marcpp::detail::index_id id;
      std::memcpy(&id, s.data() + ids_at, sizeof id);
      REQUIRE(id.str_len > 1);
      id.str_off = ~std::uint64_t{0};  // + str_len wraps to str_len - 1
      std::memcpy(s.data() + ids_at, &id, sizeof id);
    });
    auto d = reopen();
    CHECK(d.code == marcpp::errc::index_corrupt);
    CHECK(d.message.find("past its section") != std::string::npos);
  }
  SUBCASE("an id whose postings run past their section") {
    forge([](const marcpp::detail::index_header&, std::string& s, std::size_t, std::size_t ids_at) {
      marcpp::detail::index_id id;
      std::memcpy(&id, s.data() + ids_at, sizeof id);
      id.post_begin = 0xFFFFFFFFu;
      std::memcpy(s.data() + ids_at, &id, sizeof id);
    });
    CHECK(reopen().code == marcpp::errc::index_corrupt);
  }
  SUBCASE("missing") {
    std::filesystem::remove(side);
    CHECK(reopen().code == marcpp::errc::io_error);
  }
}

TEST_CASE("record_index: the corpus's large files") {
  if (!test::have_corpus()) return;
  for (const char* f : {"large/solrmarc-uva_001_2000.mrc", "large/pymarc_basics-NLNZ_1000_example_marc.marc",
                        "malformed/marc4j-pride-and-prejudice-with-many-errors.mrc"}) {
    CAPTURE(f);
    temp_file data("corpus.mrc", test::slurp(test::corpus_dir() / f));
    REQUIRE_FALSE(marcpp::build_index(data.path, marcpp::default_index_path(data.path)));
    marcpp::record_index idx;
    REQUIRE_FALSE(idx.open(data.path));
    auto whole = test::read_all(marcpp::mmap_source{data.path});
    REQUIRE(idx.size() == whole.records.size() + whole.stats.skipped);
    std::map<std::string, std::vector<std::uint32_t>> by_id;
    for (const auto& rec : whole.records) {
      std::string id(marcpp::detail::index_key(rec.control_number()));
      if (!id.empty()) by_id[id].push_back(static_cast<std::uint32_t>(rec.index()));
    }
    for (const auto& [id, numbers] : by_id) {
      auto got = idx.find(id);
      CHECK(std::vector<std::uint32_t>(got.begin(), got.end()) == numbers);
    }
    for (std::size_t k = 0; k < whole.records.size(); k += 97) {
      marcpp::record_view v;
      REQUIRE(idx.record_at(whole.records[k].index(), v));
      CHECK(v.raw() == whole.raws[k]);
    }
  }
}
