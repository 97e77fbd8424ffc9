// marc-dump: prints MARC records in the line format yaz-marcdump prints.
//
//   marc-dump [--strict|--lenient|--skip] [--max-errors N] [--threads N]
//             [--range START:END] [--from-encoding marc8|utf8|auto]
//             [--to-encoding utf8|marc8] [--quiet] [FILE...]
//
// Reads ISO 2709 (plain, gzip or Zstandard) from each FILE (standard input
// when none is given, or for "-"). Records go to standard output, byte for
// byte as yaz-marcdump prints sound records, whatever the number of threads;
// diagnostics go to standard error with their record index, byte offset and
// stable error kind.
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

#include <marcpp/marcpp.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <unistd.h>
#include <iostream>
#include <string>
#include <vector>

namespace {

// Standard output, written a piece at a time: `buf` is written out once it
// holds `piece` bytes. It keeps its room: a buffer that grows is copied
// into fresh memory, and fresh pages cost more than the copy.
struct output {
  static constexpr std::size_t piece = std::size_t{256} << 10;
  std::string buf;
  output() { buf.reserve(piece + (std::size_t{64} << 10)); }
  void write(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }
  void flush() {
    if (!buf.empty()) write(buf);
    buf.clear();
  }
};

// Standard error, for diagnostics: lines gather until `piece` bytes have
// (a file with hundreds of thousands of warnings then costs a few hundred
// writes, not one or more for each line), or go out at once when `at_once`
// (standard output and error both on a terminal, where their order shows).
struct error_output {
  static constexpr std::size_t piece = std::size_t{64} << 10;
  std::string buf;
  bool at_once = false;
  template <class... Parts>
  void line(const Parts&... parts) {
    buf += "marc-dump: ";
    (buf += ... += parts);
    buf += '\n';
    if (at_once || buf.size() >= piece) flush();
  }
  void flush() {
    if (!buf.empty()) std::fwrite(buf.data(), 1, buf.size(), stderr);
    buf.clear();
  }
};

// "START:END" in bytes; either side may be empty (0, the end).
bool parse_range(const std::string& s, std::uint64_t& start, std::uint64_t& end) {
  auto colon = s.find(':');
  if (colon == std::string::npos) return false;
  try {
    start = colon ? std::stoull(s.substr(0, colon)) : 0;
    end = colon + 1 < s.size() ? std::stoull(s.substr(colon + 1)) : ~std::uint64_t{0};
  } catch (const std::exception&) {
    return false;
  }
  return start <= end;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::cin.tie(nullptr);  // standard input may be read on another thread than the one that prints
  CLI::App app{"Print MARC records (ISO 2709, plain, gzip or zstd) in the line format of yaz-marcdump."};
  app.name("marc-dump");
  std::vector<std::string> files;
  bool strict = false, lenient = false, skip = false, quiet = false;
  std::uint64_t max_errors = marcpp::npos;
  unsigned threads = 0;
  std::string range;
  auto* o_strict = app.add_flag("--strict", strict, "stop at the first structural error");
  auto* o_lenient = app.add_flag("--lenient", lenient, "repair what can be repaired, skip the rest (default)");
  auto* o_skip = app.add_flag("--skip", skip, "skip every record with a structural fault");
  o_strict->excludes(o_lenient)->excludes(o_skip);
  o_lenient->excludes(o_skip);
  app.add_option("--max-errors", max_errors, "stop after this many faults");
  app.add_option("-j,--threads", threads, "threads to parse with (default: every core)");
  app.add_option("--range", range,
                 "only the records whose first byte lies in START:END (bytes; of a plain file), to share a "
                 "file between processes");
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
  std::uint64_t range_start = 0, range_end = 0;
  if (!range.empty() && !parse_range(range, range_start, range_end)) {
    std::cerr << "marc-dump: --range wants START:END in bytes, START <= END\n";
    return 2;
  }

  marcpp::open_options opts;
  opts.policy = strict ? marcpp::error_policy::strict
                       : skip ? marcpp::error_policy::skip : marcpp::error_policy::lenient;
  opts.max_errors = max_errors;
  opts.threads = threads;

  // Character set conversion, when asked for: to UTF-8 as the records are
  // read (on the reading threads); to MARC-8 here.
  const bool convert = !from.empty() || !to.empty();
  marcpp::charset_options copts;
  copts.policy = opts.policy;
  copts.from = from == "marc8"  ? marcpp::source_encoding::marc8
               : from == "utf8" ? marcpp::source_encoding::utf8
                                : marcpp::source_encoding::detect;
  const bool to_marc8 = convert && to == "marc8";
  opts.to_utf8 = convert && !to_marc8;
  opts.charset = copts;

  output out;
  error_output diag_out;
  bool troubled = false;
  const bool interleave = ::isatty(1) && ::isatty(2);
  diag_out.at_once = interleave;
  for (const std::string& file : files) {
    const std::string name = file == "-" ? std::string("<stdin>") : file;
    // Diagnostics are printed as they come; stdout is flushed first only
    // when both streams go to a terminal, where the order shows.
    auto report = [&](const marcpp::diagnostic& d) {
      if (d.level != marcpp::severity::warning) troubled = true;
      if (!quiet) {
        if (interleave) {
          out.flush();
          std::fflush(stdout);
        }
        diag_out.line(name, ": ", marcpp::to_string(d));
      }
    };
    // The one pipeline: each record printed (and converted) where it is
    // parsed, on every thread that reads, and handed on in input order.
    // A record's conversion diagnostics travel with its text.
    struct printed {
      std::vector<marcpp::diagnostic> diags;
      bool refused = false;
    };
    auto dump = [&](marcpp::input& in) {
      in.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { report(d); });
      bool refused_stop = false;
      in.for_each(
          [&](const marcpp::record_view& rec, std::string& text) {
            printed p;
            if (!to_marc8) {
              marcpp::write_line(rec, text);
              return p;
            }
            marcpp::record converted;
            if (marcpp::diagnostic err = marcpp::to_marc8(rec, converted, copts)) {
              p.diags.push_back(std::move(err));
              p.refused = true;
              return p;
            }
            // The conversion's own diagnostics follow those of the record as read.
            const auto ds = converted.diagnostics();
            p.diags.assign(ds.begin() + static_cast<std::ptrdiff_t>(rec.diagnostics().size()), ds.end());
            marcpp::write_line(converted, text);
            return p;
          },
          [&](std::string_view text, printed&& p) {
            for (const auto& d : p.diags) report(d);
            if (p.refused && opts.policy == marcpp::error_policy::strict) {
              refused_stop = true;
              return false;
            }
            out.buf += text;
            if (out.buf.size() >= output::piece) out.flush();
            return true;
          });
      out.flush();
      return in.failed() || refused_stop;
    };
    try {
      bool stopped;
      if (!range.empty()) {
        marcpp::mmap_source whole{file};
        if (marcpp::detect_compression(whole.bytes().substr(0, 4)) != marcpp::compression::none) {
          out.flush();
          diag_out.line(name, ": --range needs a plain (uncompressed) file");
          diag_out.flush();
          return 2;
        }
        marcpp::open_options o = opts;
        o.format = marcpp::format::iso2709;
        auto in = marcpp::open(marcpp::range_source(whole.bytes(), range_start, range_end), o, name);
        stopped = dump(in);
      } else {
        marcpp::open_options o = opts;
        o.format = marcpp::format::iso2709;
        auto in = marcpp::open(file, o);
        stopped = dump(in);
      }
      if (stopped) {
        troubled = true;
        break;
      }
    } catch (const marcpp::error& e) {
      out.flush();
      diag_out.line(e.diagnostic().message);
      diag_out.flush();
      return 2;
    }
  }
  out.flush();
  std::fflush(stdout);
  diag_out.flush();
  return troubled ? 1 : 0;
}
