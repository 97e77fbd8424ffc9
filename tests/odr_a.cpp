// Two translation units that include everything must link (no ODR clash).
#include <marcpp/input.hpp>
#include <marcpp/line_writer.hpp>
#include <marcpp/marcpp.hpp>

#include <doctest/doctest.h>

std::string odr_b_line();

TEST_CASE("odr: both translation units use the library") {
  marcpp::record r;
  r.add(marcpp::field::control("001", "odr"));
  CHECK(marcpp::to_line(r) == odr_b_line());
}
