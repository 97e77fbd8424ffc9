// A program that asks for Unicode normalisation: links marcpp::icu.
#include <marcpp/marcpp.hpp>
#include <marcpp/normalize.hpp>

#include <iostream>

int main() {
  marcpp::record r;
  r.add(marcpp::field("245", "10", {{'a', "Caf\xE2" "e"}}));  // MARC-8
  marcpp::charset_options opts;
  opts.normalize = marcpp::nfc;
  marcpp::record u = marcpp::to_utf8(r, opts);
  if (u.value("245", 'a') != "Caf\xC3\xA9") {
    std::cerr << "consumer_icu: unexpected result\n";
    return 1;
  }
  std::cout << "consumer_icu: ok\n";
  return 0;
}
