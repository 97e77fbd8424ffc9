#include <marcpp/input.hpp>
#include <marcpp/line_writer.hpp>
#include <marcpp/marcpp.hpp>

std::string odr_b_line() {
  marcpp::record r;
  r.add(marcpp::field::control("001", "odr"));
  return marcpp::to_line(r);
}
