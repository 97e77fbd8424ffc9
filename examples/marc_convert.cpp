// marc-convert: converts MARC records between every serialization marcpp
// reads and writes.
//
//   marc-convert [-f FORMAT] [-t FORMAT] [-o OUTPUT] [options] [INPUT...]
//
// Formats: iso2709, marcxml, json (a JSON array), jsonl (JSON Lines), mrk
// (MARCMaker/MarcEdit text), text (the yaz-marcdump line format, output
// only). The input format is detected from each input's first bytes unless
// -f names it; the output format comes from -t, else from the extension of
// -o, else MARCXML. Standard input and output are used when no file is
// named (or for "-").
//
// Exit status: 0 every record was converted (warnings aside), 1 some
// records were repaired or skipped (or conversion stopped on an error), 2 it
// could not run. docs/marc-convert.md has the details.
// SPDX-License-Identifier: MIT

#include <marcpp/format.hpp>
#include <marcpp/marcpp.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

struct settings {
  std::vector<std::string> inputs;
  std::string output = "-";
  std::string quarantine;
  marcpp::format from = marcpp::format::unknown;
  marcpp::format to = marcpp::format::unknown;
  marcpp::read_options read;
  bool strict = false, quiet = false, verbose = false;
};

struct totals {
  std::uint64_t in = 0, out = 0, repaired = 0, skipped = 0, refused = 0, faults = 0;
  bool stopped = false;
};

// Prints diagnostics on standard error, at most `per_kind` of each kind
// (all with --verbose), and counts the rest for the summary.
class reporter {
 public:
  reporter(bool quiet, bool verbose) : quiet_(quiet), verbose_(verbose) {}
  void print(const std::string& where, const marcpp::diagnostic& d) {
    if (quiet_) return;
    if (!verbose_ && ++shown_[d.code] > per_kind) {
      ++hidden_[d.code];
      return;
    }
    clear_progress();
    std::cerr << "marc-convert: " << where << ": " << marcpp::to_string(d) << '\n';
  }
  void message(const std::string& text) {
    if (quiet_) return;
    clear_progress();
    std::cerr << "marc-convert: " << text << '\n';
  }
  void hidden_summary() {
    if (quiet_) return;
    for (const auto& [code, n] : hidden_)
      std::cerr << "marc-convert: " << n << " more E" << static_cast<unsigned>(code) << ' ' << marcpp::to_string(code)
                << " diagnostics not shown (--verbose shows all)\n";
  }

  // A progress line, on a terminal, once the work has taken a second.
  void progress(std::uint64_t records, std::uint64_t bytes, std::uint64_t total, std::uint64_t faults) {
    if (quiet_ || !tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    char line[200];
    if (total)
      std::snprintf(line, sizeof line, "\r%3.0f%%  %.1f of %.1f MB  %llu records  %.0f records/s  %llu errors",
                    100.0 * static_cast<double>(bytes) / static_cast<double>(total), static_cast<double>(bytes) / 1e6,
                    static_cast<double>(total) / 1e6, static_cast<unsigned long long>(records),
                    static_cast<double>(records) / secs, static_cast<unsigned long long>(faults));
    else
      std::snprintf(line, sizeof line, "\r%.1f MB  %llu records  %.0f records/s  %llu errors",
                    static_cast<double>(bytes) / 1e6, static_cast<unsigned long long>(records),
                    static_cast<double>(records) / secs, static_cast<unsigned long long>(faults));
    std::cerr << line << std::flush;
    shown_progress_ = true;
  }
  void clear_progress() {
    if (shown_progress_) std::cerr << "\r\033[K" << std::flush;
    shown_progress_ = false;
  }

 private:
  static constexpr unsigned per_kind = 20;
  bool quiet_, verbose_;
  bool tty_ = ::isatty(2) != 0;
  bool shown_progress_ = false;
  std::map<marcpp::errc, unsigned> shown_;
  std::map<marcpp::errc, std::uint64_t> hidden_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

std::uint64_t file_size(const std::string& path) {
  std::error_code ec;
  if (path == "-" || !std::filesystem::is_regular_file(path, ec)) return 0;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

marcpp::format format_of_extension(const std::string& path) {
  auto ext = std::filesystem::path(path).extension().string();
  if (ext == ".xml") return marcpp::format::marcxml;
  if (ext == ".json") return marcpp::format::json;
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".ndj") return marcpp::format::jsonl;
  if (ext == ".mrk") return marcpp::format::mrk;
  if (ext == ".mrc" || ext == ".marc" || ext == ".iso") return marcpp::format::iso2709;
  if (ext == ".txt") return marcpp::format::text;
  return marcpp::format::unknown;
}

// Converts the records of one input. A parallel path (--threads N, once the
// parallel reader exists) replaces this loop: it reads batches of records
// on several threads and hands them to the same writer, in order.
template <class Reader>
void convert(Reader& r, const std::string& name, marcpp::record_writer& w, reporter& rep, std::ostream* quarantine,
             const settings& s, totals& t, std::uint64_t total_bytes) {
  std::uint64_t last_quarantined = marcpp::npos;
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    rep.print(name, d);
    // A record that could not be read: its bytes go to the quarantine file, once.
    if (quarantine && d.level == marcpp::severity::error && d.record_index != marcpp::npos &&
        d.code != marcpp::errc::too_many_errors && d.record_index != last_quarantined && !raw.empty()) {
      last_quarantined = d.record_index;
      quarantine->write(raw.data(), static_cast<std::streamsize>(raw.size()));
    }
  });
  auto written = [&](const auto& rec, std::string_view raw) {
    marcpp::diagnostic d = w.write(rec);
    if (!d) return true;
    ++t.refused;
    rep.print(name, d);
    if (quarantine && !raw.empty()) quarantine->write(raw.data(), static_cast<std::streamsize>(raw.size()));
    if (s.strict) {
      rep.message("stopped: --strict refuses a record the output format cannot hold as it is");
      t.stopped = true;
      return false;
    }
    if (s.read.max_errors != marcpp::npos && r.stats().faults + t.refused > s.read.max_errors) {
      rep.message("stopped: more than " + std::to_string(s.read.max_errors) + " faults");
      t.stopped = true;
      return false;
    }
    return true;
  };
  std::uint64_t n = 0;
  if constexpr (marcpp::reader_format<Reader> == marcpp::format::iso2709) {
    marcpp::record_view rec;  // zero-copy: ISO 2709 input is written from its own bytes
    while (r.next(rec)) {
      if (!written(rec, rec.raw())) break;
      if ((++n & 255) == 0) rep.progress(n, rec.offset() + rec.raw().size(), total_bytes, r.stats().faults + t.refused);
    }
  } else {
    marcpp::record rec;
    while (r.next(rec)) {
      if (!written(rec, r.raw())) break;
      if ((++n & 255) == 0) rep.progress(n, r.position(), total_bytes, r.stats().faults + t.refused);
    }
  }
  const auto& st = r.stats();
  t.in += st.records + st.skipped;
  t.repaired += st.repaired;
  t.skipped += st.skipped;
  t.faults += st.faults;
  if (r.failed()) t.stopped = true;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"Convert MARC records between ISO 2709, MARCXML, MARC-in-JSON, .mrk and the line format."};
  app.name("marc-convert");
  settings s;
  std::string from_name, to_name;
  bool lenient = false, skip = false;
  std::uint64_t max_errors = marcpp::npos;
  app.add_option("-f,--from", from_name, "input format: iso2709, marcxml, json, jsonl, mrk (default: detected)");
  app.add_option("-t,--to", to_name,
                 "output format: iso2709, marcxml, json, jsonl, mrk, text (default: from the -o extension, else marcxml)");
  app.add_option("-o,--output", s.output, "output file (default: standard output)");
  auto* o_strict = app.add_flag("--strict", s.strict,
                                "stop at the first record that cannot be read, or written as it is");
  auto* o_lenient = app.add_flag("--lenient", lenient, "repair what can be repaired, skip the rest (default)");
  auto* o_skip = app.add_flag("--skip", skip, "skip every record with a fault");
  o_strict->excludes(o_lenient)->excludes(o_skip);
  o_lenient->excludes(o_skip);
  app.add_option("--max-errors", max_errors, "stop after this many faults");
  app.add_option("--quarantine", s.quarantine, "write the bytes of records that could not be converted to this file");
  app.add_flag("-q,--quiet", s.quiet, "print no diagnostics, progress or summary");
  app.add_flag("-v,--verbose", s.verbose, "print every diagnostic (default: the first 20 of each kind)");
  app.add_option("inputs", s.inputs, "input files (standard input if none, or -)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!from_name.empty()) {
    auto f = marcpp::parse_format(from_name);
    if (!f || *f == marcpp::format::text) {
      std::cerr << "marc-convert: cannot read the format \"" << from_name << "\" (iso2709, marcxml, json, jsonl, mrk)\n";
      return 2;
    }
    s.from = *f;
  }
  if (!to_name.empty()) {
    auto f = marcpp::parse_format(to_name);
    if (!f) {
      std::cerr << "marc-convert: unknown output format \"" << to_name << "\" (iso2709, marcxml, json, jsonl, mrk, text)\n";
      return 2;
    }
    s.to = *f;
  } else if (s.output != "-") {
    s.to = format_of_extension(s.output);
  }
  if (s.to == marcpp::format::unknown) s.to = marcpp::format::marcxml;
  if (s.inputs.empty()) s.inputs.emplace_back("-");
  s.read.policy = s.strict ? marcpp::error_policy::strict : skip ? marcpp::error_policy::skip : marcpp::error_policy::lenient;
  s.read.max_errors = max_errors;

  std::ofstream out_file;
  std::ostream* out = &std::cout;
  if (s.output != "-") {
    out_file.open(s.output, std::ios::binary | std::ios::trunc);
    if (!out_file) {
      std::cerr << "marc-convert: " << s.output << ": cannot open for writing\n";
      return 2;
    }
    out = &out_file;
  }
  std::ofstream quarantine_file;
  if (!s.quarantine.empty()) {
    quarantine_file.open(s.quarantine, std::ios::binary | std::ios::trunc);
    if (!quarantine_file) {
      std::cerr << "marc-convert: " << s.quarantine << ": cannot open for writing\n";
      return 2;
    }
  }

  reporter rep(s.quiet, s.verbose);
  totals t;
  marcpp::writer_options wo;
  wo.marcxml.strict_schema = s.strict;
  int status = 0;
  {
    marcpp::record_writer w(*out, s.to, wo);
    std::string current;
    w.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { rep.print(current, d); });
    for (const std::string& input : s.inputs) {
      current = input == "-" ? std::string("<stdin>") : input;
      try {
        marcpp::with_format_reader(input, s.from, s.read, [&](auto& r) {
          convert(r, current, w, rep, s.quarantine.empty() ? nullptr : &quarantine_file, s, t, file_size(input));
          return 0;
        });
      } catch (const marcpp::error& e) {
        rep.clear_progress();
        std::cerr << "marc-convert: " << e.diagnostic().message << '\n';
        status = 2;
        break;
      }
      if (t.stopped) break;
    }
    w.finish();
    t.out = w.count();
    if (w.failed()) {
      std::cerr << "marc-convert: " << (s.output == "-" ? std::string("standard output") : s.output)
                << ": writing failed\n";
      status = 2;
    }
  }
  rep.clear_progress();
  rep.hidden_summary();
  if (!s.quiet)
    std::cerr << "marc-convert: " << t.in << " records in, " << t.out << " out, " << t.repaired << " repaired, "
              << t.skipped + t.refused << " skipped\n";
  if (status) return status;
  return t.repaired || t.skipped || t.refused || t.stopped ? 1 : 0;
}
