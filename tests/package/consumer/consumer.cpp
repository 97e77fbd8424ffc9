// A program built against an installed marcpp: reads a record it builds,
// edits it and checks the result.
#include <marcpp/marcpp.hpp>

#include <iostream>

int main() {
  marcpp::record r;
  r.add(marcpp::field::control("001", "consumer-1"));
  r.add(marcpp::field("245", "10", {{'a', "Installed and found"}}));
  std::string bytes = marcpp::to_iso2709(r);
  marcpp::reader rd{marcpp::memory_source{bytes}, {.policy = marcpp::error_policy::strict}};
  marcpp::record_view v;
  if (!rd.next(v) || v.control_number() != "consumer-1" || v.value("245", 'a') != "Installed and found") {
    std::cerr << "consumer: unexpected result\n";
    return 1;
  }
  std::cout << "consumer: marcpp " << MARCPP_VERSION_STRING << " ok\n";
  return 0;
}
