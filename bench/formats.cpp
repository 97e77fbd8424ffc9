// Throughput of the MARCXML, MARC-in-JSON, .mrk and line-format readers and
// writers, single thread.
//
//   ../shared/tools/make-bench-file --kind bib --mb 100 bib100.mrc
//   yaz-marcdump -f marc8 -t utf8 -l 9=97 -o marc bib100.mrc > bib100-utf8.mrc
//   MARCPP_BENCH_FILE=bib100.mrc MARCPP_BENCH_UTF8_FILE=bib100-utf8.mrc build/bench/marcpp_bench_formats
//
// Most records of bib100.mrc are MARC-8, which the MARCXML and MARC-in-JSON
// writers convert to UTF-8 on the way: iso2709_to_marcxml_marc8 and
// iso2709_to_json_marc8 measure that, on bib100.mrc; the other MARCXML and
// JSON figures are measured on bib100-utf8.mrc, the same records converted
// to UTF-8 by yaz-marcdump. .mrk and the line format take MARC-8 as it is
// and are measured on bib100.mrc. The inputs of the readers are made once,
// at start-up, by marcpp's own writers.
//
// "MB/s" is always the ISO 2709 size of the records handled, so that every
// figure compares with reading or writing the ISO 2709 file; the size of
// the text itself is the `text_MB/s` counter.
#include <marcpp/marcpp.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

const marcpp::mmap_source& open_input(const char* env, const char* fallback, const char* hint) {
  static std::vector<std::unique_ptr<marcpp::mmap_source>> keep;
  const char* e = std::getenv(env);
  std::string path = e && *e ? e : fallback;
  try {
    keep.push_back(std::make_unique<marcpp::mmap_source>(path));
  } catch (const marcpp::error& err) {
    std::cerr << "marcpp_bench_formats: " << err.what() << "\n" << hint << '\n';
    std::exit(2);
  }
  return *keep.back();
}

std::string_view marc8_input() {
  static const auto& src = open_input("MARCPP_BENCH_FILE", MARCPP_BENCH_DEFAULT_FILE,
                                      "build it with ../shared/tools/make-bench-file --kind bib --mb 100 FILE, then set "
                                      "MARCPP_BENCH_FILE=FILE");
  return src.bytes();
}
std::string_view utf8_input() {
  static const auto& src = open_input("MARCPP_BENCH_UTF8_FILE", MARCPP_BENCH_DEFAULT_UTF8_FILE,
                                      "make it with: yaz-marcdump -f marc8 -t utf8 -l 9=97 -o marc bib100.mrc > FILE, "
                                      "then set MARCPP_BENCH_UTF8_FILE=FILE");
  return src.bytes();
}

// The text of every record of `iso` in format `f`, made once.
std::string_view converted(marcpp::format f) {
  static std::string xml, json, mrk;
  std::string& s = f == marcpp::format::marcxml ? xml : f == marcpp::format::jsonl ? json : mrk;
  if (s.empty()) {
    const std::string_view iso = f == marcpp::format::mrk ? marc8_input() : utf8_input();
    marcpp::reader r{marcpp::memory_source{iso}};
    marcpp::record_view v;
    if (f == marcpp::format::marcxml) s = marcpp::marcxml_collection_open;
    while (r.next(v)) {
      marcpp::diagnostic d;
      if (f == marcpp::format::marcxml) d = marcpp::write_marcxml(v, s);
      else if (f == marcpp::format::jsonl) {
        d = marcpp::write_json(v, s);
        if (!d) s += '\n';
      } else {
        d = marcpp::write_mrk(v, s);
      }
      (void)d;
    }
    if (f == marcpp::format::marcxml) s += marcpp::marcxml_collection_close;
  }
  return s;
}

template <template <class> class Reader>
void read_text(benchmark::State& st, marcpp::format f) {
  const std::string_view text = converted(f);
  const std::string_view iso = f == marcpp::format::mrk ? marc8_input() : utf8_input();
  std::size_t records = 0;
  for (auto _ : st) {
    Reader<marcpp::memory_source> r{marcpp::memory_source{text}};
    marcpp::record rec;
    while (r.next(rec)) ++records;
    benchmark::DoNotOptimize(records);
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(iso.size()));
  st.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  st.counters["text_MB/s"] = benchmark::Counter(static_cast<double>(st.iterations()) * static_cast<double>(text.size()) / 1e6,
                                                benchmark::Counter::kIsRate);
}
void read_marcxml(benchmark::State& st) { read_text<marcpp::marcxml_reader>(st, marcpp::format::marcxml); }
void read_json(benchmark::State& st) { read_text<marcpp::json_reader>(st, marcpp::format::jsonl); }
void read_mrk(benchmark::State& st) { read_text<marcpp::mrk_reader>(st, marcpp::format::mrk); }
BENCHMARK(read_marcxml)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(read_json)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(read_mrk)->Unit(benchmark::kMillisecond)->UseRealTime();

// ISO 2709 in, text out: reading and writing every record of the file, the
// output kept in a 1 MB buffer that is emptied as it fills (what
// marc-convert does, less the file I/O).
template <class Write>
void convert(benchmark::State& st, std::string_view iso, Write write) {
  std::string out;
  out.reserve(std::size_t{2} << 20);
  std::size_t records = 0, text = 0, refused = 0;
  for (auto _ : st) {
    marcpp::reader r{marcpp::memory_source{iso}};
    marcpp::record_view v;
    while (r.next(v)) {
      if (write(v, out)) ++refused;
      ++records;
      if (out.size() > (std::size_t{1} << 20)) {
        text += out.size();
        benchmark::DoNotOptimize(out.data());
        out.clear();
      }
    }
    text += out.size();
    out.clear();
  }
  if (refused) st.SkipWithError("records were refused");
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(iso.size()));
  st.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  st.counters["text_MB/s"] = benchmark::Counter(static_cast<double>(text) / 1e6, benchmark::Counter::kIsRate);
}
void iso2709_to_marcxml(benchmark::State& st) {
  convert(st, utf8_input(), [](const auto& v, std::string& out) { return static_cast<bool>(marcpp::write_marcxml(v, out)); });
}
void iso2709_to_json(benchmark::State& st) {
  convert(st, utf8_input(), [](const auto& v, std::string& out) {
    bool bad = static_cast<bool>(marcpp::write_json(v, out));
    out += '\n';
    return bad;
  });
}
void iso2709_to_mrk(benchmark::State& st) {
  convert(st, marc8_input(), [](const auto& v, std::string& out) { return static_cast<bool>(marcpp::write_mrk(v, out)); });
}
void iso2709_to_text(benchmark::State& st) {
  convert(st, marc8_input(), [](const auto& v, std::string& out) {
    marcpp::write_line(v, out);
    return false;
  });
}
void iso2709_to_marcxml_marc8(benchmark::State& st) {
  convert(st, marc8_input(), [](const auto& v, std::string& out) { return static_cast<bool>(marcpp::write_marcxml(v, out)); });
}
void iso2709_to_json_marc8(benchmark::State& st) {
  convert(st, marc8_input(), [](const auto& v, std::string& out) {
    bool bad = static_cast<bool>(marcpp::write_json(v, out));
    out += '\n';
    return bad;
  });
}
BENCHMARK(iso2709_to_marcxml)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(iso2709_to_marcxml_marc8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(iso2709_to_json_marc8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(iso2709_to_json)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(iso2709_to_mrk)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(iso2709_to_text)->Unit(benchmark::kMillisecond)->UseRealTime();

// Writing alone, from records parsed before timing (the first 20 MB).
template <class Write>
void write_only(benchmark::State& st, std::string_view iso, Write write) {
  std::vector<marcpp::record> records;
  std::size_t iso_bytes = 0;
  {
    marcpp::reader r{marcpp::memory_source{iso.substr(0, std::min<std::size_t>(iso.size(), 20'000'000))}};
    marcpp::record_view v;
    while (r.next(v)) {
      records.emplace_back(v);
      iso_bytes += v.raw().size();
    }
  }
  std::string out;
  std::size_t text = 0;
  for (auto _ : st) {
    out.clear();
    for (const auto& rec : records)
      if (write(rec, out)) st.SkipWithError("a record was refused");
    text += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(iso_bytes));
  st.counters["records/s"] = benchmark::Counter(static_cast<double>(st.iterations()) * static_cast<double>(records.size()),
                                                benchmark::Counter::kIsRate);
  st.counters["text_MB/s"] = benchmark::Counter(static_cast<double>(text) / 1e6, benchmark::Counter::kIsRate);
}
void write_marcxml(benchmark::State& st) {
  write_only(st, utf8_input(), [](const auto& r, std::string& out) { return static_cast<bool>(marcpp::write_marcxml(r, out)); });
}
void write_json(benchmark::State& st) {
  write_only(st, utf8_input(), [](const auto& r, std::string& out) { return static_cast<bool>(marcpp::write_json(r, out)); });
}
void write_mrk(benchmark::State& st) {
  write_only(st, marc8_input(), [](const auto& r, std::string& out) { return static_cast<bool>(marcpp::write_mrk(r, out)); });
}
BENCHMARK(write_marcxml)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(write_json)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(write_mrk)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
