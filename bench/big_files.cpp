// The parallel reader and the record index: throughput by number of threads
// and batch size, index build speed, and lookups by 001 and by number.
//
//   ../shared/tools/make-bench-file --kind bib --mb 100 /tmp/bib100.mrc
//   MARCPP_BENCH_FILE=/tmp/bib100.mrc build/bench/marcpp_bench_big
//
// Bytes per second are input bytes. `extract` is the comparison's T2 (the
// 245$a and every field's value, their lengths added up), `roundtrip` its
// T3 (every record written as ISO 2709), `marcxml` its T4 (every record
// written as MARCXML), the output thrown away; each on the parallel reader
// reading the file (`/file`: marcpp::file_source) or the bytes in memory
// (`/memory`); the first argument is the number of threads, the second the
// batch size in KiB, the third the batches in flight (0: the default). In
// one process, these leave out what a whole program pays once (starting,
// loading its libraries, its first touch of memory).
#include <marcpp/marcpp.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

std::string input_path() {
  const char* env = std::getenv("MARCPP_BENCH_FILE");
  std::string path = env && *env ? env : MARCPP_BENCH_DEFAULT_FILE;
  if (!std::filesystem::exists(path)) {
    std::cerr << "marcpp_bench_big: " << path
              << " is missing\nbuild the input with: ../shared/tools/make-bench-file --kind bib --mb 100 FILE, "
                 "then set MARCPP_BENCH_FILE=FILE\n";
    std::exit(2);
  }
  return path;
}

const marcpp::mmap_source& input() {
  static std::unique_ptr<marcpp::mmap_source> src = std::make_unique<marcpp::mmap_source>(input_path());
  return *src;
}

std::uint64_t extract(const marcpp::record_view& rec) {
  std::uint64_t sum = 0;
  if (const auto* title = rec.first(marcpp::tag("245")))
    if (auto a = title->value('a')) sum += a->size();
  for (const auto& f : rec.fields()) {
    if (f.is_control()) {
      sum += f.data().size();
    } else {
      for (const auto& s : f.subfields()) sum += s.value().size();
    }
  }
  return sum;
}

marcpp::parallel_options options(const benchmark::State& st) {
  marcpp::parallel_options po;
  po.threads = static_cast<unsigned>(st.range(0));
  po.batch_bytes = static_cast<std::size_t>(st.range(1)) << 10;
  po.max_batches = static_cast<std::size_t>(st.range(2));
  return po;
}

void set_rates(benchmark::State& st, std::size_t bytes, std::uint64_t records) {
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(bytes));
  st.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}

void extract_sequential(benchmark::State& st) {
  const std::string_view bytes = input().bytes();
  std::uint64_t records = 0, sum = 0;
  for (auto _ : st) {
    marcpp::reader r{marcpp::memory_source{bytes}};
    marcpp::record_view v;
    while (r.next(v)) {
      ++records;
      sum += extract(v);
    }
    benchmark::DoNotOptimize(sum);
  }
  set_rates(st, bytes.size(), records);
}
BENCHMARK(extract_sequential)->Unit(benchmark::kMillisecond)->UseRealTime();

// The parallel reader reads the file either with marcpp::file_source (each
// worker reads its own byte ranges: the default way to read a file) or from
// memory (the mapped file, whose pages are in memory after the first pass).
enum class from { file, memory };

template <from Source, class Run>
void run_parallel(benchmark::State& st, Run&& run) {
  if constexpr (Source == from::file) {
    marcpp::parallel_reader r{marcpp::file_source{input_path()}, marcpp::read_options{}, options(st)};
    run(r);
  } else {
    marcpp::parallel_reader r{marcpp::memory_source{input().bytes()}, marcpp::read_options{}, options(st)};
    run(r);
  }
}

template <from Source>
void extract_parallel(benchmark::State& st) {
  std::uint64_t records = 0, sum = 0;
  for (auto _ : st) {
    run_parallel<Source>(st, [&](auto& r) {
      r.run(extract, [&](std::uint64_t s) {
        ++records;
        sum += s;
      });
    });
    benchmark::DoNotOptimize(sum);
  }
  set_rates(st, input().bytes().size(), records);
}

// Writes every record with `write(view, out)` on the worker threads; the
// output, handed on in order, is thrown away.
template <from Source, class Write>
void write_parallel(benchmark::State& st, Write write) {
  std::uint64_t records = 0, out = 0;
  for (auto _ : st) {
    run_parallel<Source>(st, [&](auto& r) {
      r.run_output([&](const marcpp::record_view& v, std::string& o) { (void)write(v, o); },
                   [&](std::string_view s) {
                     out += s.size();
                     benchmark::DoNotOptimize(s.data());
                   });
      records += r.stats().records;
    });
  }
  benchmark::DoNotOptimize(out);
  set_rates(st, input().bytes().size(), records);
}
template <from Source>
void roundtrip_parallel(benchmark::State& st) {
  write_parallel<Source>(st, [](const marcpp::record_view& v, std::string& o) { return marcpp::write_iso2709(v, o); });
}
template <from Source>
void marcxml_parallel(benchmark::State& st) {
  write_parallel<Source>(st, [](const marcpp::record_view& v, std::string& o) { return marcpp::write_marcxml(v, o); });
}

// Batches in flight (the third argument): 0 for the library's default (one
// a thread); with two threads and 256 KiB batches, also 2 (one a thread,
// set), 3 and 4 (two a thread). The names are those of earlier builds, so
// that bench/steady-scaling --against compares them.
#define MARCPP_PARALLEL_BENCHMARK(fn, source, name)                     \
  BENCHMARK(fn<source>)                                                 \
      ->Name(name)                                                      \
      ->ArgNames({"threads", "batch_kib", "batches"})                   \
      ->ArgsProduct({{1, 2}, {64, 256, 1024}, {0}})                     \
      ->Args({2, 256, 2})                                               \
      ->Args({2, 256, 3})                                               \
      ->Args({2, 256, 4})                                               \
      ->Unit(benchmark::kMillisecond)                                   \
      ->UseRealTime()
MARCPP_PARALLEL_BENCHMARK(extract_parallel, from::file, "extract_parallel/file");
MARCPP_PARALLEL_BENCHMARK(roundtrip_parallel, from::file, "roundtrip_parallel/file");
MARCPP_PARALLEL_BENCHMARK(marcxml_parallel, from::file, "marcxml_parallel/file");
MARCPP_PARALLEL_BENCHMARK(extract_parallel, from::memory, "extract_parallel/memory");
MARCPP_PARALLEL_BENCHMARK(roundtrip_parallel, from::memory, "roundtrip_parallel/memory");
MARCPP_PARALLEL_BENCHMARK(marcxml_parallel, from::memory, "marcxml_parallel/memory");

// ---- the record index --------------------------------------------------------

std::filesystem::path sidecar() { return std::filesystem::temp_directory_path() / "marcpp_bench_big.marcidx"; }

void index_build(benchmark::State& st) {
  const std::string path = input_path();
  marcpp::parallel_options po;
  po.threads = static_cast<unsigned>(st.range(0));
  for (auto _ : st) {
    if (auto err = marcpp::build_index(path, sidecar(), po)) {
      st.SkipWithError(err.message.c_str());
      break;
    }
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(std::filesystem::file_size(path)));
}
BENCHMARK(index_build)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void index_open(benchmark::State& st) {
  const std::string path = input_path();
  if (auto err = marcpp::build_index(path, sidecar())) {
    st.SkipWithError(err.message.c_str());
    return;
  }
  for (auto _ : st) {
    marcpp::record_index ix;
    if (auto err = ix.open(path, sidecar())) {
      st.SkipWithError(err.message.c_str());
      break;
    }
    benchmark::DoNotOptimize(ix.size());
  }
}
BENCHMARK(index_open)->Unit(benchmark::kMillisecond)->UseRealTime();

struct opened_index {
  marcpp::record_index ix;
  std::vector<std::string> ids;  // every 001, shuffled
};

const opened_index& opened() {
  static std::unique_ptr<opened_index> o = [] {
    auto p = std::make_unique<opened_index>();
    const std::string path = input_path();
    if (auto err = marcpp::build_index(path, sidecar())) throw marcpp::error(err);
    if (auto err = p->ix.open(path, sidecar())) throw marcpp::error(err);
    marcpp::reader r{marcpp::memory_source{p->ix.data()}};
    for (const marcpp::record_view& v : r)
      if (!v.control_number().empty()) p->ids.emplace_back(v.control_number());
    std::shuffle(p->ids.begin(), p->ids.end(), std::mt19937_64(42));
    return p;
  }();
  return *o;
}

void index_find(benchmark::State& st) {
  const auto& o = opened();
  std::size_t i = 0, found = 0;
  for (auto _ : st) {
    found += o.ix.find(o.ids[i]).size();
    if (++i == o.ids.size()) i = 0;
  }
  benchmark::DoNotOptimize(found);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(index_find);

void index_record_at(benchmark::State& st) {
  const auto& o = opened();
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, o.ix.size() - 1);
  marcpp::record_view v;
  std::size_t fields = 0;
  for (auto _ : st) {
    if (o.ix.record_at(pick(rng), v)) fields += v.size();
  }
  benchmark::DoNotOptimize(fields);
  st.SetItemsProcessed(st.iterations());
}
BENCHMARK(index_record_at);

}  // namespace

BENCHMARK_MAIN();
