// marc-index: an index of an ISO 2709 file, to fetch records by number or
// by their 001 without scanning the file.
//
//   marc-index build FILE [--threads N] [--index PATH]
//   marc-index get FILE --number N [--index PATH]
//   marc-index get FILE --id ID [--index PATH]
//
// `build` writes the sidecar index (FILE.marcidx unless --index says
// otherwise). `get` writes the records asked for, as ISO 2709, to standard
// output. Records are numbered from 0, as marcpp numbers them in
// diagnostics.
//
// Exit status: 0 done, 1 no such record (or it cannot be read or written),
// 2 could not run (no index, a stale or damaged index, bad options).
// SPDX-License-Identifier: MIT

#include <marcpp/marcpp.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  CLI::App app{"Index an ISO 2709 file, and fetch its records by number or by 001."};
  app.name("marc-index");
  app.require_subcommand(1);
  std::string file, index_path, id;
  std::uint64_t number = 0;
  unsigned threads = 0;

  auto* build = app.add_subcommand("build", "write the sidecar index of FILE");
  build->add_option("file", file, "the ISO 2709 file")->required();
  build->add_option("--index", index_path, "where to write the index (default: FILE.marcidx)");
  build->add_option("-j,--threads", threads, "threads to read with (default: every core)");

  auto* get = app.add_subcommand("get", "write records of FILE to standard output, as ISO 2709");
  get->add_option("file", file, "the ISO 2709 file")->required();
  get->add_option("--index", index_path, "the index (default: FILE.marcidx)");
  auto* o_number = get->add_option("--number", number, "the record with this number (0-based)");
  auto* o_id = get->add_option("--id", id, "every record whose 001 is ID");
  o_number->excludes(o_id);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*get && !*o_number && !*o_id) {
    std::cerr << "marc-index: get needs --number N or --id ID\n";
    return 2;
  }
  const std::filesystem::path side =
      index_path.empty() ? marcpp::default_index_path(file) : std::filesystem::path(index_path);

  if (*build) {
    marcpp::parallel_options po;
    po.threads = threads;
    if (auto err = marcpp::build_index(file, side, po)) {
      std::cerr << "marc-index: " << err.message << '\n';
      return 2;
    }
    marcpp::record_index idx;
    if (auto err = idx.open(file, side)) {
      std::cerr << "marc-index: " << err.message << '\n';
      return 2;
    }
    std::cerr << "marc-index: " << side.string() << ": " << idx.size() << " records\n";
    return 0;
  }

  marcpp::record_index idx;
  if (auto err = idx.open(file, side)) {
    std::cerr << "marc-index: " << err.message << " [E" << static_cast<unsigned>(err.code) << ' '
              << marcpp::to_string(err.code) << "]\n";
    if (err.code == marcpp::errc::io_error) std::cerr << "marc-index: build it with: marc-index build " << file << '\n';
    return 2;
  }
  std::string out;
  bool missing = false;
  auto emit = [&](std::uint64_t n) {
    marcpp::record_view rec;
    marcpp::diagnostic why;
    if (!idx.record_at(n, rec, &why)) {
      std::cerr << "marc-index: " << marcpp::to_string(why) << '\n';
      missing = true;
      return;
    }
    if (auto err = marcpp::write_iso2709(rec, out)) {
      std::cerr << "marc-index: " << marcpp::to_string(err) << '\n';
      missing = true;
    }
  };
  if (*o_number) {
    emit(number);
  } else {
    auto hits = idx.find(id);
    if (hits.empty()) {
      std::cerr << "marc-index: no record has 001 \"" << id << "\"\n";
      missing = true;
    }
    for (std::uint32_t n : hits) emit(n);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return missing ? 1 : 0;
}
