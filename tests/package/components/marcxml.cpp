// MARCXML with marcpp::marcxml (Expat) alone.
#include <marcpp/marcxml.hpp>

#include <iostream>
#include <string>

int main() {
  marcpp::record r;
  r.add(marcpp::field::control("001", "xml-1"));
  r.add(marcpp::field("245", "10", {{'a', "In XML"}}));
  std::string xml = std::string(marcpp::marcxml_collection_open);
  if (auto err = marcpp::write_marcxml(r, xml)) return 1;
  xml += marcpp::marcxml_collection_close;
  marcpp::marcxml_reader rd{marcpp::memory_source{xml}};
  marcpp::record back;
  if (!rd.next(back) || back.value("245", 'a') != "In XML" || back.control_number() != "xml-1") {
    std::cerr << "consumer_marcxml: unexpected result\n" << xml << '\n';
    return 1;
  }
  std::cout << "consumer_marcxml: ok\n";
  return 0;
}
