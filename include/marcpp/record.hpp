// SPDX-License-Identifier: MIT
#pragma once

/// \file record.hpp
/// `marcpp::record`: an owning, editable record with the same read API as
/// `record_view`.

#include <marcpp/config.hpp>
#include <marcpp/detail/reads.hpp>
#include <marcpp/error.hpp>
#include <marcpp/indicators.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/tag.hpp>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

class record;
namespace detail {
struct record_access;
}

/// An owning subfield: a code and a value.
class subfield {
 public:
  subfield() = default;
  /// An ordinary subfield, e.g. `{'a', "Summerland /"}`.
  subfield(char code, std::string value) : value_(std::move(value)), code_(code) {}
  /// Unlabelled data before the first delimiter (kept from real records).
  [[nodiscard]] static subfield unlabelled(std::string value) {
    subfield s(0, std::move(value));
    s.shape_ = subfield_shape::unlabelled;
    return s;
  }
  /// A delimiter without a code byte, followed by `value`.
  [[nodiscard]] static subfield without_code(std::string value = {}) {
    subfield s(0, std::move(value));
    s.shape_ = subfield_shape::no_code;
    return s;
  }
  /// A copy of a viewed subfield.
  explicit subfield(const subfield_view& v) : value_(v.value()), code_(v.code()), shape_(v.shape()) {}

  [[nodiscard]] char code() const noexcept { return code_; }
  [[nodiscard]] std::string_view value() const noexcept { return value_; }
  [[nodiscard]] subfield_shape shape() const noexcept { return shape_; }
  [[nodiscard]] bool has_delimiter() const noexcept { return shape_ != subfield_shape::unlabelled; }
  [[nodiscard]] bool has_code() const noexcept { return shape_ == subfield_shape::normal; }

  /// Sets the code (the subfield becomes an ordinary one).
  void set_code(char c) noexcept {
    code_ = c;
    shape_ = subfield_shape::normal;
  }
  void set_value(std::string v) { value_ = std::move(v); }
  /// The value, for editing in place.
  [[nodiscard]] std::string& value_ref() noexcept { return value_; }

  friend bool operator==(const subfield& a, const subfield& b) noexcept {
    return a.code_ == b.code_ && a.shape_ == b.shape_ && a.value_ == b.value_;
  }

 private:
  std::string value_;
  char code_ = 0;
  subfield_shape shape_ = subfield_shape::normal;
};

/// An owning field: a tag, and either control data or indicators and
/// subfields (held in a `boost::container::small_vector`).
class field : public detail::field_reads<field> {
 public:
  using subfield_type = subfield;
  using subfields_container = boost::container::small_vector<subfield, MARCPP_SUBFIELDS_INLINE>;
  using detail::field_reads<field>::subfields;

  /// An empty data field with the invalid tag.
  field() = default;
  // Moves cannot throw, though Boost (1.74) marks the subfields container's
  // moves noexcept only for POD elements: both sides have the same inline
  // room, so a move moves the subfields (strings) into room that is there
  // or takes over the heap storage, allocating nothing.
  field(const field&) = default;
  field(field&&) noexcept = default;
  field& operator=(const field&) = default;
  field& operator=(field&&) noexcept = default;
  ~field() = default;
  /// A data field, e.g. `field("245", "10", {{'a', "Summerland /"}, {'c', "Michael Chabon."}})`.
  field(marcpp::tag t, marcpp::indicators ind, std::initializer_list<subfield> subs = {})
      : subfields_(subs.begin(), subs.end()), tag_(t), ind_(ind) {}
  /// The same with the tag as a literal: a tag `tag` cannot hold
  /// (`field("abc", "  ")`) is kept by its bytes, as `set_tag_chars` does.
  field(const char (&t)[4], marcpp::indicators ind, std::initializer_list<subfield> subs = {})
      : subfields_(subs.begin(), subs.end()), ind_(ind) {
    set_tag_chars(std::string_view(t, 3));
  }
  /// A control field, e.g. `field::control("001", "12883376")`.
  [[nodiscard]] static field control(marcpp::tag t, std::string data) {
    field f;
    f.tag_ = t;
    f.control_ = true;
    f.data_ = std::move(data);
    return f;
  }
  /// The same with the tag as a literal, kept by its bytes if `tag` cannot hold it.
  [[nodiscard]] static field control(const char (&t)[4], std::string data) {
    field f = control(marcpp::tag::invalid(), std::move(data));
    f.set_tag_chars(std::string_view(t, 3));
    return f;
  }
  /// A copy of a viewed field (tag bytes included).
  explicit field(const field_view& v) : tag_(v.tag()), ind_(v.indicators()), control_(v.is_control()) {
    if (!tag_.is_valid() && v.has_tag_chars()) {
      odd_ = v.tag_chars();
      odd_tag_ = true;
    }
    if (control_) {
      data_.assign(v.data());
    } else {
      auto s = v.subfields();
      subfields_.reserve(s.size());
      for (const auto& sv : s) subfields_.emplace_back(sv);
    }
  }

  /// The tag; `tag::invalid()` for a tag it cannot hold, whose bytes
  /// `tag_chars()` gives.
  [[nodiscard]] marcpp::tag tag() const noexcept { return tag_; }
  /// The tag's three bytes: those of `tag()`, or, for a tag `tag` cannot
  /// hold (`abc`, `30-`), the bytes the field was read or set with
  /// (`set_tag_chars`); `???` for a field that has neither.
  [[nodiscard]] std::array<char, 3> tag_chars() const noexcept {
    if (MARCPP_LIKELY(tag_.is_valid()) || !odd_tag_) return tag_.chars();
    return odd_;
  }
  /// False only for a field with neither a tag nor tag bytes (a
  /// default-constructed one, or one given `tag::invalid()`): no writer can
  /// write it.
  [[nodiscard]] bool has_tag_chars() const noexcept { return tag_.is_valid() || odd_tag_; }
  /// Sets the tag (and forgets any tag bytes: `tag::invalid()` leaves the
  /// field without a tag).
  void set_tag(marcpp::tag t) noexcept {
    tag_ = t;
    odd_ = {};
    odd_tag_ = false;
  }
  /// The same with the tag as a literal, kept by its bytes if `tag` cannot
  /// hold it (`set_tag("abc")`).
  void set_tag(const char (&t)[4]) noexcept { set_tag_chars(std::string_view(t, 3)); }
  /// Sets the tag from its three bytes: as `set_tag` for a tag `tag` holds;
  /// any other three bytes (`abc`, `30-`) are kept as they are, with
  /// `tag()` invalid, and every writer writes them. Returns false, changing
  /// nothing, unless `s` is three bytes.
  bool set_tag_chars(std::string_view s) noexcept {
    if (s.size() != 3) return false;
    set_tag(marcpp::tag::from_chars(s[0], s[1], s[2]));
    if (!tag_.is_valid()) {
      odd_ = {s[0], s[1], s[2]};
      odd_tag_ = true;
    }
    return true;
  }
  [[nodiscard]] bool is_control() const noexcept { return control_; }
  /// The control field's data; empty for a data field.
  [[nodiscard]] std::string_view data() const noexcept { return control_ ? std::string_view(data_) : std::string_view{}; }
  /// Makes this a control field holding `d` (subfields and indicators are dropped).
  void set_data(std::string d) {
    control_ = true;
    data_ = std::move(d);
    subfields_.clear();
    ind_ = {};
  }
  [[nodiscard]] marcpp::indicators indicators() const noexcept { return ind_; }
  [[nodiscard]] char ind1() const noexcept { return ind_.first(); }
  [[nodiscard]] char ind2() const noexcept { return ind_.second(); }
  void set_indicators(marcpp::indicators i) noexcept { ind_ = i; }
  void set_ind1(char c) noexcept { ind_.set_first(c); }
  void set_ind2(char c) noexcept { ind_.set_second(c); }

  /// The subfields, in order (empty for a control field).
  [[nodiscard]] std::span<const subfield> subfields() const noexcept { return {subfields_.data(), subfields_.size()}; }
  /// The subfields, for editing (insert, erase, reorder...).
  [[nodiscard]] subfields_container& subfields() noexcept { return subfields_; }

  /// Appends subfield `code` with `value`; returns `*this` for chaining.
  field& add_subfield(char code, std::string value) {
    subfields_.emplace_back(code, std::move(value));
    return *this;
  }
  /// Inserts `s` before position `pos` (clamped to the end).
  field& insert_subfield(std::size_t pos, subfield s) {
    subfields_.insert(subfields_.begin() + static_cast<std::ptrdiff_t>(std::min(pos, subfields_.size())), std::move(s));
    return *this;
  }
  /// Removes the subfield at `pos` (no effect past the end).
  field& erase_subfield(std::size_t pos) {
    if (pos < subfields_.size()) subfields_.erase(subfields_.begin() + static_cast<std::ptrdiff_t>(pos));
    return *this;
  }
  /// Removes every subfield with `code`; returns how many were removed.
  std::size_t remove_subfields(char code) {
    auto it = std::remove_if(subfields_.begin(), subfields_.end(),
                             [code](const subfield& s) { return s.has_code() && s.code() == code; });
    auto n = static_cast<std::size_t>(subfields_.end() - it);
    subfields_.erase(it, subfields_.end());
    return n;
  }
  /// Sets the value of the first subfield with `code`, appending one if none exists.
  field& set_subfield(char code, std::string value) {
    for (auto& s : subfields_)
      if (s.has_code() && s.code() == code) {
        s.set_value(std::move(value));
        return *this;
      }
    return add_subfield(code, std::move(value));
  }

  friend bool operator==(const field& a, const field& b) noexcept {
    return a.tag_ == b.tag_ && a.odd_tag_ == b.odd_tag_ && a.odd_ == b.odd_ && a.control_ == b.control_ &&
           a.ind_ == b.ind_ && a.data_ == b.data_ &&
           std::equal(a.subfields_.begin(), a.subfields_.end(), b.subfields_.begin(), b.subfields_.end());
  }

 private:
  friend class record;
  template <class R>
  friend struct detail_layout_access;

  std::string data_;
  subfields_container subfields_;
  std::uint32_t origin_ = no_origin;  // offset of the data in the record it was read from
  marcpp::tag tag_;
  marcpp::indicators ind_;
  std::array<char, 3> odd_{};  // the bytes of a tag tag_ cannot hold
  bool odd_tag_ = false;       // odd_ holds them
  bool control_ = false;

 public:
  static constexpr std::uint32_t no_origin = 0xFFFFFFFFu;
  /// Position of this field's data in the ISO 2709 record it was read from
  /// (`no_origin` for a new field). The writer uses it to keep the original
  /// data order of a record whose data area is not in directory order.
  [[nodiscard]] std::uint32_t origin() const noexcept { return origin_; }
  void set_origin(std::uint32_t o) noexcept { origin_ = o; }
};

/// An owning, editable record: a leader and its fields, in order.
///
///     marcpp::record r{view};                 // an owning copy
///     r.first("245") ...;                     // same read API as record_view
///     r.insert_ordered(marcpp::field("650", " 0", {{'a', "Cats."}}));
///     r.leader().set_status('c');
class record : public detail::record_reads<record> {
 public:
  using field_type = field;
  using subfield_type = subfield;
  using fields_container = boost::container::small_vector<field, MARCPP_FIELDS_INLINE>;
  using detail::record_reads<record>::fields;

  record() = default;
  // Moves cannot throw (for the reason `field`'s cannot).
  record(const record&) = default;
  record(record&&) noexcept = default;
  record& operator=(const record&) = default;
  record& operator=(record&&) noexcept = default;
  ~record() = default;
  explicit record(const marcpp::leader& l) : leader_(l) {}
  /// An owning copy of `v`, keeping its diagnostics, offset and index.
  explicit record(const record_view& v)
      : leader_(v.leader()),
        diags_(v.diagnostics().begin(), v.diagnostics().end()),
        offset_(v.offset()),
        index_(v.index()) {
    assign_fields(v);
  }
  /// Replaces the content with an owning copy of `v` (reusing capacity).
  record& operator=(const record_view& v) {
    leader_ = v.leader();
    diags_.assign(v.diagnostics().begin(), v.diagnostics().end());
    offset_ = v.offset();
    index_ = v.index();
    fields_.clear();
    assign_fields(v);
    return *this;
  }

  [[nodiscard]] const marcpp::leader& leader() const noexcept { return leader_; }
  [[nodiscard]] marcpp::leader& leader() noexcept { return leader_; }
  void set_leader(const marcpp::leader& l) noexcept { leader_ = l; }

  /// The fields, in order.
  [[nodiscard]] std::span<const field> fields() const noexcept { return {fields_.data(), fields_.size()}; }
  /// The fields, for editing.
  [[nodiscard]] fields_container& fields() noexcept { return fields_; }
  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
  [[nodiscard]] const field& operator[](std::size_t i) const noexcept { return fields_[i]; }
  [[nodiscard]] field& operator[](std::size_t i) noexcept { return fields_[i]; }
  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }
  [[nodiscard]] auto begin() noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() noexcept { return fields_.end(); }

  /// Appends `f`; returns a reference to it.
  field& add(field f) {
    fields_.push_back(std::move(f));
    return fields_.back();
  }
  /// Inserts `f` before position `pos` (clamped to the end).
  field& insert(std::size_t pos, field f) {
    pos = std::min(pos, fields_.size());
    return *fields_.insert(fields_.begin() + static_cast<std::ptrdiff_t>(pos), std::move(f));
  }
  field& insert_before(std::size_t pos, field f) { return insert(pos, std::move(f)); }
  field& insert_after(std::size_t pos, field f) { return insert(pos + 1, std::move(f)); }
  /// Inserts `f` in tag order: before the first field whose tag is greater.
  field& insert_ordered(field f) {
    auto it = std::find_if(fields_.begin(), fields_.end(), [&](const field& g) { return g.tag() > f.tag(); });
    return *fields_.insert(it, std::move(f));
  }
  /// Removes the field at `pos` (no effect past the end).
  void erase(std::size_t pos) {
    if (pos < fields_.size()) fields_.erase(fields_.begin() + static_cast<std::ptrdiff_t>(pos));
  }
  /// Removes every field tagged `t`; returns how many were removed.
  std::size_t erase(detail::tag_key t) {
    return remove_if([t](const field& f) { return t.matches(f); });
  }
  /// Removes every field for which `pred(field)` is true; returns how many.
  template <class Pred>
  std::size_t remove_if(Pred pred) {
    auto it = std::remove_if(fields_.begin(), fields_.end(), pred);
    auto n = static_cast<std::size_t>(fields_.end() - it);
    fields_.erase(it, fields_.end());
    return n;
  }
  /// Moves the field at `from` so that it ends up at position `to`.
  void move_field(std::size_t from, std::size_t to) {
    if (from >= fields_.size() || to >= fields_.size() || from == to) return;
    auto b = fields_.begin();
    if (from < to)
      std::rotate(b + static_cast<std::ptrdiff_t>(from), b + static_cast<std::ptrdiff_t>(from) + 1,
                  b + static_cast<std::ptrdiff_t>(to) + 1);
    else
      std::rotate(b + static_cast<std::ptrdiff_t>(to), b + static_cast<std::ptrdiff_t>(from),
                  b + static_cast<std::ptrdiff_t>(from) + 1);
  }
  /// Sorts the fields by tag, keeping the order of fields with equal tags.
  void sort_fields() {
    std::stable_sort(fields_.begin(), fields_.end(), [](const field& a, const field& b) { return a.tag() < b.tag(); });
  }

  /// Warnings and repairs found when this record was read.
  [[nodiscard]] std::span<const diagnostic> diagnostics() const noexcept { return {diags_.data(), diags_.size()}; }
  [[nodiscard]] bool repaired() const noexcept {
    for (const auto& d : diags_)
      if (d.level != severity::warning) return true;
    return false;
  }
  void clear_diagnostics() noexcept { diags_.clear(); }
  /// Adds a diagnostic about this record (the character set conversions
  /// report what they found and changed here).
  void add_diagnostic(diagnostic d) { diags_.push_back(std::move(d)); }
  /// Byte offset of the record in the input it was read from (`npos` if none).
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  /// 0-based position in the input it was read from (`npos` if none).
  [[nodiscard]] std::uint64_t index() const noexcept { return index_; }

  /// Same content: the same fields, and the same leader apart from the
  /// record length (00-04) and base address (12-16), which the writer
  /// computes. Diagnostics and provenance are not compared.
  friend bool operator==(const record& a, const record& b) noexcept {
    std::string_view x = a.leader_.str(), y = b.leader_.str();
    return x.substr(5, 7) == y.substr(5, 7) && x.substr(17) == y.substr(17) &&
           std::equal(a.fields_.begin(), a.fields_.end(), b.fields_.begin(), b.fields_.end());
  }

 private:
  friend struct detail::record_access;

  void assign_fields(const record_view& v) {
    fields_.reserve(v.size());
    const char* base = v.raw().data();
    for (const auto& fv : v) {
      field& f = fields_.emplace_back(fv);
      if (base && fv.raw().data() >= base && fv.raw().data() - base < 0xFFFFFFFF)
        f.origin_ = static_cast<std::uint32_t>(fv.raw().data() - base);
    }
  }

  marcpp::leader leader_;
  fields_container fields_;
  std::vector<diagnostic> diags_;
  std::uint64_t offset_ = npos;
  std::uint64_t index_ = npos;
};

namespace detail {
/// Lets the readers of the text formats set what `record{view}` copies from a view.
struct record_access {
  static std::vector<diagnostic>& diagnostics(record& r) noexcept { return r.diags_; }
  static void set_position(record& r, std::uint64_t index, std::uint64_t offset) noexcept {
    r.index_ = index;
    r.offset_ = offset;
  }
};
}  // namespace detail

MARCPP_NAMESPACE_END
