// marc-dump: prints MARC records in the line format yaz-marcdump prints.
//
//   marc-dump [--strict|--lenient|--skip] [--max-errors N] [--quiet]
//             [--from-encoding marc8|utf8|auto] [--to-encoding utf8|marc8] [FILE...]
//
// Reads ISO 2709 from each FILE (standard input when none is given, or for
// "-"). Records go to standard output, byte for byte as yaz-marcdump prints
// sound records; diagnostics go to standard error with their record index,
// byte offset and stable error kind.
//
// By default the text is printed as its bytes are. --from-encoding and
// --to-encoding (like yaz-marcdump's -f and -t) convert it: the records are
// read as MARC-8, as UTF-8, or as each one's leader/09 and bytes say (auto,
// the default once either option is given), and printed in UTF-8 (the
// default) or MARC-8, leader/09 set to match. Conversion faults follow the
// error policy: lenient repairs (U+FFFD) and reports, skip drops the record,
// strict stops.
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
  std::string from, to;
  app.add_option("--from-encoding", from, "read the text as marc8, utf8, or auto (leader/09 checked against the bytes)")
      ->check(CLI::IsMember({"marc8", "utf8", "auto"}));
  app.add_option("--to-encoding", to, "print the text converted to utf8 or marc8")
      ->check(CLI::IsMember({"utf8", "marc8"}));
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

  // Character set conversion, when asked for.
  const bool convert = !from.empty() || !to.empty();
  marcpp::charset_options copts;
  copts.policy = opts.policy;
  copts.from = from == "marc8"  ? marcpp::source_encoding::marc8
               : from == "utf8" ? marcpp::source_encoding::utf8
                                : marcpp::source_encoding::detect;
  const marcpp::encoding target = to == "marc8" ? marcpp::encoding::marc8 : marcpp::encoding::utf8;

  output out;
  bool troubled = false;
  for (const std::string& file : files) {
    const std::string name = file == "-" ? std::string("<stdin>") : file;
    try {
      bool stopped = marcpp::with_reader(file, opts, [&](auto& r) {
        auto report = [&](const marcpp::diagnostic& d) {
          if (d.level != marcpp::severity::warning) troubled = true;
          if (!quiet) {
            out.flush();
            std::fflush(stdout);
            std::cerr << "marc-dump: " << name << ": " << marcpp::to_string(d) << '\n';
          }
        };
        r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { report(d); });
        marcpp::record_view rec;
        marcpp::record converted;
        while (r.next(rec)) {
          if (convert) {
            if (marcpp::diagnostic err = marcpp::convert_to(target, rec, converted, copts)) {
              report(err);
              if (opts.policy == marcpp::error_policy::strict) return true;
              continue;  // skip: the record is dropped
            }
            // The conversion's own diagnostics follow those of the record as read.
            const auto ds = converted.diagnostics();
            for (std::size_t i = rec.diagnostics().size(); i < ds.size(); ++i) report(ds[i]);
            marcpp::write_line(converted, out.buf);
          } else {
            marcpp::write_line(rec, out.buf);
          }
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
