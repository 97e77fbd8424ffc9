// Built with the layout knobs other than in the rest of the tests (see
// tests/CMakeLists.txt): odr_a.cpp checks that its types are distinct from
// theirs, so that the two builds of every inline function and type live
// side by side in one program, and that both read alike.
#include <marcpp/marcpp.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <typeinfo>

std::string abi_knobs_parser_type() { return typeid(marcpp::detail::iso2709_parser).name(); }
std::size_t abi_knobs_parser_size() { return sizeof(marcpp::detail::iso2709_parser); }

std::string abi_knobs_lines(std::string_view iso2709) {
  marcpp::reader r{marcpp::memory_source{iso2709}};
  marcpp::record_view v;
  std::string out;
  while (r.next(v)) out += marcpp::to_line(v);
  return out;
}
