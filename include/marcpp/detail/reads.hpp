// SPDX-License-Identifier: MIT
#pragma once

// The read helpers both record flavours share, written once over the
// minimal interface each provides (`fields()`, `subfields()`).

#include <marcpp/config.hpp>
#include <marcpp/tag.hpp>

#include <cstddef>
#include <iterator>
#include <optional>
#include <string_view>
#include <type_traits>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// A forward range over the elements of [first, last) that satisfy `pred`;
/// `It` is a pointer or a forward iterator.
template <class It, class Pred>
class filter_range {
 public:
  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category =
        std::conditional_t<std::is_pointer_v<It>, std::forward_iterator_tag, std::input_iterator_tag>;
    using value_type = std::iter_value_t<It>;
    using difference_type = std::ptrdiff_t;
    using reference = std::iter_reference_t<It>;

    iterator() = default;
    iterator(It p, It last, Pred pred) : p_(p), last_(last), pred_(pred) { settle(); }
    reference operator*() const noexcept { return *p_; }
    auto operator->() const noexcept {
      if constexpr (std::is_pointer_v<It>)
        return p_;
      else
        return p_.operator->();
    }
    iterator& operator++() noexcept {
      ++p_;
      settle();
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.p_ == b.p_; }

   private:
    void settle() noexcept {
      while (p_ != last_ && !pred_(*p_)) ++p_;
    }
    It p_{};
    It last_{};
    Pred pred_{};
  };

  filter_range(It first, It last, Pred pred) : first_(first), last_(last), pred_(pred) {}
  [[nodiscard]] iterator begin() const { return iterator(first_, last_, pred_); }
  [[nodiscard]] iterator end() const { return iterator(last_, last_, pred_); }
  [[nodiscard]] bool empty() const { return begin() == end(); }
  [[nodiscard]] std::size_t size() const {
    std::size_t n = 0;
    for (auto it = begin(); it != end(); ++it) ++n;
    return n;
  }

 private:
  It first_;
  It last_;
  Pred pred_;
};

struct tag_is {
  marcpp::tag t;
  bool operator()(const auto& f) const noexcept { return f.tag() == t; }
};
struct tag_between {
  marcpp::tag lo, hi;
  bool operator()(const auto& f) const noexcept { return f.tag() >= lo && f.tag() <= hi; }
};
struct code_is {
  char c;
  bool operator()(const auto& s) const noexcept { return s.code() == c && s.has_code(); }
};

/// Read helpers of a field; `Field` provides `subfields()` (a forward range).
template <class Field>
class field_reads {
 public:
  /// Value of the first subfield with `code`, if any.
  [[nodiscard]] std::optional<std::string_view> value(char code) const noexcept {
    for (const auto& s : self().subfields())
      if (s.code() == code && s.has_code()) return s.value();
    return std::nullopt;
  }
  /// True if a subfield with `code` exists.
  [[nodiscard]] bool has_subfield(char code) const noexcept { return value(code).has_value(); }
  /// The subfields with `code`, in order.
  [[nodiscard]] auto subfields(char code) const noexcept {
    auto s = self().subfields();
    return filter_range<decltype(s.begin()), code_is>(s.begin(), s.end(), code_is{code});
  }

 private:
  const Field& self() const noexcept { return static_cast<const Field&>(*this); }
};

/// Read helpers of a record; `Record` provides `fields()` (contiguous).
template <class Record>
class record_reads {
 public:
  /// The first field with tag `t`, or null.
  [[nodiscard]] auto first(marcpp::tag t) const noexcept {
    auto fs = self().fields();
    using F = std::remove_cvref_t<decltype(*fs.data())>;
    for (const F& f : fs)
      if (f.tag() == t) return &f;
    return static_cast<const F*>(nullptr);
  }
  /// The fields with tag `t`, in record order.
  [[nodiscard]] auto fields(marcpp::tag t) const noexcept {
    auto fs = self().fields();
    using F = std::remove_cvref_t<decltype(*fs.data())>;
    return filter_range<const F*, tag_is>(fs.data(), fs.data() + fs.size(), tag_is{t});
  }
  /// The fields whose tag lies in [lo, hi], e.g. `fields_between("600", "699")`.
  [[nodiscard]] auto fields_between(marcpp::tag lo, marcpp::tag hi) const noexcept {
    auto fs = self().fields();
    using F = std::remove_cvref_t<decltype(*fs.data())>;
    return filter_range<const F*, tag_between>(fs.data(), fs.data() + fs.size(), tag_between{lo, hi});
  }
  /// Number of fields with tag `t`.
  [[nodiscard]] std::size_t count(marcpp::tag t) const noexcept { return fields(t).size(); }
  /// The data of the first 001 control field; empty if there is none.
  [[nodiscard]] std::string_view control_number() const noexcept {
    auto f = first(marcpp::tag("001"));
    return f && f->is_control() ? f->data() : std::string_view{};
  }
  /// Value of subfield `code` of the first field tagged `t` that has one.
  [[nodiscard]] std::optional<std::string_view> value(marcpp::tag t, char code) const noexcept {
    for (const auto& f : fields(t))
      if (auto v = f.value(code)) return v;
    return std::nullopt;
  }

 private:
  const Record& self() const noexcept { return static_cast<const Record&>(*this); }
};

}  // namespace detail
MARCPP_NAMESPACE_END
