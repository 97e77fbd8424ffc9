// Reads and writes ISO 2709 with marcpp::core alone. run.cmake compiles this
// file with -H too: it must include no header of another component, nor the
// MARC-8 tables.
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/reader.hpp>

#include <iostream>
#include <string>

int main() {
  marcpp::record r;
  r.add(marcpp::field::control("001", "core-1"));
  r.add(marcpp::field("245", "10", {{'a', "Core alone"}}));
  std::string bytes = marcpp::to_iso2709(r);
  marcpp::reader rd{marcpp::memory_source{bytes}, {.policy = marcpp::error_policy::strict}};
  marcpp::record_view v;
  if (!rd.next(v) || v.control_number() != "core-1" || v.value("245", 'a') != "Core alone" || rd.next(v) ||
      rd.failed()) {
    std::cerr << "consumer_core: unexpected result\n";
    return 1;
  }
  std::cout << "consumer_core: ok\n";
  return 0;
}
