// SPDX-License-Identifier: MIT
#pragma once

// The input iterator behind the range-for of every reader.

#include <marcpp/config.hpp>
#include <marcpp/error.hpp>

#include <cstddef>
#include <iterator>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// Input iterator over the records `Reader::next(Record&)` gives, read into
/// `*current`: the range-for of every reader. Throws `marcpp::error` when
/// reading stops on an error.
template <class Reader, class Record>
class record_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Record;
  using difference_type = std::ptrdiff_t;
  using reference = const Record&;
  using pointer = const Record*;

  record_iterator() = default;
  record_iterator(Reader* r, Record* current) : r_(r), current_(current) { advance(); }
  reference operator*() const noexcept { return *current_; }
  pointer operator->() const noexcept { return current_; }
  record_iterator& operator++() {
    advance();
    return *this;
  }
  void operator++(int) { advance(); }
  friend bool operator==(const record_iterator& a, std::default_sentinel_t) noexcept { return a.r_ == nullptr; }

 private:
  void advance() {
    if (!r_->next(*current_)) {
      if (r_->failed()) throw_error(r_->error());
      r_ = nullptr;
    }
  }
  Reader* r_ = nullptr;
  Record* current_ = nullptr;
};

}  // namespace detail
MARCPP_NAMESPACE_END
