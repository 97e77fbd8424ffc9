// The record index's loader on damaged sidecars (docs/big-files.md, "The
// record index"): `open` checks the version, the checksum and every bound
// before it trusts a sidecar. A sidecar it accepts must keep the rules its
// writer keeps, checked here on their own (with sums that cannot wrap):
// sections that add up to the file, record offsets inside the data file,
// hash slots that name ids, a free slot (where a lookup of a missing id
// ends), strings and postings inside their sections, postings that name
// records. Lookups then end and give record numbers in range, and reading
// any record ends.
//
// The data file is made once, with a sound sidecar. An input that begins
// with the index's magic is a whole sidecar; any other input is a list of
// edits to the sound one, 11 bytes each: an operation (byte: set one byte,
// set a 32-bit or a 64-bit number, or cut or extend the file), a position
// (16 bits) and a value (64 bits). Either way the data file's size and
// time and the checksum are then set to match, so that the loader's other
// checks are what is tried.
#include "fuzz.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using marcpp::detail::index_header;
using marcpp::detail::index_id;

struct fixture {
  fs::path dir, data, sidecar;
  std::string sound;                   // a sidecar built for `data`
  std::uint64_t data_size = 0;
  std::int64_t data_mtime = 0;
  std::vector<std::string> ids;        // the 001s of the data file

  fixture() {
    dir = fs::temp_directory_path() / ("marcpp-fuzz-index-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    data = dir / "data.mrc";
    sidecar = dir / "data.mrc.marcidx";
    ids = {"a1", "b2", "a1", "  c3 ", "d4", "", "e5"};
    std::string bytes;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      marcpp::record r{marcpp::leader("00000nam a2200000 a 4500")};
      if (!ids[i].empty()) r.add(marcpp::field::control("001", ids[i]));
      r.add(marcpp::field("245", "10", {{'a', "Record " + std::to_string(i)}}));
      bytes += marcpp::to_iso2709(r);
      if (i == 3) bytes += "\n012\x1D";  // filler, and a record too short to read
    }
    std::ofstream(data, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (auto err = marcpp::build_index(data, sidecar)) marcpp_fuzz::fail(__FILE__, __LINE__, "build_index", marcpp::to_string(err));
    std::ifstream in(sidecar, std::ios::binary);
    sound.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::error_code ec;
    data_size = fs::file_size(data);
    data_mtime = marcpp::detail::mtime_of(data, ec);
  }
  ~fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

fixture& the_fixture() {
  static fixture f;
  return f;
}

template <class T>
T get(const std::string& s, std::size_t at) {
  T v;
  std::memcpy(&v, s.data() + at, sizeof v);
  return v;
}

bool within(std::uint64_t from, std::uint64_t len, std::uint64_t size) { return from <= size && len <= size - from; }

// The rules of a sidecar, apart from the loader's code.
void check_accepted(const std::string& s, const fixture& fx) {
  FUZZ_CHECK(s.size() >= sizeof(index_header), "open accepted a sidecar shorter than its header");
  const auto h = get<index_header>(s, 0);
  const std::uint64_t limit = std::uint64_t{1} << 40;
  FUZZ_CHECK(h.records < limit && h.ids < limit && h.slots < limit && h.postings < limit && h.strings < limit,
             "open accepted impossible section sizes");
  auto a8 = marcpp::detail::align8;
  const std::uint64_t offsets_at = sizeof h, slots_at = offsets_at + a8(h.records * 8),
                      ids_at = slots_at + a8(h.slots * 4), postings_at = ids_at + a8(h.ids * sizeof(index_id)),
                      strings_at = postings_at + a8(h.postings * 4), end = strings_at + a8(h.strings);
  FUZZ_CHECK(end == s.size(), "open accepted sections that do not add up to the file");
  for (std::uint64_t i = 0; i < h.records; ++i)
    FUZZ_CHECK(get<std::uint64_t>(s, offsets_at + 8 * i) < fx.data_size, "open accepted an offset past the data");
  bool free_slot = h.slots == 0;
  for (std::uint64_t i = 0; i < h.slots; ++i) {
    const auto slot = get<std::uint32_t>(s, slots_at + 4 * i);
    FUZZ_CHECK(slot <= h.ids, "open accepted a slot that names no id");
    free_slot = free_slot || slot == 0;
  }
  FUZZ_CHECK(free_slot, "open accepted a hash table with no free slot");
  for (std::uint64_t i = 0; i < h.ids; ++i) {
    const auto id = get<index_id>(s, ids_at + sizeof(index_id) * i);
    FUZZ_CHECK(within(id.str_off, id.str_len, h.strings), "open accepted an id whose string lies outside its section");
    FUZZ_CHECK(within(id.post_begin, id.post_count, h.postings), "open accepted an id whose postings lie outside");
  }
  for (std::uint64_t i = 0; i < h.postings; ++i)
    FUZZ_CHECK(get<std::uint32_t>(s, postings_at + 4 * i) < h.records, "open accepted a posting that names no record");
}

std::string sidecar_from(const std::uint8_t* data, std::size_t size, const fixture& fx) {
  const std::string_view in = marcpp_fuzz::as_text(data, size);
  std::string s;
  if (in.substr(0, 8) == std::string_view(marcpp::detail::index_magic, 8)) {
    s.assign(in);
  } else {
    s = fx.sound;
    for (std::size_t k = 0; k + 11 <= size; k += 11) {
      const unsigned op = data[k] % 4;
      const std::size_t pos = data[k + 1] | std::size_t{data[k + 2]} << 8;
      std::uint64_t value;
      std::memcpy(&value, data + k + 3, 8);
      if (op == 3) {
        s.resize(pos, '\0');
        continue;
      }
      if (s.empty()) continue;
      const std::size_t width = op == 0 ? 1 : op == 1 ? 4 : 8;
      const std::size_t at = (pos % s.size()) & ~(width - 1);
      if (at + width <= s.size()) std::memcpy(s.data() + at, &value, width);  // little-endian, as the index is
    }
  }
  if (s.size() >= sizeof(index_header)) {
    auto h = get<index_header>(s, 0);
    h.data_size = fx.data_size;
    h.data_mtime = fx.data_mtime;
    h.checksum = marcpp::detail::hash64(s.data() + sizeof h, s.size() - sizeof h);
    std::memcpy(s.data(), &h, sizeof h);
  }
  return s;
}

int one_input(const std::uint8_t* data, std::size_t size) {
  const fixture& fx = the_fixture();
  const std::string s = sidecar_from(data, size, fx);
  std::ofstream(fx.sidecar, std::ios::binary | std::ios::trunc).write(s.data(), static_cast<std::streamsize>(s.size()));
  // The sidecar was written after the data file: its time is not what is compared.

  marcpp::record_index idx;
  const marcpp::diagnostic err = idx.open(fx.data, fx.sidecar);
  if (err) {
    FUZZ_CHECK(err.code == marcpp::errc::index_corrupt, "a damaged index was refused as " + marcpp::to_string(err));
    FUZZ_CHECK(!idx.is_open() && idx.size() == 0 && idx.find("a1").empty(), "a refused index is still in use");
    return 0;
  }
  check_accepted(s, fx);
  std::vector<std::string> keys = fx.ids;
  keys.push_back("missing");
  keys.emplace_back(marcpp_fuzz::as_text(data, std::min<std::size_t>(size, 12)));
  for (const auto& k : keys)
    for (std::uint32_t n : idx.find(k)) FUZZ_CHECK(n < idx.size(), "find gave a record number past the index");
  marcpp::record_view v;
  for (std::size_t n = 0; n < std::min<std::size_t>(idx.size(), 64); ++n) {
    marcpp::diagnostic why;
    if (idx.record_at(n, v, &why)) FUZZ_CHECK(v.index() == n, "record_at gave another record");
  }
  return 0;
}

}  // namespace

MARCPP_FUZZ_TARGET(index, one_input)
