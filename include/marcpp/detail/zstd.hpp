// SPDX-License-Identifier: MIT
#pragma once

// The Zstandard adapter: the only header that includes zstd. Decompresses
// one or more frames one after another.

#include <marcpp/config.hpp>

#include <zstd.h>

#include <cstddef>
#include <string>

MARCPP_NAMESPACE_BEGIN
namespace detail {

class zstd_decoder {
 public:
  zstd_decoder() noexcept : ds_(ZSTD_createDStream()) {
    if (!ds_ || ZSTD_isError(ZSTD_initDStream(ds_))) error_ = "zstd: cannot start the decompressor";
  }
  ~zstd_decoder() { ZSTD_freeDStream(ds_); }
  zstd_decoder(const zstd_decoder&) = delete;
  zstd_decoder& operator=(const zstd_decoder&) = delete;

  /// Decompresses from `in` (advanced past what was used) into `out`;
  /// returns the bytes written. Sets `error()` on corrupt data.
  std::size_t decode(const char*& in, std::size_t& in_size, char* out, std::size_t room) {
    if (!error_.empty()) return 0;
    ZSTD_inBuffer ib{in, in_size, 0};
    ZSTD_outBuffer ob{out, room, 0};
    while (ob.pos < ob.size) {
      const std::size_t in_before = ib.pos, out_before = ob.pos;
      std::size_t rc = ZSTD_decompressStream(ds_, &ob, &ib);
      if (ZSTD_isError(rc)) {
        error_ = std::string("zstd: the compressed data is corrupt (") + ZSTD_getErrorName(rc) + ")";
        break;
      }
      if (ib.pos == in_before && ob.pos == out_before) break;  // needs more input
      frame_done_ = rc == 0;  // 0: a frame is complete and fully flushed
    }
    in += ib.pos;
    in_size -= ib.pos;
    return ob.pos;
  }
  /// True if the input ended in the middle of a frame.
  [[nodiscard]] bool truncated() const noexcept { return started_ && !frame_done_; }
  void note_input() noexcept { started_ = true; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  ZSTD_DStream* ds_;
  bool frame_done_ = false, started_ = false;
  std::string error_;
};

}  // namespace detail
MARCPP_NAMESPACE_END
