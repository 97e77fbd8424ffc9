#include <marcpp/config.hpp>  // first: proves it is self-contained

#include <doctest/doctest.h>

#include <string>

TEST_CASE("version: one source, matching CMake's project version") {
  const std::string v = std::to_string(MARCPP_VERSION_MAJOR) + "." + std::to_string(MARCPP_VERSION_MINOR) + "." +
                        std::to_string(MARCPP_VERSION_PATCH);
  CHECK(v == MARCPP_VERSION_STRING);
  CHECK(v == MARCPP_EXPECTED_VERSION);
}
