// marc-dump: prints MARC records in the line format yaz-marcdump prints.
//
//   marc-dump [--strict|--lenient|--skip] [--max-errors N] [--quiet] [FILE...]
//
// Reads ISO 2709 from each FILE (standard input when none is given, or for
// "-"). Records go to standard output, byte for byte as yaz-marcdump prints
// sound records; diagnostics go to standard error with their record index,
// byte offset and stable error kind.
//
// Exit status: 0 every record was clean, 1 some records were repaired or
// skipped (or reading stopped on an error), 2 it could not run.
// SPDX-License-Identifier: MIT

#include <marcpp/input.hpp>
#include <marcpp/line_writer.hpp>
#include <marcpp/marcpp.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct output {
  std::string buf;
  void flush() {
    if (!buf.empty()) std::fwrite(buf.data(), 1, buf.size(), stdout);
    buf.clear();
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"Print MARC records (ISO 2709) in the line format of yaz-marcdump."};
  app.name("marc-dump");
  std::vector<std::string> files;
  bool strict = false, lenient = false, skip = false, quiet = false;
  std::uint64_t max_errors = marcpp::npos;
  auto* o_strict = app.add_flag("--strict", strict, "stop at the first structural error");
  auto* o_lenient = app.add_flag("--lenient", lenient, "repair what can be repaired, skip the rest (default)");
  auto* o_skip = app.add_flag("--skip", skip, "skip every record with a structural fault");
  o_strict->excludes(o_lenient)->excludes(o_skip);
  o_lenient->excludes(o_skip);
  app.add_option("--max-errors", max_errors, "stop after this many faults");
  app.add_flag("-q,--quiet", quiet, "do not print diagnostics");
  app.add_option("files", files, "ISO 2709 files (standard input if none, or -)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (files.empty()) files.emplace_back("-");

  marcpp::read_options opts;
  opts.policy = strict ? marcpp::error_policy::strict
                       : skip ? marcpp::error_policy::skip : marcpp::error_policy::lenient;
  opts.max_errors = max_errors;

  output out;
  bool troubled = false;
  for (const std::string& file : files) {
    const std::string name = file == "-" ? std::string("<stdin>") : file;
    try {
      bool stopped = marcpp::with_reader(file, opts, [&](auto& r) {
        r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) {
          if (d.level != marcpp::severity::warning) troubled = true;
          if (!quiet) {
            out.flush();
            std::fflush(stdout);
            std::cerr << "marc-dump: " << name << ": " << marcpp::to_string(d) << '\n';
          }
        });
        marcpp::record_view rec;
        while (r.next(rec)) {
          marcpp::write_line(rec, out.buf);
          if (out.buf.size() >= (std::size_t{1} << 20)) out.flush();
        }
        return r.failed();
      });
      if (stopped) {
        troubled = true;
        break;
      }
    } catch (const marcpp::error& e) {
      out.flush();
      std::cerr << "marc-dump: " << e.diagnostic().message << '\n';
      return 2;
    }
  }
  out.flush();
  std::fflush(stdout);
  return troubled ? 1 : 0;
}
