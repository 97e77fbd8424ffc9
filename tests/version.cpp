#include <marcpp/config.hpp>  // first: proves it is self-contained

#include <doctest/doctest.h>

#include <string>

// config.hpp holds the version; CMake reads its three numbers for the
// project's version (and the installed package's), passed here as
// MARCPP_EXPECTED_VERSION. A header whose lines CMake misreads, or a
// version set in CMake again, shows here.
TEST_CASE("version: one source, matching CMake's project version") {
  const std::string v = std::to_string(MARCPP_VERSION_MAJOR) + "." + std::to_string(MARCPP_VERSION_MINOR) + "." +
                        std::to_string(MARCPP_VERSION_PATCH);
  CHECK(v == MARCPP_VERSION_STRING);
  CHECK(v == MARCPP_EXPECTED_VERSION);
}
