// SPDX-License-Identifier: MIT
#pragma once

// The file adapter: the only header that reads files by position. POSIX
// systems use pread(2), which any number of threads may call at once on one
// descriptor; elsewhere a std::ifstream, one reader at a time.

#include <marcpp/config.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#if defined(__unix__) || defined(__APPLE__)
#  include <fcntl.h>
#  include <sys/stat.h>
#  include <unistd.h>
#  define MARCPP_DETAIL_PREAD 1
#else
#  include <fstream>
#  include <mutex>
#  define MARCPP_DETAIL_PREAD 0
#endif

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// A regular file opened for reading by position. Its size is taken when it
/// is opened; a file that is cut short afterwards reads as an error, not as
/// an early end.
class positional_file {
 public:
  positional_file() = default;
  positional_file(const positional_file&) = delete;
  positional_file& operator=(const positional_file&) = delete;
  ~positional_file() { close(); }

  /// Opens `path`; returns an empty string on success, otherwise why not.
  std::string open(const std::filesystem::path& path) {
    close();
    name_ = path.string();
#if MARCPP_DETAIL_PREAD
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return name_ + ": " + std::strerror(errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      std::string why = name_ + ": " + std::strerror(errno);
      ::close(fd);
      return why;
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return name_ + ": not a regular file";
    }
    fd_ = fd;
    size_ = static_cast<std::uint64_t>(st.st_size);
#  if defined(POSIX_FADV_SEQUENTIAL)
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#  endif
#else
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return name_ + ": not a regular file";
    size_ = std::filesystem::file_size(path, ec);
    if (ec) return name_ + ": " + ec.message();
    in_.open(path, std::ios::binary);
    if (!in_) return name_ + ": cannot open for reading";
#endif
    return {};
  }

  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  /// Reads the `n` bytes at `offset` (which with `n` must lie within the
  /// size) into `dst`. Safe to call from several threads at once. Returns
  /// an empty string, or why the bytes could not be read.
  std::string read_at(std::uint64_t offset, char* dst, std::size_t n) const {
#if MARCPP_DETAIL_PREAD
    while (n > 0) {
      const ::ssize_t got = ::pread(fd_, dst, n, static_cast<::off_t>(offset));
      if (got < 0) {
        if (errno == EINTR) continue;
        return name_ + ": read failed at byte " + std::to_string(offset) + ": " + std::strerror(errno);
      }
      if (got == 0) return name_ + ": the file ended at byte " + std::to_string(offset) + ", before its size when opened";
      dst += got;
      n -= static_cast<std::size_t>(got);
      offset += static_cast<std::uint64_t>(got);
    }
    return {};
#else
    std::lock_guard<std::mutex> lock(m_);
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(dst, static_cast<std::streamsize>(n));
    if (static_cast<std::size_t>(in_.gcount()) != n)
      return name_ + ": read failed at byte " + std::to_string(offset);
    return {};
#endif
  }

 private:
  void close() noexcept {
#if MARCPP_DETAIL_PREAD
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
#else
    if (in_.is_open()) in_.close();
#endif
  }

#if MARCPP_DETAIL_PREAD
  int fd_ = -1;
#else
  mutable std::mutex m_;
  mutable std::ifstream in_;
#endif
  std::uint64_t size_ = 0;
  std::string name_;
};

}  // namespace detail
MARCPP_NAMESPACE_END
