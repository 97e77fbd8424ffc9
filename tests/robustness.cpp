// Any bytes whatsoever: no crash, no read out of bounds (the sanitizer build
// runs this too), no endless loop, and no byte silently lost: every input
// byte ends up in a delivered record, a skipped record reported with its
// bytes, or reported filler.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <sstream>

namespace {

// Delivered records, skipped records and filler, in input order, must
// rebuild the input exactly.
void check_input(const std::string& bytes, marcpp::error_policy policy, std::size_t chunk) {
  marcpp::read_options opts;
  opts.policy = policy;
  std::map<std::uint64_t, std::string> pieces;
  std::istringstream in(bytes);
  marcpp::reader r{marcpp::stream_source{in, chunk}, opts};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    if (d.code == marcpp::errc::bytes_between_records) {
      pieces[d.offset] = std::string(raw);
    } else if (d.level == marcpp::severity::error && d.record_offset != marcpp::npos) {
      pieces[d.record_offset] = std::string(raw);  // skipped record (or the one strict stopped at)
    }
  });
  marcpp::record_view v;
  std::size_t n = 0;
  while (r.next(v)) {
    REQUIRE(++n <= bytes.size() + 1);
    pieces[v.offset()] = std::string(v.raw());
    // Whatever was delivered can be written, or is refused cleanly; what is
    // written reads back the same.
    std::string out;
    marcpp::diagnostic w = marcpp::write_iso2709(v, out);
    if (w) {
      CHECK(out.empty());
      continue;
    }
    auto back = test::read_bytes(out, test::with(marcpp::error_policy::lenient));
    REQUIRE(back.records.size() == 1);
    CHECK(test::dump(back.records[0]).substr(25) == test::dump(v).substr(25));
    for (const auto& d : back.diags)
      if (d.level != marcpp::severity::warning) CHECK(d.code == marcpp::errc::invalid_utf8);
  }
  if (r.failed() && policy == marcpp::error_policy::strict) {
    // Strict stops early: the pieces cover a prefix of the input.
    std::string joined;
    for (auto& [off, s] : pieces) {
      CHECK(off == joined.size());
      joined += s;
    }
    CHECK(bytes.compare(0, joined.size(), joined) == 0);
    return;
  }
  CHECK_FALSE(r.failed());
  std::string joined;
  for (auto& [off, s] : pieces) {
    REQUIRE(off == joined.size());
    joined += s;
  }
  CHECK(joined == bytes);
}

std::string mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 5);
  int rounds = 1 + static_cast<int>(rng() % 4);
  for (int k = 0; k < rounds && !s.empty(); ++k) {
    std::size_t pos = rng() % s.size();
    static const char interesting[] = {'\x1d', '\x1e', '\x1f', '0', '9', ' ', '\n', '\0', 'a', '\xff'};
    switch (op(rng)) {
      case 0: s[pos] = static_cast<char>(rng()); break;
      case 1: s[pos] = interesting[rng() % sizeof interesting]; break;
      case 2: s.insert(pos, 1, interesting[rng() % sizeof interesting]); break;
      case 3: s.erase(pos, 1 + rng() % 8); break;
      case 4: s.resize(pos); break;
      case 5: s.insert(pos, s.substr(rng() % s.size(), 1 + rng() % 30)); break;
    }
  }
  return s;
}

}  // namespace

TEST_CASE("robustness: mutated records") {
  std::vector<std::string> seeds;
  for (const auto& e : std::filesystem::directory_iterator(test::data_dir() / "crafted"))
    if (e.path().extension() == ".mrc") seeds.push_back(test::slurp(e.path()));
  std::sort(seeds.begin(), seeds.end());
  std::mt19937 rng(20261122);
  const auto policies = {marcpp::error_policy::lenient, marcpp::error_policy::skip, marcpp::error_policy::strict};
  for (int i = 0; i < 1500; ++i) {
    std::string input = mutate(seeds[rng() % seeds.size()] + seeds[rng() % seeds.size()], rng);
    CAPTURE(i);
    for (auto p : policies) check_input(input, p, 64 + rng() % 512);
  }
}

TEST_CASE("robustness: random bytes and terminator soup") {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("0123456789 \x1d\x1e\x1f\n", 15) + std::string(1, '\0');
  for (int i = 0; i < 600; ++i) {
    std::string s(rng() % 400, '\0');
    for (auto& c : s) c = (i % 2) ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()];
    if (i % 3 == 0 && s.size() > 5) s.replace(0, 5, "00" + std::to_string(100 + rng() % 300));
    CAPTURE(i);
    check_input(s, marcpp::error_policy::lenient, 64);
    check_input(s, marcpp::error_policy::skip, 100);
  }
}

TEST_CASE("robustness: a message quotes only bytes of its record") {
  // 29 bytes whose directory is three bytes of an entry: the message about
  // that entry once quoted a whole entry's width from where it starts,
  // past the directory and past the input.
  const std::string bytes("recor`\x1e aCalotgTesti\x12\x00\x00\x00\x00\x00.\x1e\xad", 29);
  for (auto p : {marcpp::error_policy::lenient, marcpp::error_policy::skip, marcpp::error_policy::strict}) {
    CAPTURE(static_cast<int>(p));
    auto o = test::read_bytes(bytes, test::with(p));
    const marcpp::diagnostic* d = o.find(marcpp::errc::bad_directory_entry);
    if (p == marcpp::error_policy::strict) {
      CHECK(o.failed);  // at the first fault, before the entry is looked at
    } else {
      REQUIRE(d);
      CHECK(d->message.find("entry \"\\x00\\x00.\" has no usable") != std::string::npos);
    }
    check_input(bytes, p, 7);
  }
  // The same record ending a file of exactly one page, read through a map
  // and as a byte range: a read past its end would leave the mapping.
  std::string page = test::slurp(test::crafted("ok-basic.mrc"));
  page += std::string(4096 - page.size() - bytes.size(), '\n') + bytes;
  REQUIRE(page.size() == 4096);
  const test::temp_file file("page.mrc", page);
  marcpp::mmap_source map{file.path};
  auto o = test::read_all(marcpp::range_source(map.bytes(), 0, 4096));
  CHECK(o.records.size() == 2);
  REQUIRE(o.find(marcpp::errc::bad_directory_entry));
  CHECK(o.find(marcpp::errc::bad_directory_entry)->message.find("\"\\x00\\x00.\"") != std::string::npos);
}
