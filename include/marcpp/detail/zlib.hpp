// SPDX-License-Identifier: MIT
#pragma once

// The zlib adapter: the only header that includes zlib. Inflates gzip (and
// zlib) streams, including several gzip members one after another, as
// bgzip and pigz write them.

#include <marcpp/config.hpp>

#include <zlib.h>

#include <cstddef>
#include <string>

MARCPP_NAMESPACE_BEGIN
namespace detail {

class gzip_decoder {
 public:
  gzip_decoder() noexcept {
    ok_ = inflateInit2(&zs_, 15 + 32) == Z_OK;  // 15: largest window; +32: gzip or zlib header
    if (!ok_) error_ = "gzip: cannot start the decompressor";
  }
  ~gzip_decoder() {
    if (ok_) inflateEnd(&zs_);
  }
  gzip_decoder(const gzip_decoder&) = delete;
  gzip_decoder& operator=(const gzip_decoder&) = delete;

  /// Decompresses from `in` (advanced past what was used) into `out`;
  /// returns the bytes written (0 when it needs more input). Sets `error()`
  /// on corrupt data.
  std::size_t decode(const char*& in, std::size_t& in_size, char* out, std::size_t room) {
    if (!ok_ || !error_.empty()) return 0;
    std::size_t produced = 0;
    while (produced < room) {
      if (member_done_) {
        if (in_size == 0) break;
        if (inflateReset(&zs_) != Z_OK) {  // another gzip member follows
          error_ = "gzip: cannot restart the decompressor";
          break;
        }
        member_done_ = false;
      }
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
      zs_.avail_in = static_cast<uInt>(in_size > 0x40000000 ? 0x40000000 : in_size);
      zs_.next_out = reinterpret_cast<Bytef*>(out + produced);
      zs_.avail_out = static_cast<uInt>(room - produced > 0x40000000 ? 0x40000000 : room - produced);
      const uInt before_in = zs_.avail_in, before_out = zs_.avail_out;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      const std::size_t used = before_in - zs_.avail_in, made = before_out - zs_.avail_out;
      in += used;
      in_size -= used;
      produced += made;
      if (rc == Z_STREAM_END) {
        member_done_ = true;
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        error_ = std::string("gzip: the compressed data is corrupt (") + (zs_.msg ? zs_.msg : "no detail") + ")";
        break;
      }
      if (used == 0 && made == 0) break;  // needs more input
    }
    return produced;
  }
  /// True if the stream ended in the middle of a member.
  [[nodiscard]] bool truncated() const noexcept { return ok_ && !member_done_ && started_; }
  void note_input() noexcept { started_ = true; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  z_stream zs_{};
  bool ok_ = false, member_done_ = false, started_ = false;
  std::string error_;
};

}  // namespace detail
MARCPP_NAMESPACE_END
