// A program built against an installed marcpp: reads a record it builds,
// edits it, converts it to MARC-8 and back, and checks the result. It links
// marcpp::marcpp alone: character set conversion needs no ICU.
#include <marcpp/marcpp.hpp>

#include <iostream>

int main() {
  marcpp::record r;
  r.leader().set_coding_scheme('a');
  r.add(marcpp::field::control("001", "consumer-1"));
  r.add(marcpp::field("245", "10", {{'a', "Installed and found, caf\xC3\xA9"}}));
  std::string bytes = marcpp::to_iso2709(r, {.to_encoding = marcpp::encoding::marc8});
  marcpp::reader rd{marcpp::memory_source{bytes}, {.policy = marcpp::error_policy::strict}};
  marcpp::record_view v;
  if (!rd.next(v) || v.control_number() != "consumer-1" || v.value("245", 'a') != "Installed and found, caf\xE2" "e" ||
      v.leader().coding_scheme() != ' ') {
    std::cerr << "consumer: unexpected result\n";
    return 1;
  }
  marcpp::record back = marcpp::to_utf8(v);
  if (back.value("245", 'a') != "Installed and found, cafe\xCC\x81" || back.leader().coding_scheme() != 'a') {
    std::cerr << "consumer: unexpected conversion\n";
    return 1;
  }
  std::cout << "consumer: marcpp " << MARCPP_VERSION_STRING << " ok\n";
  return 0;
}
