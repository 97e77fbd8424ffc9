// MARC-in-JSON with marcpp::json (simdjson) alone.
#include <marcpp/json.hpp>

#include <iostream>
#include <string>

int main() {
  marcpp::record r;
  r.add(marcpp::field::control("001", "json-1"));
  r.add(marcpp::field("245", "10", {{'a', "In JSON"}}));
  std::string text;
  if (auto err = marcpp::write_json(r, text)) return 1;
  marcpp::json_reader rd{marcpp::memory_source{text}};
  marcpp::record back;
  if (!rd.next(back) || back.value("245", 'a') != "In JSON" || back.control_number() != "json-1") {
    std::cerr << "consumer_json: unexpected result\n" << text << '\n';
    return 1;
  }
  std::cout << "consumer_json: ok\n";
  return 0;
}
