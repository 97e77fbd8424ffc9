// What the fuzz targets share: the check that aborts, the registration of a
// target (as libFuzzer's entry point, or in the table the regression driver
// runs), and transcripts of what a reader did, for comparing two ways of
// reading the same input.
#pragma once

#include <marcpp/marcpp.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace marcpp_fuzz {

/// A target: called with one input; returns 0 (libFuzzer's convention).
using target_fn = int (*)(const std::uint8_t*, std::size_t);

inline std::map<std::string, target_fn>& targets() {
  static std::map<std::string, target_fn> table;
  return table;
}
inline bool register_target(const char* name, target_fn fn) {
  targets().emplace(name, fn);
  return true;
}

[[noreturn]] inline void fail(const char* file, int line, const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  if (!detail.empty()) std::fprintf(stderr, "%s\n", detail.c_str());
  std::fflush(stderr);
  std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Shows a transcript difference: the first line where `a` and `b` part.
inline std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  std::size_t from = a.rfind('\n', i);
  from = from == std::string::npos ? 0 : from + 1;
  auto line = [&](const std::string& s) {
    if (from >= s.size()) return std::string("<end>");
    return marcpp::detail::printable(std::string_view(s).substr(from, std::min<std::size_t>(s.find('\n', from) - from, 400)));
  };
  return "first difference at byte " + std::to_string(i) + ":\n  " + line(a) + "\n  " + line(b);
}

/// Everything a reader handed on, in order, as text: records (index,
/// offset, raw bytes, content, their diagnostics) and every diagnostic the
/// handler received (with the size of its bytes), then how reading ended.
struct transcript {
  std::string text;
  std::string content;  // the same without the records' raw bytes (an owning record has none)
  std::vector<marcpp::record> records;      // the records delivered
  std::vector<std::string> raws;            // their bytes as in the input
  std::vector<marcpp::diagnostic> diags;    // what the handler received
  std::vector<std::string> diag_raws;
  marcpp::read_stats stats;
  bool failed = false;
  marcpp::diagnostic error;

  void add_diagnostic(const marcpp::diagnostic& d, std::string_view raw) {
    const std::string line = "D " + marcpp::to_string(d) + " #" + std::to_string(raw.size()) + "\n";
    text += line;
    content += line;
    diags.push_back(d);
    diag_raws.emplace_back(raw);
  }
  template <class Record>
  void add_record(const Record& r, std::string_view raw) {
    const std::string where = "R " + std::to_string(r.index()) + "@" + std::to_string(r.offset());
    std::string body = "\n" + marcpp::to_line(r);
    for (const auto& d : r.diagnostics()) body += "  " + marcpp::to_string(d) + "\n";
    text += where + " " + marcpp::detail::printable(raw) + body;
    content += where + body;
    records.emplace_back(r);
    raws.emplace_back(raw);
  }
  template <class Reader>
  void finish(const Reader& r) {
    stats = r.stats();
    failed = r.failed();
    error = r.error();
    const std::string line = "E " + (failed ? marcpp::to_string(error) : std::string("ok")) + " " +
                             std::to_string(stats.records) + "/" + std::to_string(stats.repaired) + "/" +
                             std::to_string(stats.skipped) + "/" + std::to_string(stats.warnings) + "/" +
                             std::to_string(stats.faults) + "\n";
    text += line;
    content += line;
  }
};

/// True if a record carries a fault (a repair or an error), not only warnings.
template <class Record>
bool has_fault(const Record& r) {
  for (const auto& d : r.diagnostics())
    if (d.level != marcpp::severity::warning) return true;
  return false;
}

inline marcpp::read_options with(marcpp::error_policy p) {
  marcpp::read_options o;
  o.policy = p;
  return o;
}

}  // namespace marcpp_fuzz

#define FUZZ_CHECK(cond, detail)                                                          \
  do {                                                                                    \
    if (!(cond)) ::marcpp_fuzz::fail(__FILE__, __LINE__, #cond, std::string(detail)); \
  } while (0)

#define FUZZ_SAME(a, b, what)                                                                               \
  do {                                                                                                      \
    const auto& fuzz_a_ = (a);                                                                              \
    const auto& fuzz_b_ = (b);                                                                              \
    if (!(fuzz_a_ == fuzz_b_))                                                                              \
      ::marcpp_fuzz::fail(__FILE__, __LINE__, what, ::marcpp_fuzz::first_difference(fuzz_a_, fuzz_b_)); \
  } while (0)

// Defines the target `name`, whose body is `fn`: libFuzzer's entry point in
// a fuzzing build, an entry of the regression driver's table otherwise.
#ifdef MARCPP_FUZZ_LIBFUZZER
#  define MARCPP_FUZZ_TARGET(name, fn) \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { return fn(data, size); }
#else
#  define MARCPP_FUZZ_TARGET(name, fn) \
    [[maybe_unused]] static const bool marcpp_fuzz_registered_##name = ::marcpp_fuzz::register_target(#name, fn);
#endif
