// The parallel reader with marcpp::parallel (oneTBB) alone.
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/parallel_reader.hpp>

#include <atomic>
#include <iostream>
#include <string>

int main() {
  std::string bytes;
  for (int i = 0; i < 100; ++i) {
    marcpp::record r;
    r.add(marcpp::field::control("001", std::to_string(i)));
    bytes += marcpp::to_iso2709(r);
  }
  marcpp::parallel_reader pr{marcpp::memory_source{bytes}};
  std::atomic<int> n{0};
  pr.run([&](const marcpp::record_view&) { ++n; });
  if (n != 100) {
    std::cerr << "consumer_parallel: read " << n << " records, not 100\n";
    return 1;
  }
  std::cout << "consumer_parallel: ok\n";
  return 0;
}
