// SPDX-License-Identifier: MIT
#pragma once

/// \file compressed_source.hpp
/// Sources that decompress gzip (zlib) and Zstandard (libzstd) input as they
/// read it, in bounded memory, for the readers.

#include <marcpp/config.hpp>
#include <marcpp/detect.hpp>
#include <marcpp/detail/zlib.hpp>
#include <marcpp/detail/zstd.hpp>
#include <marcpp/source.hpp>

#include <cstddef>
#include <istream>
#include <memory>
#include <string>
#include <string_view>

MARCPP_NAMESPACE_BEGIN

/// A source that reads compressed bytes from a `std::istream` and shows the
/// decompressed bytes, holding at most one chunk of compressed bytes, and
/// two chunks and twice the largest record of decompressed ones. Corrupt
/// or truncated compressed data ends reading with an
/// `io_error` naming the problem.
template <class Decoder>
class basic_decompressing_source {
 public:
  static constexpr std::size_t default_chunk = std::size_t{1} << 16;

  explicit basic_decompressing_source(std::istream& in, std::size_t chunk = default_chunk)
      : in_(&in), dec_(std::make_unique<Decoder>()), win_(chunk), chunk_(std::max<std::size_t>(chunk, 64)),
        inbuf_(new char[chunk_]) {}  // not zeroed: only what is read into it is used

  [[nodiscard]] source_window window() const noexcept { return win_.window(); }
  bool fill(std::size_t n) {
    return win_.fill(n, [this](char* dst, std::size_t room) -> std::size_t {
      while (error_.empty()) {
        if (in_pos_ == in_end_) {
          in_pos_ = in_end_ = 0;
          if (*in_) {
            in_->read(inbuf_.get(), static_cast<std::streamsize>(chunk_));
            in_end_ = static_cast<std::size_t>(in_->gcount());
          }
          if (in_->bad()) error_ = "the input stream failed while reading";
          if (in_end_ == 0) {
            if (error_.empty() && dec_->truncated()) error_ = "the compressed input ends in the middle of a stream";
            return 0;
          }
          dec_->note_input();
        }
        const char* p = inbuf_.get() + in_pos_;
        std::size_t avail = in_end_ - in_pos_;
        std::size_t got = dec_->decode(p, avail, dst, room);
        in_pos_ = in_end_ - avail;
        if (!dec_->error().empty()) error_ = dec_->error();
        if (got > 0) return got;
      }
      return 0;
    });
  }
  void consume(std::size_t n) noexcept { win_.consume(n); }
  [[nodiscard]] std::string_view error() const noexcept { return error_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return win_.capacity(); }

 private:
  std::istream* in_;
  std::unique_ptr<Decoder> dec_;
  detail::window_buffer win_;
  std::size_t chunk_;
  std::unique_ptr<char[]> inbuf_;
  std::size_t in_pos_ = 0, in_end_ = 0;
  std::string error_;
};

/// Reads gzip-compressed input (several members one after another too).
using gzip_source = basic_decompressing_source<detail::gzip_decoder>;
/// Reads Zstandard-compressed input (one frame or several).
using zstd_source = basic_decompressing_source<detail::zstd_decoder>;

MARCPP_NAMESPACE_END
