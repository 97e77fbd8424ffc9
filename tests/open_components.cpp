// marcpp::open in a program built without the optional components: what
// they would read is a `component_missing` error naming the component, not a
// link error. This program links marcpp::core alone (tests/CMakeLists.txt).
#if defined(MARCPP_WITH_MARCXML) || defined(MARCPP_WITH_JSON) || defined(MARCPP_WITH_COMPRESSION) || \
    defined(MARCPP_WITH_ICU) || defined(MARCPP_WITH_PARALLEL)
#  error "this test must be built with marcpp::core alone"
#endif

#include "test_support.hpp"

#include <marcpp/open.hpp>

#include <sstream>

namespace {

marcpp::diagnostic open_error(const std::string& bytes, const marcpp::open_options& o = {}) {
  std::istringstream is(bytes);
  marcpp::diagnostic err;
  auto in = marcpp::open(is, o, err);
  CHECK_FALSE(in.is_open());
  return err;
}

}  // namespace

TEST_CASE("open without a component names the component") {
  auto xml = open_error("<?xml version=\"1.0\"?><collection/>");
  CHECK(xml.code == marcpp::errc::component_missing);
  CHECK(xml.message.find("MARCXML needs the marcxml component") != std::string::npos);
  CHECK(xml.message.find("marcpp::marcxml") != std::string::npos);
  CHECK(xml.message.find("MARCPP_WITH_MARCXML") != std::string::npos);

  auto json = open_error("[{\"leader\":\"\"}]");
  CHECK(json.code == marcpp::errc::component_missing);
  CHECK(json.message.find("json component") != std::string::npos);

  auto gz = open_error(std::string("\x1F\x8B\x08\x00", 4));
  CHECK(gz.code == marcpp::errc::component_missing);
  CHECK(gz.message.find("gzip") != std::string::npos);
  CHECK(gz.message.find("compression component") != std::string::npos);

  marcpp::open_options nfc;
  nfc.to_utf8 = true;
  nfc.normalize = marcpp::unicode_form::nfc;
  auto icu = open_error(test::slurp(test::crafted("ok-three.mrc")), nfc);
  CHECK(icu.code == marcpp::errc::component_missing);
  CHECK(icu.message.find("NFC") != std::string::npos);
  CHECK(icu.message.find("icu component") != std::string::npos);
  try {
    std::istringstream is("<collection/>");
    (void)marcpp::open(is);
    FAIL("no exception");
  } catch (const marcpp::error& e) {
    CHECK(e.code() == marcpp::errc::component_missing);
  }
}

TEST_CASE("open without a component still reads what the core reads") {
  // ISO 2709 and .mrk need no component; without the parallel component,
  // any thread count reads on one thread.
  marcpp::open_options o;
  o.threads = 2;
  auto in = marcpp::open(test::crafted("ok-three.mrc").string(), o);
  std::size_t n = 0;
  for (const marcpp::record_view& rec : in) n += !rec.empty();
  CHECK(n == 3);
  std::istringstream mrk("=LDR  00000nam  2200000   4500\n=001  x1\n=245  10$aTitle\n\n");
  auto m = marcpp::open(mrk);
  marcpp::record rec;
  REQUIRE(m.next(rec));
  CHECK(rec.control_number() == "x1");
}
