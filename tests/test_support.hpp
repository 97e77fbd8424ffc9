// Helpers shared by the tests.
#pragma once

#include <marcpp/marcpp.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace test {

/// The elements of a range (a field's subfields, say) in a vector, for
/// random access in checks.
template <class Range>
auto list(const Range& r) {
  return std::vector<std::iter_value_t<decltype(r.begin())>>(r.begin(), r.end());
}

/// A file in the temporary directory holding `bytes`, removed at the end.
struct temp_file {
  std::filesystem::path path;
  temp_file(const std::string& name, std::string_view bytes)
      : path(std::filesystem::temp_directory_path() / ("marcpp-test-" + std::to_string(::getpid()) + "-" + name)) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

inline std::filesystem::path data_dir() { return MARCPP_TEST_DATA_DIR; }
inline std::filesystem::path crafted(const std::string& name) { return data_dir() / "crafted" / name; }

#ifdef MARCPP_CORPUS_DIR
inline std::filesystem::path corpus_dir() { return MARCPP_CORPUS_DIR; }
/// True if the shared corpus is present; otherwise says so once per call site.
inline bool have_corpus() {
  std::error_code ec;
  bool ok = std::filesystem::is_regular_file(corpus_dir() / "MANIFEST.tsv", ec);
  if (!ok) MESSAGE("the shared corpus is not at " << corpus_dir().string() << ": skipping the corpus checks");
  return ok;
}
#endif

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << p.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Everything a reader produced from an input.
struct outcome {
  std::vector<marcpp::record> records;
  std::vector<std::string> raws;  // raw bytes of each delivered record
  std::vector<marcpp::diagnostic> diags;
  std::vector<std::string> diag_raws;
  marcpp::read_stats stats;
  bool failed = false;
  marcpp::diagnostic error;

  [[nodiscard]] std::size_t count(marcpp::errc code) const {
    std::size_t n = 0;
    for (const auto& d : diags) n += d.code == code;
    return n;
  }
  [[nodiscard]] const marcpp::diagnostic* find(marcpp::errc code) const {
    for (const auto& d : diags)
      if (d.code == code) return &d;
    return nullptr;
  }
};

template <class Source>
outcome read_all(Source src, marcpp::read_options opts = {}) {
  outcome o;
  marcpp::reader r{std::move(src), opts};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    o.diags.push_back(d);
    o.diag_raws.emplace_back(raw);
  });
  marcpp::record_view v;
  while (r.next(v)) {
    o.records.emplace_back(v);
    o.raws.emplace_back(v.raw());
  }
  o.stats = r.stats();
  o.failed = r.failed();
  o.error = r.error();
  return o;
}

/// Everything a reader of a text format (MARCXML, JSON, .mrk) produced from
/// `bytes`: from memory, or (`chunk` > 0) from a stream read `chunk` bytes at a time.
template <template <class> class Reader>
outcome read_text(std::string_view bytes, marcpp::read_options opts = {}, std::size_t chunk = 0) {
  outcome o;
  auto run = [&](auto src) {
    Reader<decltype(src)> r{std::move(src), opts};
    r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
      o.diags.push_back(d);
      o.diag_raws.emplace_back(raw);
    });
    marcpp::record rec;
    while (r.next(rec)) {
      o.records.push_back(rec);
      o.raws.emplace_back(r.raw());
    }
    o.stats = r.stats();
    o.failed = r.failed();
    o.error = r.error();
  };
  if (chunk) {
    std::istringstream in{std::string(bytes)};
    run(marcpp::stream_source{in, chunk});
  } else {
    run(marcpp::memory_source{bytes});
  }
  return o;
}

/// A summary of an outcome, for comparing two ways of reading the same input.
inline std::string text_summary(const outcome& o) {
  std::string s;
  for (std::size_t i = 0; i < o.records.size(); ++i) s += o.raws[i] + "\n" + marcpp::to_line(o.records[i]);
  for (std::size_t i = 0; i < o.diags.size(); ++i) s += marcpp::to_string(o.diags[i]) + "|" + o.diag_raws[i] + "\n";
  s += o.failed ? marcpp::to_string(o.error) : std::string("ok");
  return s;
}

inline outcome read_bytes(std::string_view bytes, marcpp::read_options opts = {}) {
  return read_all(marcpp::memory_source{bytes}, opts);
}

inline marcpp::read_options with(marcpp::error_policy p) {
  marcpp::read_options o;
  o.policy = p;
  return o;
}

/// The one record in `bytes`, read under `policy` (fails the test otherwise).
inline marcpp::record one(std::string_view bytes, marcpp::error_policy p = marcpp::error_policy::strict) {
  auto o = read_bytes(bytes, with(p));
  REQUIRE_MESSAGE(o.records.size() == 1, "expected one record, got " << o.records.size()
                                              << (o.failed ? " (" + marcpp::to_string(o.error) + ")" : ""));
  return o.records.front();
}

/// The result of a command run through the shell.
struct command_result {
  int status = -1;
  std::string out, err;
};

/// Runs a shell command; captures standard output, and standard error
/// through a temporary file.
inline command_result run_command(const std::string& cmd) {
  static int counter = 0;
  auto err_path = std::filesystem::temp_directory_path() /
                  ("marcpp-cmd-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".err");
  command_result r;
  FILE* p = ::popen((cmd + " 2>" + err_path.string()).c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 65536> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::error_code ec;
  if (std::filesystem::exists(err_path, ec)) r.err = slurp(err_path);
  std::filesystem::remove(err_path, ec);
  return r;
}

/// `path` quoted for the shell.
inline std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// True if `program` can be run; otherwise says why the caller skips.
inline bool have_program(const std::string& program, const std::string& why) {
  if (run_command("command -v " + program + " >/dev/null").status == 0) return true;
  MESSAGE(program << " is not installed (" << why << "): skipping");
  return false;
}

/// Renders a record's content for comparisons across flavours.
template <class R>
std::string dump(const R& r) {
  return marcpp::to_line(r);
}

}  // namespace test
