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
// named (or for "-"); gzip and Zstandard input is decompressed on the way.
//
// MARCXML and MARC-in-JSON hold Unicode: records are written in UTF-8 (MARC-8
// text decoded, whatever leader/09 says; bytes that are not UTF-8 repaired).
// What a format cannot hold as it is has a substitute and marcpp's original
// form beside it (MARCXML is valid against MARC21slim.xsd unless
// --marcxml-as-is).
// --from-encoding, --to-encoding and --normalize convert every record (as
// marc-dump does); conversion faults follow the error policy. ISO 2709
// input is read on every core (--threads), with the same output and
// diagnostics as on one.
//
// Exit status: 0 every record was converted (warnings aside), 1 some
// records were repaired or skipped (or conversion stopped on an error), 2 it
// could not run. docs/marc-convert.md has the details.
// SPDX-License-Identifier: MIT

#include <marcpp/format.hpp>
#include <marcpp/marcpp.hpp>
#include <marcpp/open.hpp>
#if MARCPP_CONVERT_HAVE_ICU
#  include <marcpp/normalize.hpp>
#endif

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
#include <type_traits>
#include <vector>

namespace {

struct settings {
  std::vector<std::string> inputs;
  std::string output = "-";
  std::string quarantine;
  marcpp::format from = marcpp::format::detect;
  marcpp::format to = marcpp::format::unknown;
  marcpp::read_options read;
  bool strict = false, quiet = false, verbose = false;
  unsigned threads = 0;  // 0: every core
  // Character set conversion of every record (--from-encoding,
  // --to-encoding, --normalize); without it, only MARC-8 records bound for
  // MARCXML or MARC-in-JSON are converted, by the writer.
  bool convert = false;
  marcpp::encoding target = marcpp::encoding::utf8;
  marcpp::charset_options charset;
  marcpp::writer_options writer;
};

struct totals {
  std::uint64_t in = 0, out = 0, repaired = 0, skipped = 0, refused = 0, faults = 0, conversion_faults = 0;
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

// What converting one record gave, besides its text: what the character set
// conversion and the writer reported, and why the record is not written (if
// it is not).
struct outcome {
  std::vector<marcpp::diagnostic> diags;
  marcpp::diagnostic refusal;
  bool read_repaired = false;  // the reader repaired the record (it counts it)
  std::uint64_t end = 0;       // where the record ends in the input, for the progress line
  std::string_view raw;        // the record's bytes, for the quarantine file (valid in the sink)
};

// Converts one record into the text of the output format, appended to
// `text`. Touches nothing shared: it runs on every thread that reads.
template <class Record>
void convert_one(const Record& rec, const settings& s, std::string& text, outcome& o) {
  o.read_repaired = rec.repaired();
  o.end = rec.offset() + rec.raw().size();
  o.raw = rec.raw();
  if (!s.convert) {
    o.refusal = marcpp::record_writer::serialize(s.to, rec, text, s.writer, &o.diags);
    return;
  }
  marcpp::record converted;
  if (marcpp::diagnostic err = marcpp::convert_to(s.target, rec, converted, s.charset)) {
    o.refusal = std::move(err);
    return;
  }
  // The conversion's own diagnostics follow those of the record as read.
  const auto all = converted.diagnostics();
  o.diags.assign(all.begin() + static_cast<std::ptrdiff_t>(rec.diagnostics().size()), all.end());
  o.refusal = marcpp::record_writer::serialize(s.to, converted, text, s.writer, &o.diags);
}

// The serial end of a conversion: reports, writes, counts, quarantines, in
// input order, whichever way the records were read and converted.
class sink {
 public:
  sink(const settings& s, marcpp::record_writer& w, reporter& rep, std::ostream* quarantine, totals& t)
      : s_(s), w_(w), rep_(rep), quarantine_(quarantine), t_(t) {}

  // Sets a reader's diagnostic handler: print, and keep in the quarantine
  // file the bytes of each record that could not be read.
  template <class Reader>
  void watch(Reader& r, const std::string& name) {
    name_ = name;
    last_quarantined_ = marcpp::npos;
    r.on_diagnostic([this](const marcpp::diagnostic& d, std::string_view raw) {
      rep_.print(name_, d);
      if (quarantine_ && d.level == marcpp::severity::error && d.record_index != marcpp::npos &&
          d.code != marcpp::errc::too_many_errors && d.record_index != last_quarantined_ && !raw.empty()) {
        last_quarantined_ = d.record_index;
        quarantine_->write(raw.data(), static_cast<std::streamsize>(raw.size()));
      }
    });
  }

  // Hands on one converted record; `reader_faults` is what the reader has
  // counted so far. False: stop.
  bool take(const outcome& o, std::string_view text, std::uint64_t reader_faults) {
    bool repaired = false;
    for (const auto& d : o.diags) {
      rep_.print(name_, d);
      if (d.level != marcpp::severity::warning) {
        repaired = true;
        ++t_.conversion_faults;
      }
    }
    if (o.refusal) {
      ++t_.refused;
      rep_.print(name_, o.refusal);
      if (quarantine_ && !o.raw.empty()) quarantine_->write(o.raw.data(), static_cast<std::streamsize>(o.raw.size()));
      if (s_.strict) {
        const auto kind = static_cast<unsigned>(o.refusal.code);
        rep_.message(kind >= 900 || kind / 100 == 5
                         ? "stopped: --strict refuses a record whose text cannot be converted without a fault"
                         : "stopped: --strict refuses a record the output format cannot hold as it is");
        t_.stopped = true;
        return false;
      }
    } else {
      if (repaired && !o.read_repaired) ++t_.repaired;
      w_.write_serialized(text);
    }
    if (s_.read.max_errors != marcpp::npos &&
        reader_faults + t_.refused + t_.conversion_faults > s_.read.max_errors) {
      rep_.message("stopped: more than " + std::to_string(s_.read.max_errors) + " faults");
      t_.stopped = true;
      return false;
    }
    return true;
  }

  // Adds up what a reader counted.
  template <class Reader>
  void finish(const Reader& r) {
    const auto& st = r.stats();
    t_.in += st.records + st.skipped;
    t_.repaired += st.repaired;
    t_.skipped += st.skipped;
    t_.faults += st.faults;
    if (r.failed()) t_.stopped = true;
  }

 private:
  const settings& s_;
  marcpp::record_writer& w_;
  reporter& rep_;
  std::ostream* quarantine_;
  totals& t_;
  std::string name_;
  std::uint64_t last_quarantined_ = marcpp::npos;
};

// One input, whatever its format and however many threads read it: each
// record is converted where it is read and handed to the sink in input
// order.
void convert_input(marcpp::input& in, sink& out, reporter& rep, const settings& s, const totals& t,
                   std::uint64_t total_bytes) {
  out.watch(in, in.name());
  std::uint64_t n = 0;
  in.for_each(
      [&s](const marcpp::record_view& rec, std::string& text) {
        outcome o;
        convert_one(rec, s, text, o);  // ISO 2709 is written from its own bytes: no copy
        return o;
      },
      [&](std::string_view text, outcome&& o) {
        const std::uint64_t faults = in.stats().faults;
        if (!out.take(o, text, faults)) return false;
        if ((++n & 255) == 0) rep.progress(n, o.end, total_bytes, faults + t.refused + t.conversion_faults);
        return true;
      });
  out.finish(in);
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // Standard input is read on the parallel reader's input thread while the
  // output goes to std::cout from the in-order stage: a read from std::cin
  // must not flush std::cout (the tie would do so from the other thread).
  std::cin.tie(nullptr);
  CLI::App app{"Convert MARC records between ISO 2709, MARCXML, MARC-in-JSON, .mrk and the line format."};
  app.name("marc-convert");
  settings s;
  std::string from_name, to_name, from_encoding, to_encoding, normalize;
  bool lenient = false, skip = false;
  std::uint64_t max_errors = marcpp::npos;
  app.add_option("-f,--from", from_name, "input format: iso2709, marcxml, json, jsonl, mrk (default: detected)");
  app.add_option("-t,--to", to_name,
                 "output format: iso2709, marcxml, json, jsonl, mrk, text (default: from the -o extension, else marcxml)");
  app.add_option("-o,--output", s.output, "output file (default: standard output)");
  auto* o_strict = app.add_flag("--strict", s.strict,
                                "stop at the first record that cannot be read, converted or written as it is");
  auto* o_lenient = app.add_flag("--lenient", lenient, "repair what can be repaired, skip the rest (default)");
  auto* o_skip = app.add_flag("--skip", skip, "skip every record with a fault");
  o_strict->excludes(o_lenient)->excludes(o_skip);
  o_lenient->excludes(o_skip);
  app.add_option("--max-errors", max_errors, "stop after this many faults");
  app.add_option("--quarantine", s.quarantine, "write the bytes of records that could not be converted to this file");
  app.add_option("-j,--threads", s.threads, "threads for ISO 2709 input (default: every core; 1: one)");
  app.add_option("--from-encoding", from_encoding,
                 "read the text as marc8, utf8, or auto (leader/09 checked against the bytes)")
      ->check(CLI::IsMember({"marc8", "utf8", "auto"}));
  app.add_option("--to-encoding", to_encoding, "write the text in utf8 or marc8 (marc8: iso2709, mrk and text only)")
      ->check(CLI::IsMember({"utf8", "marc8"}));
  app.add_option("--normalize", normalize, "normalise the UTF-8 text: nfc or nfd")->check(CLI::IsMember({"nfc", "nfd"}));
  app.add_flag("--marcxml-as-is", s.writer.marcxml.as_is,
               "MARCXML: write what MARC21slim.xsd refuses but XML can hold as it is, not a valid substitute "
               "with the original in a <?marcpp?> instruction");
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

  // Character sets.
  s.convert = !from_encoding.empty() || !to_encoding.empty() || !normalize.empty();
  s.target = to_encoding == "marc8" ? marcpp::encoding::marc8 : marcpp::encoding::utf8;
  s.charset.policy = s.read.policy;
  s.charset.from = from_encoding == "marc8"  ? marcpp::source_encoding::marc8
                   : from_encoding == "utf8" ? marcpp::source_encoding::utf8
                                             : marcpp::source_encoding::detect;
  const bool unicode_only = s.to == marcpp::format::marcxml || s.to == marcpp::format::json || s.to == marcpp::format::jsonl;
  if (s.target == marcpp::encoding::marc8 && unicode_only) {
    std::cerr << "marc-convert: --to-encoding marc8 cannot be used with -t " << marcpp::to_string(s.to)
              << ": MARCXML and MARC-in-JSON hold only Unicode (use iso2709, mrk or text)\n";
    return 2;
  }
  if (!normalize.empty()) {
    if (s.target == marcpp::encoding::marc8) {
      std::cerr << "marc-convert: --normalize applies to UTF-8 output, not to --to-encoding marc8\n";
      return 2;
    }
#if MARCPP_CONVERT_HAVE_ICU
    s.charset.normalize = normalize == "nfc" ? marcpp::nfc : marcpp::nfd;
#else
    std::cerr << "marc-convert: --normalize needs ICU, which this build of marc-convert does not have\n";
    return 2;
#endif
  }
  s.writer.marcxml.strict_schema = s.strict;
  s.writer.marcxml.charset = s.charset;  // MARC-8 records bound for MARCXML or JSON, without --from-encoding...
  s.writer.json.charset = s.charset;

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
  int status = 0;
  {
    marcpp::record_writer w(*out, s.to, s.writer);
    sink records(s, w, rep, s.quarantine.empty() ? nullptr : &quarantine_file, t);
    std::string current;
    w.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view) { rep.print(current, d); });
    for (const std::string& input : s.inputs) {
      current = input == "-" ? std::string("<stdin>") : input;
      try {
        marcpp::open_options o;
        o.format = s.from;
        o.threads = s.threads;
        o.policy = s.read.policy;
        o.max_errors = s.read.max_errors;
        auto in = marcpp::open(input, o);
        convert_input(in, records, rep, s, t, file_size(input));
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
