// SPDX-License-Identifier: MIT
#pragma once

// The read helpers both record flavours share, written once over the
// minimal interface each provides (`fields()`, `subfields()`).

#include <marcpp/config.hpp>
#include <marcpp/tag.hpp>

#include <array>
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

/// The tag a lookup asks for (`first`, `fields`, `count`, `value`,
/// `record::erase`): a `tag`, or a three-character literal. A literal `tag`
/// cannot hold (`"abc"`, `"30-"`) finds the fields with those tag bytes;
/// `tag::invalid()` finds every field whose tag `tag` cannot hold.
class tag_key {
 public:
  constexpr tag_key(marcpp::tag t) noexcept : t_(t) {}  // NOLINT(google-explicit-constructor)
  constexpr tag_key(const char (&s)[4]) noexcept       // NOLINT(google-explicit-constructor)
      : t_(s), c_{s[0], s[1], s[2]}, bytes_(!t_.is_valid()) {}
  [[nodiscard]] constexpr marcpp::tag tag() const noexcept { return t_; }
  template <class Field>
  [[nodiscard]] bool matches(const Field& f) const noexcept {
    return f.tag() == t_ && (MARCPP_LIKELY(!bytes_) || (f.has_tag_chars() && f.tag_chars() == c_));
  }

 private:
  marcpp::tag t_;
  std::array<char, 3> c_{};
  bool bytes_ = false;  // match by c_: a tag t_ cannot hold
};

struct tag_is {
  tag_key k;
  bool operator()(const auto& f) const noexcept { return k.matches(f); }
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
  [[nodiscard]] auto first(tag_key t) const noexcept {
    auto fs = self().fields();
    using F = std::remove_cvref_t<decltype(*fs.data())>;
    for (const F& f : fs)
      if (t.matches(f)) return &f;
    return static_cast<const F*>(nullptr);
  }
  /// The fields with tag `t`, in record order.
  [[nodiscard]] auto fields(tag_key t) const noexcept {
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
  [[nodiscard]] std::size_t count(tag_key t) const noexcept { return fields(t).size(); }
  /// The data of the first 001 control field; empty if there is none.
  [[nodiscard]] std::string_view control_number() const noexcept {
    auto f = first(marcpp::tag("001"));
    return f && f->is_control() ? f->data() : std::string_view{};
  }
  /// Value of subfield `code` of the first field tagged `t` that has one.
  [[nodiscard]] std::optional<std::string_view> value(tag_key t, char code) const noexcept {
    for (const auto& f : fields(t))
      if (auto v = f.value(code)) return v;
    return std::nullopt;
  }

 private:
  const Record& self() const noexcept { return static_cast<const Record&>(*this); }
};

}  // namespace detail
MARCPP_NAMESPACE_END
