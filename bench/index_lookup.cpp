// Lookup latency of the record index: the median of a million lookups by
// 001 (random ids of the file, each found), each timed on its own.
//
//   marcpp_index_lookup FILE [LOOKUPS]
//
// Builds FILE's index (FILE.marcidx) unless a current one exists, opens it,
// and prints the time to open it, then, for the lookups: the median and the
// 99th percentile of each lookup's time less the median cost of reading the
// clock (measured the same way around nothing), and the mean over all of
// them timed together (no clock inside the loop).
// SPDX-License-Identifier: MIT

#include <marcpp/marcpp.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: marcpp_index_lookup FILE [LOOKUPS]\n");
    return 2;
  }
  const std::string file = argv[1];
  const std::size_t n = argc > 2 ? std::stoull(argv[2]) : 1000000;
  using clock = std::chrono::steady_clock;
  auto ns = [](clock::duration d) { return std::chrono::duration<double, std::nano>(d).count(); };

  marcpp::record_index ix;
  if (ix.open(file)) {
    const auto t0 = clock::now();
    if (auto err = marcpp::build_index(file, marcpp::default_index_path(file))) {
      std::fprintf(stderr, "%s\n", marcpp::to_string(err).c_str());
      return 2;
    }
    std::printf("built the index in %.3f s\n", ns(clock::now() - t0) / 1e9);
  }
  const auto t1 = clock::now();
  if (auto err = ix.open(file)) {
    std::fprintf(stderr, "%s\n", marcpp::to_string(err).c_str());
    return 2;
  }
  std::printf("opened it (mapped and verified) in %.3f ms: %zu records\n", ns(clock::now() - t1) / 1e6, ix.size());

  std::vector<std::string> ids;
  marcpp::reader r{marcpp::memory_source{ix.data()}};
  for (const marcpp::record_view& v : r)
    if (!v.control_number().empty()) ids.emplace_back(v.control_number());
  if (ids.empty()) {
    std::fprintf(stderr, "no record of %s has a 001\n", file.c_str());
    return 2;
  }
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::size_t> pick(0, ids.size() - 1);
  std::vector<const std::string*> order(n);
  for (auto& p : order) p = &ids[pick(rng)];

  std::vector<double> each(n), empty(n);
  std::size_t found = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto a = clock::now();
    const auto b = clock::now();
    empty[i] = ns(b - a);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto a = clock::now();
    found += ix.find(*order[i]).size();
    const auto b = clock::now();
    each[i] = ns(b - a);
  }
  const auto t2 = clock::now();
  for (std::size_t i = 0; i < n; ++i) found += ix.find(*order[i]).size();
  const double mean = ns(clock::now() - t2) / static_cast<double>(n);
  if (found < 2 * n) {
    std::fprintf(stderr, "some lookups found nothing\n");
    return 1;
  }
  auto quantile = [](std::vector<double> v, double q) {
    auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  };
  const double clock_cost = quantile(empty, 0.5);
  std::vector<std::string> distinct = ids;
  std::sort(distinct.begin(), distinct.end());
  const auto unique = static_cast<std::size_t>(std::unique(distinct.begin(), distinct.end()) - distinct.begin());
  std::printf("%zu lookups by the 001 of random records (%zu records have one, %zu distinct): median %.0f ns, 99th percentile %.0f ns (clock cost %.0f ns "
              "taken off); mean %.0f ns timed together\n",
              n, ids.size(), unique, quantile(each, 0.5) - clock_cost, quantile(each, 0.99) - clock_cost, clock_cost, mean);
  return 0;
}
