// The non-throwing core builds and works with -fno-exceptions: opening and
// reading files, reading, editing and writing from memory, with errors
// reported through values. marcpp.hpp compiles so too.
#include <marcpp/json.hpp>
#include <marcpp/marcpp.hpp>
#include <marcpp/marcxml.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#define EXPECT(cond)                                              \
  do {                                                            \
    if (!(cond)) {                                                \
      std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                   \
    }                                                             \
  } while (0)

int main() {
  const std::string three = std::string(MARCPP_TEST_DATA_DIR) + "/crafted/ok-three.mrc";
  // A file read in pieces, and a map of it: the same three records.
  marcpp::diagnostic err;
  err.code = marcpp::errc::truncated_record;  // emptied when the file opens
  marcpp::reader fr{marcpp::file_source{three, err, 64}};
  EXPECT(err.code == marcpp::errc::ok && err.message.empty());
  marcpp::reader mr3{marcpp::mmap_source{three, err}};
  EXPECT(err.code == marcpp::errc::ok);
  std::string from_file, from_map;
  marcpp::record_view fv;
  while (fr.next(fv)) from_file += marcpp::to_line(fv);
  while (mr3.next(fv)) from_map += marcpp::to_line(fv);
  EXPECT(!fr.failed() && fr.stats().records == 3);
  EXPECT(from_file.size() > 100 && from_file == from_map);
  // A file that is not there: an io_error naming it, and a source with no records.
  const std::string missing = std::string(MARCPP_TEST_DATA_DIR) + "/crafted/no-such-file.mrc";
  marcpp::reader none{marcpp::file_source{missing, err}};
  EXPECT(err.code == marcpp::errc::io_error && err.message.find("no-such-file.mrc") != std::string::npos);
  EXPECT(!none.next(fv) && !none.failed());
  err = {};
  marcpp::mmap_source unmapped{missing, err};
  EXPECT(err.code == marcpp::errc::io_error && unmapped.bytes().empty());

  std::ifstream in(std::string(MARCPP_TEST_DATA_DIR) + "/crafted/truncated.mrc", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT(!bytes.empty());

  marcpp::read_options opts;
  opts.policy = marcpp::error_policy::strict;
  marcpp::reader r{marcpp::memory_source{bytes}, opts};
  marcpp::record_view v;
  EXPECT(r.next(v));
  marcpp::record rec{v};
  EXPECT(!r.next(v));
  EXPECT(r.failed());
  EXPECT(r.error().code == marcpp::errc::truncated_record);

  rec.insert_ordered(marcpp::field("500", "  ", {{'a', "Written without exceptions."}}));
  std::string out;
  EXPECT(!marcpp::write_iso2709(rec, out));
  marcpp::reader back{marcpp::memory_source{out}, opts};
  EXPECT(back.next(v));
  EXPECT(v.value("500", 'a') == "Written without exceptions.");
  EXPECT(marcpp::to_line(v).substr(25) == marcpp::to_line(rec).substr(25));  // fields alike; the leader's length is new

  rec[0].set_tag(marcpp::tag::invalid());
  std::string refused;
  EXPECT(marcpp::write_iso2709(rec, refused).code == marcpp::errc::invalid_tag);
  // The text formats: written, and read back from memory.
  rec[0].set_tag(marcpp::tag("001"));
  std::string xml = "<collection>", json, mrk;
  EXPECT(!marcpp::write_marcxml(rec, xml));
  xml += "</collection>";
  EXPECT(!marcpp::write_json(rec, json));
  EXPECT(!marcpp::write_mrk(rec, mrk));
  marcpp::record got;
  marcpp::marcxml_reader xr{marcpp::memory_source{xml}, opts};
  EXPECT(xr.next(got) && got.value("500", 'a') == "Written without exceptions.");
  marcpp::json_reader jr{marcpp::memory_source{json}, opts};
  EXPECT(jr.next(got) && got.value("500", 'a') == "Written without exceptions.");
  marcpp::mrk_reader mr{marcpp::memory_source{mrk}, opts};
  EXPECT(mr.next(got) && got.value("500", 'a') == "Written without exceptions.");
  marcpp::json_reader broken{marcpp::memory_source{std::string_view("{\"leader\": ]")}, opts};
  EXPECT(!broken.next(got) && broken.failed() && broken.error().code == marcpp::errc::json_syntax);
  std::puts("no-exceptions build: ok");
  return 0;
}
