// ISO 2709 parse and write throughput, single thread.
//
//   ../shared/tools/make-bench-file --kind bib --mb 100 /tmp/bib100.mrc
//   MARCPP_BENCH_FILE=/tmp/bib100.mrc build/bench/marcpp_bench
//
// Bytes per second are input bytes (parse) or output bytes (write).
#include <marcpp/marcpp.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

const marcpp::mmap_source& input() {
  static std::unique_ptr<marcpp::mmap_source> src = [] {
    const char* env = std::getenv("MARCPP_BENCH_FILE");
    std::string path = env && *env ? env : MARCPP_BENCH_DEFAULT_FILE;
    try {
      return std::make_unique<marcpp::mmap_source>(path);
    } catch (const marcpp::error& e) {
      std::cerr << "marcpp_bench: " << e.what()
                << "\nbuild the input with: ../shared/tools/make-bench-file --kind bib --mb 100 FILE, "
                   "then set MARCPP_BENCH_FILE=FILE\n";
      std::exit(2);
    }
  }();
  return *src;
}

void parse_view(benchmark::State& st) {
  const std::string_view bytes = input().bytes();
  std::size_t records = 0, fields = 0;
  for (auto _ : st) {
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    while (r.next(v)) {
      ++records;
      fields += v.size();
    }
    benchmark::DoNotOptimize(fields);
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(bytes.size()));
  st.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}
BENCHMARK(parse_view)->Unit(benchmark::kMillisecond)->UseRealTime();

void parse_record(benchmark::State& st) {
  const std::string_view bytes = input().bytes();
  std::size_t records = 0, fields = 0;
  for (auto _ : st) {
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record rec;
    while (r.next(rec)) {
      ++records;
      fields += rec.size();
    }
    benchmark::DoNotOptimize(fields);
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(bytes.size()));
  st.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}
BENCHMARK(parse_record)->Unit(benchmark::kMillisecond)->UseRealTime();

// Writing alone: the records are parsed once, before timing.
template <class Record>
void write(benchmark::State& st) {
  const std::string_view bytes = input().bytes();
  std::vector<Record> records;
  {
    marcpp::reader r{marcpp::memory_source{bytes.substr(0, std::min<std::size_t>(bytes.size(), 20'000'000))}};
    marcpp::record_view v;
    while (r.next(v)) records.emplace_back(v);
  }
  std::string out;
  std::size_t written = 0;
  for (auto _ : st) {
    out.clear();
    for (const auto& rec : records)
      if (marcpp::write_iso2709(rec, out)) st.SkipWithError("a record could not be written");
    written += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(static_cast<std::int64_t>(written));
  st.counters["records/s"] = benchmark::Counter(static_cast<double>(st.iterations()) * static_cast<double>(records.size()),
                                                benchmark::Counter::kIsRate);
}
BENCHMARK_TEMPLATE(write, marcpp::record_view)->Name("write_view")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(write, marcpp::record)->Name("write_record")->Unit(benchmark::kMillisecond)->UseRealTime();

// Read then write every record (the T3 round trip), output kept in memory.
void roundtrip_view(benchmark::State& st) {
  const std::string_view bytes = input().bytes();
  std::string out;
  out.reserve(bytes.size() + 1024);
  for (auto _ : st) {
    out.clear();
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    while (r.next(v)) (void)marcpp::write_iso2709(v, out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(bytes.size()));
}
BENCHMARK(roundtrip_view)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
