// MARC-8 <-> UTF-8 throughput, single thread, on the MARC-8 records of the
// shared corpus (../shared/corpus: bib-marc8/ and the MARC-8 files of
// large/), value by value as the record conversion does it.
//
//   build/bench/marcpp_charset_bench
//   MARCPP_CORPUS_DIR=/path/to/corpus build/bench/marcpp_charset_bench
//
// Bytes per second are input bytes: MARC-8 for decoding, UTF-8 for encoding.
#include <marcpp/marcpp.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct corpus {
  std::vector<std::string> files;             // the records' bytes, file by file
  std::vector<std::string> marc8, utf8;       // every value, MARC-8 and decoded
  std::vector<std::string> ascii, non_ascii;  // the MARC-8 values, split
  std::size_t marc8_bytes = 0, utf8_bytes = 0, ascii_bytes = 0, non_ascii_bytes = 0, record_bytes = 0;
};

const corpus& input() {
  static const corpus c = [] {
    corpus k;
    const char* env = std::getenv("MARCPP_CORPUS_DIR");
    std::filesystem::path dir = env && *env ? env : MARCPP_CORPUS_DIR;
    std::vector<std::filesystem::path> paths;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir / "bib-marc8", ec)) paths.push_back(e.path());
    for (const char* f : {"evergreen-jazz_1k.mrc", "evergreen-lul_fre_500.mrc", "solrmarc-uva_001_2000.mrc"})
      paths.push_back(dir / "large" / f);
    for (const auto& p : paths) {
      if (!std::filesystem::is_regular_file(p, ec)) continue;
      marcpp::reader r{marcpp::mmap_source{p}};
      marcpp::record_view v;
      std::string bytes;
      while (r.next(v)) {
        if (v.leader().is_unicode() || !marcpp::check_encoding(v).agrees()) continue;
        bytes.append(v.raw());
        for (const auto& f : v) {
          auto add = [&](std::string_view s) {
            std::string u;
            (void)marcpp::marc8::decode(s, u);
            k.marc8.emplace_back(s);
            k.marc8_bytes += s.size();
            k.utf8_bytes += u.size();
            k.utf8.push_back(std::move(u));
            bool plain = marcpp::detail::find_ascii_stop(s.data(), s.size(), '\x1B', '&') == s.size();
            (plain ? k.ascii : k.non_ascii).emplace_back(s);
            (plain ? k.ascii_bytes : k.non_ascii_bytes) += s.size();
          };
          if (f.is_control()) add(f.data());
          else
            for (const auto& s : f.subfields()) add(s.value());
        }
      }
      k.record_bytes += bytes.size();
      k.files.push_back(std::move(bytes));
    }
    if (k.marc8.empty()) {
      std::cerr << "marcpp_charset_bench: no MARC-8 records under " << dir.string()
                << " (set MARCPP_CORPUS_DIR to the shared corpus)\n";
      std::exit(2);
    }
    return k;
  }();
  return c;
}

void decode_values(benchmark::State& st, const std::vector<std::string>& values, std::size_t bytes) {
  marcpp::detail::marc8_decoder dec;
  std::string out;
  auto sink = [](marcpp::detail::charset_fault&&) {};
  for (auto _ : st) {
    for (const auto& v : values) {
      out.clear();
      dec.convert(v, out, false, true, sink);
      benchmark::DoNotOptimize(out.data());
    }
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(bytes));
}

void marc8_decode(benchmark::State& st) { decode_values(st, input().marc8, input().marc8_bytes); }
BENCHMARK(marc8_decode)->Unit(benchmark::kMillisecond);

void marc8_decode_plain_ascii_values(benchmark::State& st) { decode_values(st, input().ascii, input().ascii_bytes); }
BENCHMARK(marc8_decode_plain_ascii_values)->Unit(benchmark::kMillisecond);

void marc8_decode_other_values(benchmark::State& st) { decode_values(st, input().non_ascii, input().non_ascii_bytes); }
BENCHMARK(marc8_decode_other_values)->Unit(benchmark::kMillisecond);

// The floor for the plain ASCII values: copying them into the same strings.
void copy_plain_ascii_values(benchmark::State& st) {
  std::string out;
  for (auto _ : st) {
    for (const auto& v : input().ascii) {
      out.clear();
      out.append(v);
      benchmark::DoNotOptimize(out.data());
    }
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(input().ascii_bytes));
}
BENCHMARK(copy_plain_ascii_values)->Unit(benchmark::kMillisecond);

// A long ASCII run (a whole file's values joined) against memcpy.
const std::string& joined_ascii() {
  static const std::string s = [] {
    std::string j;
    for (const auto& v : input().ascii) j += v;
    return j;
  }();
  return s;
}
void marc8_decode_long_ascii_run(benchmark::State& st) {
  const std::string& in = joined_ascii();
  marcpp::detail::marc8_decoder dec;
  std::string out;
  auto sink = [](marcpp::detail::charset_fault&&) {};
  for (auto _ : st) {
    out.clear();
    dec.convert(in, out, false, true, sink);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(in.size()));
}
BENCHMARK(marc8_decode_long_ascii_run)->Unit(benchmark::kMillisecond);
void memcpy_long_ascii_run(benchmark::State& st) {
  const std::string& in = joined_ascii();
  std::string out;
  for (auto _ : st) {
    out.clear();
    out.append(in);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(in.size()));
}
BENCHMARK(memcpy_long_ascii_run)->Unit(benchmark::kMillisecond);

void marc8_encode(benchmark::State& st) {
  marcpp::detail::marc8_encoder enc;
  std::string out;
  auto sink = [](marcpp::detail::charset_fault&&) {};
  for (auto _ : st) {
    for (const auto& v : input().utf8) {
      out.clear();
      enc.convert(v, out, false, true, sink);
      benchmark::DoNotOptimize(out.data());
    }
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(input().utf8_bytes));
}
BENCHMARK(marc8_encode)->Unit(benchmark::kMillisecond);

// Whole records: read as views, converted to owning UTF-8 records.
void record_to_utf8(benchmark::State& st) {
  marcpp::record out;
  std::size_t records = 0;
  for (auto _ : st) {
    for (const auto& bytes : input().files) {
      marcpp::reader r{marcpp::memory_source{bytes}};
      marcpp::record_view v;
      while (r.next(v)) {
        (void)marcpp::to_utf8(v, out);
        ++records;
      }
    }
    benchmark::DoNotOptimize(out.size());
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(input().record_bytes));
  st.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}
BENCHMARK(record_to_utf8)->Unit(benchmark::kMillisecond);

// The same records as owning copies, without conversion: what to_utf8 adds.
void record_copy(benchmark::State& st) {
  marcpp::record out;
  for (auto _ : st) {
    for (const auto& bytes : input().files) {
      marcpp::reader r{marcpp::memory_source{bytes}};
      marcpp::record_view v;
      while (r.next(v)) out = v;
    }
    benchmark::DoNotOptimize(out.size());
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(input().record_bytes));
}
BENCHMARK(record_copy)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const corpus& c = input();
  std::cout << c.marc8.size() << " values from " << c.files.size() << " files: " << c.marc8_bytes
            << " MARC-8 bytes (" << c.ascii.size() << " plain ASCII values, " << c.ascii_bytes << " bytes), "
            << c.utf8_bytes << " UTF-8 bytes decoded\n";
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
