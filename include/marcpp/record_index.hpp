// SPDX-License-Identifier: MIT
#pragma once

/// \file record_index.hpp
/// `marcpp::record_index`: record number -> byte offset and 001 -> record
/// numbers for an ISO 2709 file, kept in a small sidecar file that is
/// memory-mapped, so that a record is fetched by number or by its 001 in
/// constant time without scanning.

#include <marcpp/config.hpp>
#include <marcpp/detail/mmap.hpp>
#include <marcpp/detail/pages.hpp>
#include <marcpp/detail/xxhash.hpp>
#include <marcpp/error.hpp>
#include <marcpp/parallel_reader.hpp>
#include <marcpp/reader.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

MARCPP_NAMESPACE_BEGIN

#if MARCPP_HAS_EXCEPTIONS

namespace detail {

inline constexpr char index_magic[8] = {'M', 'A', 'R', 'C', 'P', 'P', 'I', 'X'};
inline constexpr std::uint32_t index_version = 1;
inline constexpr std::uint32_t index_byte_order = 0x01020304;

// The sidecar: this header, then (each section 8-byte aligned) the record
// offsets (u64 each), the hash slots (u32: id number + 1, 0 for empty), the
// ids, the postings (u32 record numbers, grouped by id) and the id bytes.
// The checksum is XXH3 over everything after the header.
struct index_header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t byte_order;
  std::uint64_t data_size;
  std::int64_t data_mtime;
  std::uint64_t records;
  std::uint64_t ids;
  std::uint64_t slots;
  std::uint64_t postings;
  std::uint64_t strings;
  std::uint64_t checksum;
};
static_assert(sizeof(index_header) == 80);

struct index_id {
  std::uint64_t hash;
  std::uint64_t str_off;
  std::uint32_t str_len;
  std::uint32_t post_begin;
  std::uint32_t post_count;
  std::uint32_t reserved;
};
static_assert(sizeof(index_id) == 32);

[[nodiscard]] constexpr std::uint64_t align8(std::uint64_t n) noexcept { return (n + 7) & ~std::uint64_t{7}; }

/// A control number as the index keys it: without leading and trailing blanks.
[[nodiscard]] inline std::string_view index_key(std::string_view id) noexcept {
  while (!id.empty() && id.front() == ' ') id.remove_prefix(1);
  while (!id.empty() && id.back() == ' ') id.remove_suffix(1);
  return id;
}

[[nodiscard]] inline std::int64_t mtime_of(const std::filesystem::path& p, std::error_code& ec) {
  auto t = std::filesystem::last_write_time(p, ec);
  return ec ? 0 : static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace detail

/// The sidecar path used by default: the data file's path plus `.marcidx`.
[[nodiscard]] inline std::filesystem::path default_index_path(const std::filesystem::path& data) {
  auto p = data;
  p += ".marcidx";
  return p;
}

/// Builds the index of the ISO 2709 file `data` with the parallel reader
/// (lenient policy) and writes it to `sidecar`. Records are numbered as the
/// readers number them in diagnostics (`diagnostic::record_index`): a
/// record the lenient reader cannot read keeps its number and its offset.
/// Returns an empty diagnostic on success.
inline diagnostic build_index(const std::filesystem::path& data, const std::filesystem::path& sidecar,
                              const parallel_options& po = {}) {
  auto fail = [](errc code, std::string msg) {
    diagnostic d;
    d.code = code;
    d.message = std::move(msg);
    return d;
  };
  std::error_code ec;
  const auto size = std::filesystem::file_size(data, ec);
  if (ec) return fail(errc::io_error, data.string() + ": " + ec.message());
  const std::int64_t mtime = detail::mtime_of(data, ec);
  if (ec) return fail(errc::io_error, data.string() + ": " + ec.message());

  // One entry per record, in file order; the ids, copied (the file is read
  // in pieces), lie one after another in `id_bytes`.
  struct entry {
    std::uint64_t offset;
    std::uint64_t id_at = 0;
    std::uint32_t id_len = 0;
    std::uint64_t hash = 0;  // of the id
  };
  std::vector<entry> entries;
  std::string id_bytes;
  auto id_of = [&](const entry& e) { return std::string_view(id_bytes.data() + e.id_at, e.id_len); };
  // The table is filled in the pipeline's serial stage, where every page
  // fault holds the whole run up: it starts with room for a record in each
  // KiB of the file (growing by doubling past that), and its pages are
  // mapped a step at a time, in one call each, before they are written.
  entries.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(size / 1024 + 1, std::uint64_t{1} << 22)));
  detail::pages_ahead pages;
  // Records come in file order: a record the reader delivers, or the error
  // that made it skip one.
  auto place = [&](std::uint64_t index, std::uint64_t offset, std::string_view id, std::uint64_t hash) {
    if (index >= entries.size()) {
      if (index >= entries.capacity()) entries.reserve(std::max<std::size_t>(2 * entries.capacity(), index + 1));
      pages.before_write(entries.data(), entries.size() * sizeof(entry), entries.capacity() * sizeof(entry),
                         (static_cast<std::size_t>(index) + 1 - entries.size()) * sizeof(entry),
                         std::size_t{256} << 10);
      entries.resize(index + 1, entry{0});
    }
    entries[index] = entry{offset, id_bytes.size(), static_cast<std::uint32_t>(id.size()), hash};
    id_bytes.append(id);
  };
  {
    parallel_reader r{file_source{data}, read_options{}, po};
    r.on_diagnostic([&](const diagnostic& d, std::string_view) {
      if (d.level == severity::error && d.record_index != npos) place(d.record_index, d.record_offset, {}, 0);
    });
    // The ids are found and hashed on the worker threads.
    struct found {
      std::uint64_t index, offset, hash = 0;
      std::string id;
    };
    r.run(
        [](const record_view& v) {
          found f{v.index(), v.offset(), 0, std::string(detail::index_key(v.control_number()))};
          if (!f.id.empty()) f.hash = detail::hash64(f.id.data(), f.id.size());
          return f;
        },
        [&](found&& f) { place(f.index, f.offset, f.id, f.hash); });
    if (entries.size() >= 0xFFFFFFFFu) return fail(errc::index_corrupt, "more than 4,294,967,294 records: too many to index");

    // Group the records by id: sort (hash, record number) as integers; a run
    // of one hash holds one id unless two ids collide, which sorting the
    // run by id (stably, keeping file order) then tells apart.
    struct keyed {
      std::uint64_t hash;
      std::uint32_t record;
    };
    std::vector<keyed> order;
    order.reserve(entries.size());
    for (std::uint32_t i = 0; i < entries.size(); ++i)
      if (entries[i].id_len) order.push_back(keyed{entries[i].hash, i});
    std::sort(order.begin(), order.end(), [](const keyed& a, const keyed& b) {
      return a.hash != b.hash ? a.hash < b.hash : a.record < b.record;
    });
    std::vector<detail::index_id> ids;
    std::vector<std::uint32_t> postings;
    std::string strings;
    postings.reserve(order.size());
    for (std::size_t k = 0; k < order.size();) {
      std::size_t end = k + 1;
      while (end < order.size() && order[end].hash == order[k].hash) ++end;
      const std::string_view first = id_of(entries[order[k].record]);
      bool one_id = true;
      for (std::size_t j = k + 1; j < end && one_id; ++j) one_id = id_of(entries[order[j].record]) == first;
      if (!one_id)
        std::stable_sort(order.begin() + static_cast<std::ptrdiff_t>(k), order.begin() + static_cast<std::ptrdiff_t>(end),
                         [&](const keyed& a, const keyed& b) { return id_of(entries[a.record]) < id_of(entries[b.record]); });
      for (std::size_t j = k; j < end; ++j) {
        const std::string_view id = id_of(entries[order[j].record]);
        if (j == k || (!one_id && id != id_of(entries[order[j - 1].record]))) {
          detail::index_id x{};
          x.hash = order[j].hash;
          x.str_off = strings.size();
          x.str_len = static_cast<std::uint32_t>(id.size());
          x.post_begin = static_cast<std::uint32_t>(postings.size());
          strings.append(id);
          ids.push_back(x);
        }
        postings.push_back(order[j].record);
        ++ids.back().post_count;
      }
      k = end;
    }
    std::uint64_t slots = 16;
    while (slots < 2 * ids.size()) slots *= 2;
    std::vector<std::uint32_t> table(slots, 0);
    for (std::uint32_t i = 0; i < ids.size(); ++i) {
      std::uint64_t s = ids[i].hash & (slots - 1);
      while (table[s]) s = (s + 1) & (slots - 1);
      table[s] = i + 1;
    }

    detail::index_header h{};
    std::memcpy(h.magic, detail::index_magic, 8);
    h.version = detail::index_version;
    h.byte_order = detail::index_byte_order;
    h.data_size = size;
    h.data_mtime = mtime;
    h.records = entries.size();
    h.ids = ids.size();
    h.slots = slots;
    h.postings = postings.size();
    h.strings = strings.size();

    std::string body;
    auto put = [&](const void* p, std::size_t n) {
      body.append(static_cast<const char*>(p), n);
      body.resize(detail::align8(body.size()), '\0');
    };
    std::vector<std::uint64_t> offsets(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) offsets[i] = entries[i].offset;
    put(offsets.data(), offsets.size() * sizeof(std::uint64_t));
    put(table.data(), table.size() * sizeof(std::uint32_t));
    put(ids.data(), ids.size() * sizeof(detail::index_id));
    put(postings.data(), postings.size() * sizeof(std::uint32_t));
    put(strings.data(), strings.size());
    h.checksum = detail::hash64(body.data(), body.size());

    auto tmp = sidecar;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(&h), sizeof h);
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
      if (!out) return fail(errc::io_error, tmp.string() + ": cannot write the index");
    }
    std::filesystem::rename(tmp, sidecar, ec);
    if (ec) return fail(errc::io_error, sidecar.string() + ": " + ec.message());
  }
  return {};
}

/// An ISO 2709 file and its index, both memory-mapped.
///
///     marcpp::record_index idx;
///     if (auto err = idx.open("big.mrc")) { std::cerr << marcpp::to_string(err); return; }
///     marcpp::record_view rec;
///     idx.record_at(12345, rec);                  // by number, O(1)
///     for (auto n : idx.find("ocm12345678")) ...  // by 001, O(1)
class record_index {
 public:
  record_index() = default;

  /// Maps `data` and its sidecar (`default_index_path(data)` unless given),
  /// checking the sidecar's version, checksum and every bound, and that it
  /// was made from this file as it is now (size and modification time). A
  /// stale index (`index_stale`) or a damaged one (`index_corrupt`) is
  /// reported and not used.
  diagnostic open(const std::filesystem::path& data, const std::filesystem::path& sidecar = {}) {
    *this = record_index{};
    const auto side = sidecar.empty() ? default_index_path(data) : sidecar;
    auto fail = [&](errc code, std::string msg) {
      *this = record_index{};
      diagnostic d;
      d.code = code;
      d.message = side.string() + ": " + std::move(msg);
      return d;
    };
    data_ = std::make_unique<detail::mapped_file>();
    side_ = std::make_unique<detail::mapped_file>();
    if (auto e = data_->open(data); !e.empty()) return fail(errc::io_error, e);
    if (auto e = side_->open(side); !e.empty()) return fail(errc::io_error, e);
    const char* p = side_->data();
    const std::size_t n = side_->size();
    detail::index_header h{};
    if (n < sizeof h) return fail(errc::index_corrupt, "too short to be an index");
    std::memcpy(&h, p, sizeof h);
    if (std::memcmp(h.magic, detail::index_magic, 8) != 0) return fail(errc::index_corrupt, "not a marcpp index");
    if (h.version != detail::index_version)
      return fail(errc::index_corrupt, "index version " + std::to_string(h.version) + ", this library reads version " +
                                           std::to_string(detail::index_version));
    if (h.byte_order != detail::index_byte_order) return fail(errc::index_corrupt, "written with another byte order");
    std::error_code ec;
    const std::int64_t mtime = detail::mtime_of(data, ec);
    if (h.data_size != data_->size() || h.data_mtime != mtime)
      return fail(errc::index_stale, "the index was built from another version of " + data.string() +
                                         " (size or modification time differ); rebuild it");
    // Section bounds.
    const std::uint64_t limit = 0xFFFFFFFFFFull;
    if (h.records > limit || h.ids > limit || h.slots > limit || h.postings > limit || h.strings > limit ||
        (h.slots & (h.slots - 1)) != 0 || h.slots < h.ids)
      return fail(errc::index_corrupt, "impossible section sizes");
    std::uint64_t at = sizeof h;
    const std::uint64_t offsets_at = at;
    at += detail::align8(h.records * 8);
    const std::uint64_t slots_at = at;
    at += detail::align8(h.slots * 4);
    const std::uint64_t ids_at = at;
    at += detail::align8(h.ids * sizeof(detail::index_id));
    const std::uint64_t postings_at = at;
    at += detail::align8(h.postings * 4);
    const std::uint64_t strings_at = at;
    at += detail::align8(h.strings);
    if (at != n) return fail(errc::index_corrupt, "the file size does not match its sections");
    if (detail::hash64(p + sizeof h, n - sizeof h) != h.checksum)
      return fail(errc::index_corrupt, "the checksum does not match: the index is damaged");
    offsets_ = {reinterpret_cast<const std::uint64_t*>(p + offsets_at), h.records};
    slots_ = {reinterpret_cast<const std::uint32_t*>(p + slots_at), h.slots};
    ids_ = {reinterpret_cast<const detail::index_id*>(p + ids_at), h.ids};
    postings_ = {reinterpret_cast<const std::uint32_t*>(p + postings_at), h.postings};
    strings_ = {p + strings_at, h.strings};
    // Every bound is checked without a sum that could wrap around: the
    // numbers are the file's, and a damaged file may hold any.
    auto within = [](std::uint64_t from, std::uint64_t len, std::uint64_t size) {
      return from <= size && len <= size - from;
    };
    for (std::uint64_t off : offsets_)
      if (off >= data_->size()) return fail(errc::index_corrupt, "a record offset lies past the data file");
    // A lookup probes slots until it meets an empty one: a table with none
    // would make a lookup of a missing id go round forever.
    bool empty_slot = slots_.empty();
    for (std::uint32_t s : slots_) {
      if (s > h.ids) return fail(errc::index_corrupt, "a hash slot names no id");
      empty_slot = empty_slot || s == 0;
    }
    if (!empty_slot) return fail(errc::index_corrupt, "the hash table has no empty slot");
    for (const auto& id : ids_)
      if (!within(id.str_off, id.str_len, h.strings) || !within(id.post_begin, id.post_count, h.postings))
        return fail(errc::index_corrupt, "an id points past its section");
    for (std::uint32_t r : postings_)
      if (r >= h.records) return fail(errc::index_corrupt, "a posting names no record");
    open_ = true;
    return {};
  }

  [[nodiscard]] bool is_open() const noexcept { return open_; }
  /// Records indexed.
  [[nodiscard]] std::size_t size() const noexcept { return offsets_.size(); }
  /// Byte offset of record `n` (0-based) in the data file.
  [[nodiscard]] std::uint64_t offset(std::size_t n) const noexcept { return offsets_[n]; }
  /// The data file's bytes.
  [[nodiscard]] std::string_view data() const noexcept {
    return data_ ? std::string_view(data_->data(), data_->size()) : std::string_view{};
  }

  /// Numbers of the records whose 001 is `id` (blanks around it ignored), in
  /// file order; empty if none.
  [[nodiscard]] std::span<const std::uint32_t> find(std::string_view id) const noexcept {
    id = detail::index_key(id);
    if (!open_ || id.empty() || slots_.empty()) return {};
    const std::uint64_t h = detail::hash64(id.data(), id.size());
    const std::uint64_t mask = slots_.size() - 1;
    for (std::uint64_t s = h & mask;; s = (s + 1) & mask) {
      const std::uint32_t slot = slots_[s];
      if (!slot) return {};
      const detail::index_id& e = ids_[slot - 1];
      if (e.hash == h && std::string_view(strings_.data() + e.str_off, e.str_len) == id)
        return postings_.subspan(e.post_begin, e.post_count);
    }
  }

  /// Reads record `n` into `out` (lenient policy); false, with `*error` set
  /// if given, if `n` is out of range or the record cannot be read.
  bool record_at(std::size_t n, record_view& out, diagnostic* error = nullptr) const {
    if (!open_ || n >= size()) {
      if (error) {
        error->code = errc::io_error;
        error->message = "record " + std::to_string(n) + " is not in the index (" + std::to_string(size()) + " records)";
      }
      return false;
    }
    const std::uint64_t off = offsets_[n];
    reader r{memory_source{data().substr(static_cast<std::size_t>(off)), off}};
    r.number_from(n);
    diagnostic why;
    r.on_diagnostic([&](const diagnostic& d, std::string_view) {
      if (d.level == severity::error && d.record_index == n && !why) why = d;
    });
    if (r.next(out) && out.index() == n) return true;
    if (error) {
      *error = why ? why : r.error();
      if (!*error) {
        error->code = errc::index_corrupt;
        error->message = "no record starts at offset " + std::to_string(off) + ", where the index says record " +
                         std::to_string(n) + " is";
      }
    }
    return false;
  }

 private:
  std::unique_ptr<detail::mapped_file> data_, side_;
  std::span<const std::uint64_t> offsets_;
  std::span<const std::uint32_t> slots_;
  std::span<const detail::index_id> ids_;
  std::span<const std::uint32_t> postings_;
  std::string_view strings_;
  bool open_ = false;
};

#endif  // MARCPP_HAS_EXCEPTIONS

MARCPP_NAMESPACE_END
