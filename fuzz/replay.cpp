// Runs the fuzz targets over the inputs kept under tests/data/fuzz, in any
// build (no libFuzzer needed): every file of tests/data/fuzz/TARGET/ is fed
// to TARGET. A broken invariant aborts, as it does under libFuzzer.
//
//     marcpp_fuzz_regressions                  every target over its folder
//     marcpp_fuzz_regressions TARGET           one target over its folder
//     marcpp_fuzz_regressions TARGET PATH...   one target over files or folders
#include "fuzz.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs_under(const fs::path& p) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    for (const auto& e : fs::directory_iterator(p, ec))
      if (e.is_regular_file()) files.push_back(e.path());
  } else if (fs::is_regular_file(p, ec)) {
    files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  return files;
}

int run_target(const std::string& name, marcpp_fuzz::target_fn fn, const std::vector<fs::path>& paths) {
  std::size_t n = 0;
  for (const auto& root : paths)
    for (const auto& file : inputs_under(root)) {
      std::ifstream in(file, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        std::cerr << name << ": cannot read " << file.string() << '\n';
        return 2;
      }
      std::cerr << name << ": " << file.filename().string() << " (" << bytes.size() << " bytes)\n";
      fn(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++n;
    }
  // An empty input, always: the smallest case of every target.
  fn(nullptr, 0);
  std::cout << name << ": " << n << " input(s) and the empty one, every invariant held\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path data = MARCPP_FUZZ_DATA_DIR;
  auto& table = marcpp_fuzz::targets();
  if (argc < 2) {
    for (const auto& [name, fn] : table)
      if (int rc = run_target(name, fn, {data / name})) return rc;
    return 0;
  }
  auto it = table.find(argv[1]);
  if (it == table.end()) {
    std::cerr << "no fuzz target named " << argv[1] << "; there are:";
    for (const auto& [name, fn] : table) std::cerr << ' ' << name;
    std::cerr << '\n';
    return 2;
  }
  std::vector<fs::path> paths;
  for (int i = 2; i < argc; ++i) paths.emplace_back(argv[i]);
  if (paths.empty()) paths.push_back(data / it->first);
  return run_target(it->first, it->second, paths);
}
