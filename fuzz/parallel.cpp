// The parallel reader against the sequential one (docs/big-files.md: "the
// same answers as the sequential reader"): records with their indices,
// offsets and diagnostics, every diagnostic the handler receives, in order,
// the statistics, and where strict or an error limit stops. With tiny
// batches (down to one byte and one record), so that most ranges begin
// inside a record and records are carried from batch to batch, over memory
// and over a stream or a file read by position.
//
// The last byte of the input also chooses the batch sizes, the batches in
// flight, the policy and the source (it stays part of the input).
#include "fuzz.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace {

using marcpp::error_policy;

struct outcome {
  std::vector<std::string> records;
  std::vector<std::string> diags;
  std::string end;
};

std::string describe(const marcpp::record_view& v) {
  std::string s = std::to_string(v.index()) + "@" + std::to_string(v.offset()) + ":" +
                  marcpp::detail::printable(v.raw()) + "|" + marcpp::to_line(v);
  for (const auto& d : v.diagnostics()) s += "[" + marcpp::to_string(d) + "]";
  return s;
}

template <class Reader>
std::string ending(const Reader& r) {
  const marcpp::read_stats s = r.stats();
  return (r.failed() ? marcpp::to_string(r.error()) : std::string("ok")) + " " + std::to_string(s.records) + "/" +
         std::to_string(s.repaired) + "/" + std::to_string(s.skipped) + "/" + std::to_string(s.warnings) + "/" +
         std::to_string(s.faults);
}

template <class Source>
outcome sequential(Source src, const marcpp::read_options& ro) {
  outcome o;
  marcpp::reader r{std::move(src), ro};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    o.diags.push_back(marcpp::to_string(d) + "#" + std::to_string(raw.size()));
  });
  marcpp::record_view v;
  while (r.next(v)) o.records.push_back(describe(v));
  o.end = ending(r);
  return o;
}

template <class Source>
outcome parallel(Source src, const marcpp::read_options& ro, const marcpp::parallel_options& po) {
  outcome o;
  marcpp::parallel_reader r{std::move(src), ro, po};
  r.on_diagnostic([&](const marcpp::diagnostic& d, std::string_view raw) {
    o.diags.push_back(marcpp::to_string(d) + "#" + std::to_string(raw.size()));
  });
  r.run([](const marcpp::record_view& v) { return describe(v); }, [&](std::string&& s) { o.records.push_back(std::move(s)); });
  o.end = ending(r);
  return o;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

void check_same(const outcome& par, const outcome& seq, const std::string& how) {
  FUZZ_SAME(joined(par.records), joined(seq.records), ("records differ, " + how).c_str());
  FUZZ_SAME(joined(par.diags), joined(seq.diags), ("diagnostics differ, " + how).c_str());
  FUZZ_SAME(par.end, seq.end, ("the end differs, " + how).c_str());
}

// A file of this process's own for the file source, rewritten for each input.
const std::filesystem::path& scratch_file() {
  static const std::filesystem::path p =
      std::filesystem::temp_directory_path() / ("marcpp-fuzz-parallel-" + std::to_string(::getpid()) + ".mrc");
  static const struct remover {
    ~remover() {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  } remove_at_exit;
  return p;
}

int one_input(const std::uint8_t* data, std::size_t size) {
  const std::string input(marcpp_fuzz::as_text(data, size));
  const unsigned p = size ? data[size - 1] : 0;
  static constexpr std::size_t batch_bytes[] = {1, 2, 7, 97, 700, 1u << 20};
  static constexpr std::size_t batch_records[] = {1, 2, 3, 16384};
  marcpp::parallel_options po;
  po.threads = 2;
  po.batch_bytes = batch_bytes[p % 6];
  po.batch_records = batch_records[(p / 6) % 4];
  po.max_batches = (p / 24) % 4;  // 0: one a thread
  marcpp::read_options ro;
  ro.policy = std::array{error_policy::lenient, error_policy::strict, error_policy::skip}[(p / 96) % 3];
  if (p % 5 == 4) ro.max_errors = p % 3;
  const std::string how = "batch_bytes " + std::to_string(po.batch_bytes) + ", batch_records " +
                          std::to_string(po.batch_records) + ", max_batches " + std::to_string(po.max_batches) +
                          ", policy " + std::to_string(static_cast<int>(ro.policy));

  const outcome seq = sequential(marcpp::memory_source{input}, ro);
  check_same(parallel(marcpp::memory_source{input}, ro, po), seq, "memory, " + how);
  if (p & 1) {
    std::istringstream in(input);
    check_same(parallel(marcpp::stream_source{in, 64 + size % 97}, ro, po), seq, "stream, " + how);
  } else {
    std::ofstream(scratch_file(), std::ios::binary | std::ios::trunc).write(input.data(), static_cast<std::streamsize>(size));
    check_same(sequential(marcpp::file_source{scratch_file(), 64 + size % 97}, ro), seq, "sequential file, " + how);
    check_same(parallel(marcpp::file_source{scratch_file()}, ro, po), seq, "file, " + how);
  }
  return 0;
}

}  // namespace

MARCPP_FUZZ_TARGET(parallel, one_input)
