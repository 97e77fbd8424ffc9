// Peak memory of the readers, whatever the size of the input.
//
//   marcpp_memory [--threads N] [--mmap | --file] FILE|-
//
// Reads FILE (or standard input for "-") with the sequential reader over a
// stream (`stream_source`, the default, threads 0) or the parallel reader
// (--threads N >= 1), over a stream, over a memory map with --mmap, or
// read by position (`file_source`) with --file. Each
// record is read as a record_view and written as ISO 2709 into an output
// that is thrown away (the round trip of the comparison, so that output
// buffers count too). Prints the records read, the peak resident set
// (VmHWM, which for a memory map includes the mapped file's pages) and the
// peak anonymous memory, sampled from /proc/self/status every millisecond
// (RssAnon: memory that is not a mapped file: heap, stacks, buffers).
// SPDX-License-Identifier: MIT

#include <marcpp/marcpp.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace {

// A field of /proc/self/status in kB, or -1.
long status_kb(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long v = -1;
  const std::size_t klen = std::strlen(key);
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, key, klen) == 0 && line[klen] == ':') {
      v = std::strtol(line + klen + 1, nullptr, 10);
      break;
    }
  std::fclose(f);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = 0;
  bool use_mmap = false, use_file = false;
  std::string file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      char* end = nullptr;
      const unsigned long n = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || n > 1024) {
        std::fprintf(stderr, "marcpp_memory: --threads wants a number of threads, not \"%s\"\n", argv[i]);
        return 2;
      }
      threads = static_cast<unsigned>(n);
    } else if (a == "--mmap") {
      use_mmap = true;
    } else if (a == "--file") {
      use_file = true;
    } else if (a.size() > 1 && a[0] == '-') {
      file.clear();  // --help, or an option it does not know: the usage
      break;
    } else {
      file = a;
    }
  }
  if (file.empty()) {
    std::fprintf(stderr, "usage: marcpp_memory [--threads N] [--mmap | --file] FILE|-\n");
    return 2;
  }
  std::atomic<bool> done{false};
  std::atomic<long> peak_anon{0};
  std::thread sampler([&] {
    while (!done.load()) {
      long a = status_kb("RssAnon");
      if (a > peak_anon.load()) peak_anon.store(a);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  // The sampler stops on every way out, an error's included.
  struct stop_sampler {
    std::atomic<bool>& done;
    std::thread& t;
    ~stop_sampler() {
      done.store(true);
      if (t.joinable()) t.join();
    }
  } stop{done, sampler};

  std::uint64_t records = 0, bytes_out = 0;
  bool failed = false;
  auto run = [&](auto&& src) {
    if (threads == 0) {
      marcpp::reader r{std::move(src)};
      marcpp::record_view v;
      std::string out;
      while (r.next(v)) {
        ++records;
        (void)marcpp::write_iso2709(v, out);
        if (out.size() >= (std::size_t{1} << 20)) {
          bytes_out += out.size();
          out.clear();
        }
      }
      bytes_out += out.size();
      failed = r.failed();
    } else {
      marcpp::parallel_options po;
      po.threads = threads;
      marcpp::parallel_reader r{std::move(src), marcpp::read_options{}, po};
      r.run_output([](const marcpp::record_view& v, std::string& o) { (void)marcpp::write_iso2709(v, o); },
                   [&](std::string_view s) { bytes_out += s.size(); });
      records = r.stats().records;
      failed = r.failed();
    }
  };
  std::ifstream in;
  try {
    if (use_mmap) {
      run(marcpp::mmap_source{file});
    } else if (use_file) {
      run(marcpp::file_source{file});
    } else if (file == "-") {
      run(marcpp::stream_source{std::cin});
    } else {
      in.open(file, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "%s: cannot open\n", file.c_str());
        return 2;
      }
      run(marcpp::stream_source{in});
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "marcpp_memory: %s\n", e.what());
    return 2;
  }
  done.store(true);
  sampler.join();
  long a = status_kb("RssAnon");
  if (a > peak_anon.load()) peak_anon.store(a);
  std::printf("records=%llu out_bytes=%llu peak_rss_kb=%ld peak_anon_kb=%ld (%s, %s)\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(bytes_out),
              status_kb("VmHWM"), peak_anon.load(), threads ? "parallel reader" : "sequential reader",
              use_mmap ? "memory map" : use_file ? "file_source" : "stream");
  return failed ? 1 : 0;
}
