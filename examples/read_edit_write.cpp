// Reading, editing and writing ISO 2709 with marcpp (the README's example).
//
//   read_edit_write IN OUT.mrc
//
// IN may be in any format marcpp reads (ISO 2709, MARCXML, MARC-in-JSON,
// .mrk; gzip or Zstandard compressed), or "-" for standard input.
// Adds a local note to every record that has a title and writes the result;
// records that could not be read are reported and copied to OUT.mrc.bad.
#include <marcpp/marcpp.hpp>

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: read_edit_write IN OUT.mrc\n";
    return 2;
  }
  std::ofstream out(argv[2], std::ios::binary), bad(std::string(argv[2]) + ".bad", std::ios::binary);
  marcpp::iso2709_writer writer{out};

  auto in = marcpp::open(argv[1], {.policy = marcpp::error_policy::lenient});
  in.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    std::cerr << marcpp::to_string(d) << '\n';
    if (d.level == marcpp::severity::error) bad.write(raw.data(), static_cast<std::streamsize>(raw.size()));
  });

  marcpp::record rec;  // owning and editable; reused from record to record
  while (in.next(rec)) {
    if (auto title = rec.value("245", 'a')) {
      std::cout << rec.control_number() << '\t' << *title << '\n';
      rec.insert_ordered(marcpp::field("590", "  ", {{'a', "Checked by marcpp."}}));
      rec.leader().set_status('c');
    }
    if (auto err = writer.write(rec)) std::cerr << marcpp::to_string(err) << '\n';
  }
  return in.failed() ? 1 : 0;
}
