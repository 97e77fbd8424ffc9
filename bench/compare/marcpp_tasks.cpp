// marcpp's program for the cross-library comparison (bench/compare/run).
//
//   marcpp_tasks [--mode view|record|parallel] [--threads N] [--source file|mmap] TASK FILE [OUT]
//   marcpp_tasks --modes     # the modes this build has, one line
//   marcpp_tasks --tasks     # the tasks this build has, one line
//
// Runs one task over the ISO 2709 file FILE and prints one line of counts,
// in the format every program of the comparison prints:
//
//   t1  read:       records=N fields=F
//   t2  extract:    records=N fields=F sum=S
//   t3  round trip: records=N          (records written as ISO 2709 to OUT)
//   t4  MARCXML:    records=N          (a MARCXML collection written to OUT)
//
// The file is read by marcpp::file_source (in pieces, into a buffer that is
// reused), or memory-mapped by marcpp::mmap_source with --source mmap.
// Modes: view (one thread, record_view), record (one thread, owning
// record), parallel (marcpp::parallel_reader on --threads threads, default
// every core: record_views parsed and, for t3 and t4, written on the worker
// threads; counts added up and output written in input order).
//
// The tasks are defined in docs/benchmarks.md ("Against other MARC
// libraries"). OUT defaults to /dev/null. Exit status: 0 when every record
// was read and written, 1 when some were not (the reason on standard error),
// 2 when the program could not run.
// SPDX-License-Identifier: MIT

#include <marcpp/marcpp.hpp>

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

namespace {

struct counts {
  std::uint64_t records = 0;
  std::uint64_t fields = 0;
  std::uint64_t sum = 0;
};

// The per-record work of each task, written once for both record flavours,
// so that a parallel mode can run the same functions on its threads and add
// up the counts.

/// T1: count records and fields.
template <class Record>
void t1(const Record& rec, counts& c) {
  ++c.records;
  c.fields += rec.fields().size();
}

/// T2: the byte length of the first 245's first $a, plus the byte length of
/// every field's value (control data; the sum of a data field's subfield
/// values).
template <class Record>
void t2(const Record& rec, counts& c) {
  ++c.records;
  if (const auto* title = rec.first(marcpp::tag("245")))
    if (auto a = title->value('a')) c.sum += a->size();
  for (const auto& f : rec.fields()) {
    ++c.fields;
    if (f.is_control()) {
      c.sum += f.data().size();
    } else {
      for (const auto& s : f.subfields()) c.sum += s.value().size();
    }
  }
}

void print(std::string_view task, const counts& c) {
  if (task == "t1")
    std::printf("records=%llu fields=%llu\n", static_cast<unsigned long long>(c.records),
                static_cast<unsigned long long>(c.fields));
  else if (task == "t2")
    std::printf("records=%llu fields=%llu sum=%llu\n", static_cast<unsigned long long>(c.records),
                static_cast<unsigned long long>(c.fields), static_cast<unsigned long long>(c.sum));
  else
    std::printf("records=%llu\n", static_cast<unsigned long long>(c.records));
}

/// Reports what the reader repaired or skipped; true if it read everything.
template <class Reader>
bool report(const Reader& r) {
  const auto& st = r.stats();
  if (st.repaired || st.skipped)
    std::cerr << "marcpp_tasks: " << st.repaired << " record(s) repaired, " << st.skipped << " skipped\n";
  if (r.failed()) std::cerr << "marcpp_tasks: " << marcpp::to_string(r.error()) << '\n';
  return !r.failed() && !st.skipped;
}

/// One thread, one record at a time: `Record` is `record_view` (zero-copy)
/// or `record` (owning).
template <class Record, class Source>
int run_sequential(std::string_view task, Source src, const std::string& out_path) {
  marcpp::reader r{std::move(src)};
  Record rec;
  counts c;
  bool ok = true;
  if (task == "t1") {
    while (r.next(rec)) t1(rec, c);
  } else if (task == "t2") {
    while (r.next(rec)) t2(rec, c);
  } else {  // t3, t4
    std::ofstream os(out_path, std::ios::binary);
    if (!os) {
      std::cerr << "marcpp_tasks: " << out_path << ": cannot open for writing\n";
      return 2;
    }
    auto write_all = [&](auto& w) {
      while (r.next(rec)) {
        if (auto err = w.write(rec)) {
          std::cerr << "marcpp_tasks: " << marcpp::to_string(err) << '\n';
          ok = false;
        }
      }
      c.records = w.count();
    };
    if (task == "t3") {
      marcpp::iso2709_writer w{os};
      write_all(w);
      w.flush();
    } else {
      marcpp::marcxml_writer w{os};
      write_all(w);
      w.finish();
    }
    if (!os) {
      std::cerr << "marcpp_tasks: " << out_path << ": write failed\n";
      return 2;
    }
  }
  ok = report(r) && ok;
  print(task, c);
  return ok ? 0 : 1;
}

unsigned threads_option = 0;  // --threads; 0 for every core
std::size_t batch_kib = 0;    // --batch-kib; 0 for the default
std::size_t max_batches = 0;  // --max-batches; 0 for the default
std::string source_option = "file";  // --source: file (marcpp::file_source) or mmap

/// Every core (or --threads), marcpp::parallel_reader over record_views:
/// t1/t2 run on the worker threads and their counts are added up in input
/// order; t3/t4 write each record on the worker threads and the output in
/// input order.
template <class Source>
int run_parallel(std::string_view task, Source src, const std::string& out_path) {
  marcpp::parallel_options po;
  po.threads = threads_option;
  if (batch_kib) po.batch_bytes = batch_kib << 10;
  po.max_batches = max_batches;
  marcpp::parallel_reader r{std::move(src), marcpp::read_options{}, po};
  counts c;
  std::atomic<bool> ok{true};
  if (task == "t1" || task == "t2") {
    r.run(
        [&](const marcpp::record_view& rec) {
          counts one;
          task == "t1" ? t1(rec, one) : t2(rec, one);
          return one;
        },
        [&](const counts& one) {
          c.records += one.records;
          c.fields += one.fields;
          c.sum += one.sum;
        });
  } else {
    std::FILE* out = std::fopen(out_path.c_str(), "wb");
    if (!out) {
      std::cerr << "marcpp_tasks: " << out_path << ": cannot open for writing\n";
      return 2;
    }
    // Records written: those delivered, less those a writer refused (a
    // counter per record, shared by the threads, would cost more than
    // writing a record of ISO 2709).
    std::atomic<std::uint64_t> refusals{0};
    auto refused = [&](const marcpp::diagnostic& err) {
      std::cerr << "marcpp_tasks: " << marcpp::to_string(err) << '\n';
      refusals.fetch_add(1, std::memory_order_relaxed);
      ok = false;
    };
    auto put = [&](std::string_view s) { std::fwrite(s.data(), 1, s.size(), out); };
    if (task == "t3") {
      r.run_output(
          [&](const marcpp::record_view& rec, std::string& o) {
            if (auto err = marcpp::write_iso2709(rec, o)) refused(err);
          },
          put);
    } else {
      put(marcpp::marcxml_collection_open);
      r.run_output(
          [&](const marcpp::record_view& rec, std::string& o) {
            if (auto err = marcpp::write_marcxml(rec, o)) refused(err);
          },
          put);
      put(marcpp::marcxml_collection_close);
    }
    c.records = r.stats().records - refusals.load();
    if (std::fclose(out) != 0) {
      std::cerr << "marcpp_tasks: " << out_path << ": write failed\n";
      return 2;
    }
  }
  const bool read_all = report(r);
  print(task, c);
  return read_all && ok ? 0 : 1;
}

/// Runs `Mode` over the file, read as `--source` says.
template <template <class> class Mode>
int with_source(std::string_view task, const std::string& file, const std::string& out) {
  if (source_option == "mmap") return Mode<marcpp::mmap_source>::run(task, marcpp::mmap_source{file}, out);
  return Mode<marcpp::file_source>::run(task, marcpp::file_source{file}, out);
}
template <class Source>
struct view_mode {
  static int run(std::string_view t, Source s, const std::string& o) {
    return run_sequential<marcpp::record_view>(t, std::move(s), o);
  }
};
template <class Source>
struct record_mode {
  static int run(std::string_view t, Source s, const std::string& o) {
    return run_sequential<marcpp::record>(t, std::move(s), o);
  }
};
template <class Source>
struct parallel_mode {
  static int run(std::string_view t, Source s, const std::string& o) { return run_parallel(t, std::move(s), o); }
};

struct mode {
  std::string_view name;
  int (*run)(std::string_view task, const std::string& file, const std::string& out);
};
constexpr mode modes[] = {
    {"view", &with_source<view_mode>},
    {"record", &with_source<record_mode>},
    {"parallel", &with_source<parallel_mode>},
};
// A task is listed once it is implemented in every mode above.
constexpr std::string_view tasks[] = {"t1", "t2", "t3", "t4"};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"marcpp's program for the cross-library comparison: runs one task over an ISO 2709 file."};
  app.name("marcpp_tasks");
  std::string mode_name = "view", task, file, out = "/dev/null";
  bool list_modes = false, list_tasks = false;
  app.add_flag("--modes", list_modes, "print the modes this program has, then exit");
  app.add_flag("--tasks", list_tasks, "print the tasks this program has, then exit");
  app.add_option("--mode", mode_name,
                 "how records are read: view (record_view), record (owning record) or parallel (record_view, "
                 "parallel_reader)");
  app.add_option("-j,--threads", threads_option, "threads for --mode parallel (default: every core)");
  app.add_option("--batch-kib", batch_kib, "input KiB per batch for --mode parallel (default: the library's)");
  app.add_option("--max-batches", max_batches,
                 "batches alive at once for --mode parallel (default: the library's)");
  app.add_option("--source", source_option,
                 "how the file is read: file (marcpp::file_source: read in pieces, the default) or mmap "
                 "(marcpp::mmap_source: memory-mapped)")
      ->check(CLI::IsMember({"file", "mmap"}));
  app.add_option("task", task, "t1 (read), t2 (extract), t3 (round trip) or t4 (MARCXML)");
  app.add_option("file", file, "the ISO 2709 input");
  app.add_option("out", out, "where t3 writes its ISO 2709 output (default /dev/null)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  auto list = [](const auto& names) {
    std::string line;
    for (const auto& n : names) {
      if (!line.empty()) line += ' ';
      if constexpr (requires { n.name; })
        line += n.name;
      else
        line += n;
    }
    std::printf("%s\n", line.c_str());
    return 0;
  };
  if (list_modes) return list(modes);
  if (list_tasks) return list(tasks);

  const mode* m = nullptr;
  for (const auto& candidate : modes)
    if (candidate.name == mode_name) m = &candidate;
  bool known_task = false;
  for (auto t : tasks) known_task = known_task || t == task;
  if (!m || !known_task || file.empty()) {
    std::cerr << "marcpp_tasks: usage: marcpp_tasks [--mode MODE] TASK FILE [OUT]; see --modes and --tasks\n";
    return 2;
  }
  try {
    return m->run(task, file, out);
  } catch (const marcpp::error& e) {
    std::cerr << "marcpp_tasks: " << e.diagnostic().message << '\n';
    return 2;
  }
}
