// The record index with marcpp::index (xxHash's header, and marcpp::parallel).
#include <marcpp/iso2709_writer.hpp>
#include <marcpp/record_index.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

int main() {
  const auto data = std::filesystem::temp_directory_path() / "marcpp_consumer_index.mrc";
  {
    std::ofstream out(data, std::ios::binary);
    for (int i = 0; i < 10; ++i) {
      marcpp::record r;
      r.add(marcpp::field::control("001", "id-" + std::to_string(i)));
      out << marcpp::to_iso2709(r);
    }
  }
  const auto sidecar = marcpp::default_index_path(data);
  if (auto err = marcpp::build_index(data, sidecar)) {
    std::cerr << "consumer_index: " << marcpp::to_string(err) << '\n';
    return 1;
  }
  marcpp::record_index idx;
  if (auto err = idx.open(data, sidecar)) {
    std::cerr << "consumer_index: " << marcpp::to_string(err) << '\n';
    return 1;
  }
  const auto hits = idx.find("id-7");
  const bool ok = idx.size() == 10 && hits.size() == 1 && hits[0] == 7;
  std::filesystem::remove(data);
  std::filesystem::remove(sidecar);
  if (!ok) {
    std::cerr << "consumer_index: unexpected result\n";
    return 1;
  }
  std::cout << "consumer_index: ok\n";
  return 0;
}
