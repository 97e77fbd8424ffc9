#include <marcpp/compressed_source.hpp>  // first: proves it is self-contained
#include <marcpp/format.hpp>

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <zlib.h>
#include <zstd.h>

#include <sstream>

namespace {

std::string gzip(std::string_view data, int level = 6) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string summary(const test::outcome& o) {
  std::string s;
  for (std::size_t i = 0; i < o.records.size(); ++i) s += o.raws[i] + "|";
  for (const auto& d : o.diags) s += marcpp::to_string(d) + "\n";
  return s + (o.failed ? marcpp::to_string(o.error) : "ok");
}

std::string all_crafted() {
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(test::data_dir() / "crafted"))
    if (e.path().extension() == ".mrc") all += test::slurp(e.path());
  return all;
}

}  // namespace

TEST_CASE("detect_compression") {
  CHECK(marcpp::detect_compression("\x1f\x8b\x08") == marcpp::compression::gzip);
  CHECK(marcpp::detect_compression("\x28\xb5\x2f\xfd") == marcpp::compression::zstd);
  CHECK(marcpp::detect_compression("00714cam") == marcpp::compression::none);
  CHECK(marcpp::detect_compression("") == marcpp::compression::none);
}

TEST_CASE("gzip and zstd input read exactly like the plain bytes") {
  const std::string plain = all_crafted();
  const std::string expected = summary(test::read_bytes(plain));
  for (std::size_t chunk : {std::size_t{64}, std::size_t{1000}, std::size_t{1} << 16}) {
    CAPTURE(chunk);
    std::istringstream gz(gzip(plain));
    CHECK(summary(test::read_all(marcpp::gzip_source{gz, chunk})) == expected);
    std::istringstream zs(zstd(plain));
    CHECK(summary(test::read_all(marcpp::zstd_source{zs, chunk})) == expected);
  }
  SUBCASE("several gzip members and zstd frames one after another") {
    const std::string half = plain.substr(0, plain.size() / 2), rest = plain.substr(plain.size() / 2);
    std::istringstream gz(gzip(half, 1) + gzip(rest, 9));
    CHECK(summary(test::read_all(marcpp::gzip_source{gz, 512})) == expected);
    std::istringstream zs(zstd(half) + zstd(rest));
    CHECK(summary(test::read_all(marcpp::zstd_source{zs, 512})) == expected);
  }
  SUBCASE("memory stays bounded by the largest record, not the input") {
    const std::string rec = test::slurp(test::crafted("ok-basic.mrc"));
    std::string big;
    for (int i = 0; i < 5000; ++i) big += rec;
    std::istringstream gz(gzip(big));
    marcpp::reader r{marcpp::gzip_source{gz, 4096}};
    marcpp::record_view v;
    std::size_t n = 0;
    while (r.next(v)) ++n;
    CHECK(n == 5000);
    CHECK(r.source().capacity() <= 2 * 4096 + 2 * rec.size());
  }
}

TEST_CASE("corrupt or truncated compressed input is an io_error, after every record before it") {
  const std::string plain = test::slurp(test::crafted("ok-three.mrc"));
  SUBCASE("gzip, corrupt") {
    std::string z = gzip(plain);
    for (std::size_t i = 20; i < z.size() - 10; i += 7) z[i] = static_cast<char>(z[i] ^ 0x5A);
    std::istringstream in(z);
    auto o = test::read_all(marcpp::gzip_source{in, 64});
    CHECK(o.failed);
    CHECK(o.error.code == marcpp::errc::io_error);
    CHECK(o.error.message.find("gzip") != std::string::npos);
  }
  SUBCASE("gzip, cut short") {
    std::string z = gzip(plain);
    std::istringstream in(z.substr(0, z.size() - 30));
    auto o = test::read_all(marcpp::gzip_source{in, 64});
    CHECK(o.failed);
    CHECK(o.error.message.find("ends in the middle") != std::string::npos);
  }
  SUBCASE("zstd, cut short") {
    std::string z = zstd(plain);
    std::istringstream in(z.substr(0, z.size() - 20));
    auto o = test::read_all(marcpp::zstd_source{in, 64});
    CHECK(o.failed);
    CHECK(o.error.code == marcpp::errc::io_error);
  }
  SUBCASE("zstd, corrupt") {
    std::string z = zstd(plain);
    for (std::size_t i = 12; i < z.size(); i += 5) z[i] = static_cast<char>(z[i] ^ 0x33);
    std::istringstream in(z);
    auto o = test::read_all(marcpp::zstd_source{in, 64});
    CHECK(o.failed);
    CHECK(o.error.message.find("zstd") != std::string::npos);
  }
}

TEST_CASE("with_reader recognises compressed files") {
  const std::string plain = all_crafted();
  const std::string expected = summary(test::read_bytes(plain));
  auto dir = std::filesystem::temp_directory_path();
  for (const auto& file : {std::pair{std::string("marcpp-test.mrc.gz"), gzip(plain)},
                           std::pair{std::string("marcpp-test.mrc.zst"), zstd(plain)},
                           std::pair{std::string("marcpp-test-no-suffix"), gzip(plain)}}) {
    const std::string& name = file.first;
    const std::string& bytes = file.second;
    CAPTURE(name);
    auto path = dir / name;
    {
      std::ofstream out(path, std::ios::binary);
      out << bytes;
    }
    // A compressed file gets a decompressing source, not a file_source.
    const bool decompressed = marcpp::with_source(path.string(), [](auto&& src) {
      using S = std::remove_cvref_t<decltype(src)>;
      return std::is_same_v<S, marcpp::gzip_source> || std::is_same_v<S, marcpp::zstd_source>;
    });
    CHECK(decompressed);
    std::string got = marcpp::with_reader(path.string(), {}, [](auto& r) {
      test::outcome o;
      r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
        o.diags.push_back(d);
        o.diag_raws.emplace_back(raw);
      });
      marcpp::record_view v;
      while (r.next(v)) {
        o.records.emplace_back(v);
        o.raws.emplace_back(v.raw());
      }
      o.failed = r.failed();
      o.error = r.error();
      return summary(o);
    });
    CHECK(got == expected);
    std::filesystem::remove(path);
  }
}

TEST_CASE("with_format_reader: compressed MARCXML, JSON lines and .mrk are detected under the compression") {
  const auto original = test::read_bytes(test::slurp(test::crafted("ok-three.mrc")));
  REQUIRE(original.records.size() == 3);
  std::string xml = "<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n", jsonl, mrk;
  for (const auto& v : original.records) {
    marcpp::record r{v};
    REQUIRE_FALSE(marcpp::write_marcxml(r, xml));
    jsonl += marcpp::to_json(r) + "\n";
    mrk += marcpp::to_mrk(r) + "\n";
  }
  xml += "</collection>\n";
  const auto dir = std::filesystem::temp_directory_path();
  struct input {
    std::string name, bytes;
    marcpp::format expected;
  };
  for (const auto& in : {input{"marcpp-c.xml.gz", gzip(xml), marcpp::format::marcxml},
                         input{"marcpp-c.jsonl.zst", zstd(jsonl), marcpp::format::jsonl},
                         input{"marcpp-c.mrk.gz", gzip(mrk), marcpp::format::mrk}}) {
    CAPTURE(in.name);
    const auto path = dir / in.name;
    std::ofstream(path, std::ios::binary) << in.bytes;
    std::vector<std::string> got = marcpp::with_format_reader(
        path.string(), marcpp::format::unknown, {}, [&](auto& r) {
          CHECK(marcpp::reader_format<std::remove_cvref_t<decltype(r)>> == in.expected);
          std::vector<std::string> out;
          marcpp::record rec;
          while (r.next(rec)) out.push_back(marcpp::to_iso2709(rec));
          CHECK_FALSE(r.failed());
          return out;
        });
    REQUIRE(got.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(got[i] == original.raws[i]);
    std::filesystem::remove(path);
  }
}

TEST_CASE("the .mrk reader over gzip input: a mnemonic fault in a control field (found by fuzzing)") {
  // tests/mrk.cpp has the case from memory and a stream; through the
  // decompressing source the fault read past the record's fields too.
  const std::string text = test::slurp(test::data_dir() / "fuzz" / "mrk" / "stray-brace-in-control-field.bin");
  for (std::size_t chunk : {std::size_t{64}, std::size_t{1} << 16}) {
    CAPTURE(chunk);
    std::istringstream gz(gzip(text));
    marcpp::mrk_reader r{marcpp::gzip_source{gz, chunk}};
    std::vector<marcpp::diagnostic> diags;
    r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { diags.push_back(d); });
    marcpp::record rec;
    REQUIRE(r.next(rec));
    CHECK(rec.control_number() == "ocm{123");
    CHECK_FALSE(r.next(rec));
    CHECK_FALSE(r.failed());
    REQUIRE(diags.size() == 1);
    CHECK(diags[0].tag == marcpp::tag("001"));
    CHECK(diags[0].field_index == 0);
    CHECK(diags[0].line == 2);
  }
}
