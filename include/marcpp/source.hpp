// SPDX-License-Identifier: MIT
#pragma once

/// \file source.hpp
/// Byte sources for the readers: a memory buffer, a memory-mapped file, a
/// file read in pieces, and a `std::istream`.
///
/// A source shows a window of bytes starting at its current position:
///
///     source_window window() const;     // the bytes available now
///     bool fill(std::size_t n);         // make at least n bytes available; false at the end
///     void consume(std::size_t n);      // move the position n bytes on
///     std::string_view error() const;   // why the input failed (empty if it did not)
///
/// `fill` may move the bytes (stream source), so a window is re-read after it.

#include <marcpp/config.hpp>
#include <marcpp/detail/file.hpp>
#include <marcpp/detail/pages.hpp>
#include <marcpp/detail/mmap.hpp>
#include <marcpp/error.hpp>

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <istream>
#include <memory>
#include <string>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

/// The bytes a source holds from its current position on.
struct source_window {
  const char* data = nullptr;
  std::size_t size = 0;
  std::uint64_t offset = 0;  ///< position of data[0] in the input
};

/// A source over bytes in memory (not copied: they must outlive the source
/// and every `record_view` read from it).
class memory_source {
 public:
  memory_source() = default;
  explicit memory_source(std::string_view bytes) noexcept : data_(bytes.data()), size_(bytes.size()) {}
  /// Bytes that sit at offset `base` of a larger input (offsets reported
  /// are then offsets in that input).
  memory_source(std::string_view bytes, std::uint64_t base) noexcept
      : data_(bytes.data()), size_(bytes.size()), base_(base) {}
  explicit memory_source(const char* bytes) noexcept : memory_source(std::string_view(bytes)) {}
  /// Refused: the bytes of a temporary string would be gone before they are read.
  explicit memory_source(std::string&&) = delete;

  [[nodiscard]] source_window window() const noexcept { return {data_ + pos_, size_ - pos_, base_ + pos_}; }
  bool fill(std::size_t n) noexcept { return size_ - pos_ >= n; }
  void consume(std::size_t n) noexcept { pos_ += std::min(n, size_ - pos_); }
  /// Moves to offset `off` of these bytes (clamped to the end).
  void seek(std::uint64_t off) noexcept { pos_ = static_cast<std::size_t>(std::min<std::uint64_t>(off, size_)); }
  [[nodiscard]] std::string_view error() const noexcept { return {}; }
  /// All the bytes.
  [[nodiscard]] std::string_view bytes() const noexcept { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t pos_ = 0;
  std::uint64_t base_ = 0;
};

namespace detail {
// What a source's non-throwing constructor reports: an `io_error`, or
// nothing (`err` emptied) when the file opened.
inline void report_open(std::string why, diagnostic& err) {
  err = diagnostic{};
  if (why.empty()) return;
  err.code = errc::io_error;
  err.level = severity::error;
  err.message = std::move(why);
}
}  // namespace detail

/// A read-only memory map of a whole file: zero-copy, and record views stay
/// valid as long as the source lives. The first constructor throws
/// `marcpp::error` (`io_error`) if the file cannot be mapped (it is there
/// only where exceptions are); the second sets `err` to the `io_error`
/// instead, leaving a source with no bytes, and empties it on success.
class mmap_source {
 public:
#if MARCPP_HAS_EXCEPTIONS
  explicit mmap_source(const std::filesystem::path& path) {
    diagnostic err;
    open(path, err);
    if (err.code != errc::ok) throw_error(std::move(err));
  }
#endif
  mmap_source(const std::filesystem::path& path, diagnostic& err) { open(path, err); }

  [[nodiscard]] source_window window() const noexcept { return mem_.window(); }
  bool fill(std::size_t n) noexcept { return mem_.fill(n); }
  void consume(std::size_t n) noexcept { mem_.consume(n); }
  void seek(std::uint64_t off) noexcept { mem_.seek(off); }
  [[nodiscard]] std::string_view error() const noexcept { return {}; }
  [[nodiscard]] std::string_view bytes() const noexcept { return mem_.bytes(); }

 private:
  void open(const std::filesystem::path& path, diagnostic& err) {
    detail::report_open(file_->open(path), err);
    if (err.code == errc::ok) mem_ = memory_source(std::string_view(file_->data(), file_->size()));
  }

  std::unique_ptr<detail::mapped_file> file_ = std::make_unique<detail::mapped_file>();  // stable address when the source moves
  memory_source mem_;
};

namespace detail {

/// A source whose bytes are all in memory (`memory_source`, `mmap_source`):
/// they stay where they are as it reads, so the record views read from it
/// do not dangle after the next read. Any other source may reuse its buffer.
template <class Source>
concept stable_source = requires(const Source& s) {
  { s.bytes() } -> std::convertible_to<std::string_view>;
};

/// The sliding window of a source that produces its bytes in pieces (a
/// stream, a decompressor): it keeps the unread bytes, compacts them to the
/// front, and grows only as far as one request needs, rounded up, so memory
/// stays bounded by two chunks and twice the largest record. `Produce` is
/// called as `produce(char* dst, std::size_t room) -> std::size_t`,
/// returning 0 at the end; `available`, if not 0, is how many bytes it
/// can still give (a file's rest), which the buffer maps at once.
class window_buffer {
 public:
  explicit window_buffer(std::size_t chunk) noexcept : chunk_(std::max<std::size_t>(chunk, 64)) {}

  [[nodiscard]] source_window window() const noexcept { return {buf_.get() + pos_, end_ - pos_, base_ + pos_}; }
  void consume(std::size_t n) noexcept { pos_ += std::min(n, end_ - pos_); }
  [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }

  template <class Produce>
  bool fill(std::size_t n, Produce&& produce, std::uint64_t available = 0) {
    if (end_ - pos_ >= n) return true;
    if (done_) return false;
    if (pos_ > 0) {  // keep only the unread bytes
      std::memmove(buf_.get(), buf_.get() + pos_, end_ - pos_);
      end_ -= pos_;
      base_ += pos_;
      pos_ = 0;
    }
    if (n + chunk_ > cap_) {
      // Room for a chunk past the request, the request rounded up to a
      // power of two and to at least a chunk: a buffer that grows is copied
      // into fresh memory, and fresh pages cost more than the copy, so it
      // grows seldom (not at each record longer than any before it). Not
      // zeroed: only the bytes `produce` writes are used. What the copy and
      // the reads below will surely fill is mapped at once.
      const std::size_t cap = chunk_ + std::max(std::bit_ceil(n), chunk_);
      std::unique_ptr<char[]> nb(new char[cap]);
      (void)prefault(nb.get(), static_cast<std::size_t>(std::min<std::uint64_t>(cap, end_ + available)));
      if (end_) std::memcpy(nb.get(), buf_.get(), end_);
      buf_ = std::move(nb);
      cap_ = cap;
    }
    while (end_ < n) {
      std::size_t got = produce(buf_.get() + end_, cap_ - end_);
      if (got == 0) {
        done_ = true;
        break;
      }
      end_ += got;
    }
    return end_ >= n;
  }

 private:
  std::size_t chunk_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0, pos_ = 0, end_ = 0;
  std::uint64_t base_ = 0;
  bool done_ = false;
};

}  // namespace detail

/// A source over a `std::istream` (a pipe, standard input, any stream). It
/// holds only the record being read and what is read ahead (a chunk or
/// two), so memory stays bounded by the largest record, not by the input.
/// Record views read from it are valid until the next read.
class stream_source {
 public:
  static constexpr std::size_t default_chunk = std::size_t{1} << 16;

  explicit stream_source(std::istream& in, std::size_t chunk = default_chunk) : in_(&in), win_(chunk) {}

  [[nodiscard]] source_window window() const noexcept { return win_.window(); }
  bool fill(std::size_t n) {
    return win_.fill(n, [this](char* dst, std::size_t room) -> std::size_t {
      if (!*in_) return 0;
      in_->read(dst, static_cast<std::streamsize>(room));
      auto got = static_cast<std::size_t>(in_->gcount());
      if (in_->bad()) error_ = "the input stream failed while reading";
      return got;
    });
  }
  void consume(std::size_t n) noexcept { win_.consume(n); }
  [[nodiscard]] std::string_view error() const noexcept { return error_; }
  /// Bytes currently buffered (for memory checks).
  [[nodiscard]] std::size_t capacity() const noexcept { return win_.capacity(); }

 private:
  std::istream* in_;
  detail::window_buffer win_;
  std::string error_;
};

/// A regular file, read in pieces into a buffer that is reused (`pread(2)`
/// on POSIX systems), not mapped: memory stays bounded by two chunks and
/// twice the largest record, and record views are valid until the next read, as with
/// `stream_source`. Reading a file this way touches no new memory pages as
/// it goes, which on a virtual machine can cost less than mapping it (see
/// docs/reading.md). The parallel reader reads such a file on every worker
/// at once, each its own byte range. The first constructor throws
/// `marcpp::error` (`io_error`) if the file cannot be opened (it is there
/// only where exceptions are); a read that fails later ends reading with an
/// `io_error` (see `error()`).
class file_source {
 public:
  static constexpr std::size_t default_chunk = std::size_t{1} << 17;

#if MARCPP_HAS_EXCEPTIONS
  explicit file_source(const std::filesystem::path& path, std::size_t chunk = default_chunk)
      : file_(std::make_shared<detail::positional_file>()), win_(chunk) {
    diagnostic err;
    detail::report_open(file_->open(path), err);
    if (err.code != errc::ok) throw_error(std::move(err));
  }
#endif
  /// Sets `err` to the `io_error` if the file cannot be opened, leaving a
  /// source with no bytes (a reader over it reads no record), and empties
  /// it on success: for programs built without exceptions.
  file_source(const std::filesystem::path& path, diagnostic& err, std::size_t chunk = default_chunk)
      : file_(std::make_shared<detail::positional_file>()), win_(chunk) {
    detail::report_open(file_->open(path), err);
  }

  [[nodiscard]] source_window window() const noexcept { return win_.window(); }
  bool fill(std::size_t n) {
    return win_.fill(n, [this](char* dst, std::size_t room) -> std::size_t {
      if (!error_.empty() || rest() == 0) return 0;
      const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(room, rest()));
      error_ = file_->read_at(next_, dst, k);
      if (!error_.empty()) return 0;
      next_ += k;
      return k;
    }, rest());
  }
  void consume(std::size_t n) noexcept { win_.consume(n); }
  [[nodiscard]] std::string_view error() const noexcept { return error_; }

  /// The file's size in bytes, when it was opened.
  [[nodiscard]] std::uint64_t size() const noexcept { return file_->size(); }
  /// Reads the `n` bytes at `offset` into `dst`, apart from the window (any
  /// thread, any number at once); returns an empty string or why not.
  std::string read_at(std::uint64_t offset, char* dst, std::size_t n) const { return file_->read_at(offset, dst, n); }
  /// Bytes currently buffered (for memory checks).
  [[nodiscard]] std::size_t capacity() const noexcept { return win_.capacity(); }

 private:
  // The bytes of the file not yet read.
  [[nodiscard]] std::uint64_t rest() const noexcept { return next_ < file_->size() ? file_->size() - next_ : 0; }
  std::shared_ptr<detail::positional_file> file_;  // shared: moving the source keeps it open
  detail::window_buffer win_;
  std::uint64_t next_ = 0;  // the file position the next read starts at
  std::string error_;
};

MARCPP_NAMESPACE_END
