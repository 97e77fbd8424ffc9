// <marcpp/marcpp.hpp> with marcpp::core alone: the core works (MARC-8 and
// .mrk included), and what needs a missing component says which one.
#include <marcpp/marcpp.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#if defined(MARCPP_WITH_MARCXML) || defined(MARCPP_WITH_JSON) || defined(MARCPP_WITH_COMPRESSION) || \
    defined(MARCPP_WITH_PARALLEL) || defined(MARCPP_WITH_INDEX) || defined(MARCPP_WITH_ICU)
#  error "marcpp::core defined a component's macro"
#endif

static int fail(const std::string& what) {
  std::cerr << "consumer_core_umbrella: " << what << '\n';
  return 1;
}

// The message of the error `f` throws, or "" if it throws none.
template <class F>
static std::string thrown(F&& f) {
  try {
    f();
  } catch (const marcpp::error& e) {
    if (e.diagnostic().code != marcpp::errc::component_missing) return "wrong code: " + std::string(e.what());
    return e.diagnostic().message;
  }
  return "";
}

int main() {
  marcpp::record r;
  r.add(marcpp::field::control("001", "core-2"));
  r.add(marcpp::field("245", "10", {{'a', "caf\xC3\xA9"}}));
  // MARC-8 is in the core.
  std::string bytes = marcpp::to_iso2709(r, {.to_encoding = marcpp::encoding::marc8});
  if (bytes.find("caf\xE2" "e") == std::string::npos) return fail("no MARC-8 conversion on write");

  // Writing a format whose component is missing.
  std::ostringstream os;
  marcpp::record_writer xml{os, marcpp::format::marcxml};
  marcpp::diagnostic d = xml.write(r);
  if (d.code != marcpp::errc::component_missing ||
      d.message != "writing MARCXML needs the marcxml component (CMake target marcpp::marcxml, or define "
                   "MARCPP_WITH_MARCXML and link Expat)")
    return fail("writing MARCXML: " + marcpp::to_string(d));
  marcpp::record_writer json{os, marcpp::format::jsonl};
  if (json.write(r).code != marcpp::errc::component_missing) return fail("writing JSON did not say component_missing");
  marcpp::record_writer mrk{os, marcpp::format::mrk};
  const bool mrk_failed = static_cast<bool>(mrk.write(r));
  mrk.finish();
  if (mrk_failed || os.str().find("=001  core-2") == std::string::npos) return fail("writing .mrk: " + os.str());

  // Reading formats whose component is missing; detection still works.
  const auto dir = std::filesystem::temp_directory_path();
  const auto xml_path = (dir / "marcpp_consumer_core.xml").string();
  const auto gz_path = (dir / "marcpp_consumer_core.mrc.gz").string();
  std::ofstream(xml_path) << "<collection xmlns=\"http://www.loc.gov/MARC21/slim\"></collection>";
  std::ofstream(gz_path, std::ios::binary) << std::string("\x1F\x8B\x08\x00", 4);
  auto read_all = [](const std::string& path) {
    marcpp::with_format_reader(path, marcpp::format::unknown, {}, [](auto& rd) {
      marcpp::record rec;
      while (rd.next(rec)) {
      }
    });
  };
  std::string m = thrown([&] { read_all(xml_path); });
  if (m != "reading MARCXML needs the marcxml component (CMake target marcpp::marcxml, or define MARCPP_WITH_MARCXML "
           "and link Expat)")
    return fail("reading MARCXML: '" + m + "'");
  m = thrown([&] { read_all(gz_path); });
  if (m.find("reading gzip input needs the compression component (CMake target marcpp::compression") != 0)
    return fail("reading gzip: '" + m + "'");
  std::filesystem::remove(xml_path);
  std::filesystem::remove(gz_path);
  std::cout << "consumer_core_umbrella: ok\n";
  return 0;
}
