// SPDX-License-Identifier: MIT
#pragma once

/// \file record_view.hpp
/// `marcpp::record_view`: a zero-copy record over the input bytes.

#include <marcpp/config.hpp>
#include <marcpp/detail/reads.hpp>
#include <marcpp/detail/simd.hpp>
#include <marcpp/error.hpp>
#include <marcpp/indicators.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/tag.hpp>

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

namespace detail {
class iso2709_parser;
struct record_view_access;
}

/// What a build that checks views (`MARCPP_CHECK_VIEWS`, on wherever
/// `NDEBUG` is not defined) calls when a `record_view` read from a source
/// that reuses its buffer is used after its reader read again, or after the
/// reader is gone: the bytes it views may hold another record by then. It
/// gets the record's index and byte offset in the input. The default prints
/// them to standard error and aborts; a handler that returns lets the use
/// go on.
using dangling_view_handler = void (*)(std::uint64_t record_index, std::uint64_t record_offset);

namespace detail {
inline void abort_on_dangling_view(std::uint64_t index, std::uint64_t offset) {
  std::fprintf(stderr,
               "marcpp: the record_view of record %llu (at byte %llu) is used after its reader read on: the bytes "
               "it views may hold another record by now. Copy it into a marcpp::record to keep it.\n",
               static_cast<unsigned long long>(index), static_cast<unsigned long long>(offset));
  std::fflush(stderr);  // abort flushes nothing, and stderr may have been made buffered
  std::abort();
}
inline std::atomic<dangling_view_handler> dangling_view_hook{&abort_on_dangling_view};

/// The reads of a reader whose source reuses its buffer. A view keeps the
/// count it was read at and is stale once the count has moved on; shared,
/// so that a view kept past its reader still finds it.
struct read_count {
  std::atomic<std::uint64_t> n{0};
};
}  // namespace detail

/// Sets the handler a build that checks views calls for a dangling
/// `record_view` (`nullptr`: the default, which aborts); returns the one
/// before.
inline dangling_view_handler set_dangling_view_handler(dangling_view_handler h) noexcept {
  return detail::dangling_view_hook.exchange(h ? h : &detail::abort_on_dangling_view);
}

/// The largest record a reader reads, in bytes (2 GiB): positions inside a
/// `record_view` (and the parser's) are 32-bit. A `read_options::
/// max_record_size` above it is taken as this.
inline constexpr std::size_t record_size_limit = std::size_t{1} << 31;

/// A subfield of a `record_view`: a code and a value that views the input.
class subfield_view {
 public:
  constexpr subfield_view() noexcept = default;
  constexpr subfield_view(char code, std::string_view value,
                          subfield_shape shape = subfield_shape::normal) noexcept
      : data_(value.data()),
        size_(static_cast<std::uint32_t>(value.size())),
        code_(code),
        shape_(shape) {}

  /// The code byte (`'\0'` for the `unlabelled` and `no_code` shapes).
  [[nodiscard]] constexpr char code() const noexcept { return code_; }
  /// The value, a view of the input bytes.
  [[nodiscard]] constexpr std::string_view value() const noexcept { return {data_, size_}; }
  [[nodiscard]] constexpr subfield_shape shape() const noexcept { return shape_; }
  /// False only for unlabelled data before the first delimiter.
  [[nodiscard]] constexpr bool has_delimiter() const noexcept { return shape_ != subfield_shape::unlabelled; }
  /// True for an ordinary subfield with a code byte.
  [[nodiscard]] constexpr bool has_code() const noexcept { return shape_ == subfield_shape::normal; }

 private:
  const char* data_ = nullptr;
  std::uint32_t size_ = 0;
  char code_ = 0;
  subfield_shape shape_ = subfield_shape::normal;
};

/// The subfields of a `field_view`, in order: a forward range of
/// `subfield_view` values.
///
/// The reader does not cut a field into subfields while it reads: a field of
/// the usual shape (its indicators, then every delimiter followed by a code)
/// is checked, and its subfields are found as they are iterated, each a view
/// of the input. A field of any other shape was cut by the reader, under its
/// error policy, and is iterated from what it kept. Either way the subfields
/// are the same. `size()` counts them (a pass over the field); for random
/// access, copy them (`std::vector<subfield_view>(r.begin(), r.end())`) or
/// make a `record`.
class subfield_range {
 public:
  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::input_iterator_tag;  // it yields values, not references
    using value_type = subfield_view;
    using difference_type = std::ptrdiff_t;
    using reference = subfield_view;
    struct pointer {
      subfield_view v;
      const subfield_view* operator->() const noexcept { return &v; }
    };

    constexpr iterator() noexcept = default;
    [[nodiscard]] subfield_view operator*() const noexcept {
      if (s_) return *s_;
      return subfield_view(p_[1], std::string_view(p_ + 2, static_cast<std::size_t>(q_ - p_ - 2)));
    }
    [[nodiscard]] pointer operator->() const noexcept { return pointer{**this}; }
    iterator& operator++() noexcept {
      if (s_) {
        ++s_;
      } else {
        p_ = q_;
        q_ = next(p_, end_);
      }
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.s_ == b.s_ && a.p_ == b.p_; }

   private:
    friend class subfield_range;
    constexpr explicit iterator(const subfield_view* s) noexcept : s_(s) {}
    iterator(const char* p, const char* end) noexcept : p_(p), q_(next(p, end)), end_(end) {}
    // The delimiter after the one at `p` (whose code byte follows it), or `end`.
    static const char* next(const char* p, const char* end) noexcept {
      return p == end ? end : detail::find_delimiter(p + 2, end);
    }

    const subfield_view* s_ = nullptr;  // a field the reader cut: the current subfield
    const char* p_ = nullptr;           // otherwise: the current subfield's delimiter,
    const char* q_ = nullptr;           // the next delimiter (or the field's end),
    const char* end_ = nullptr;         // and the field's end
  };

  constexpr subfield_range() noexcept = default;
  [[nodiscard]] iterator begin() const noexcept { return s_ ? iterator(s_) : iterator(p_, end_); }
  [[nodiscard]] iterator end() const noexcept { return s_ ? iterator(s_ + n_) : iterator(end_, end_); }
  [[nodiscard]] bool empty() const noexcept { return s_ ? n_ == 0 : p_ == end_; }
  /// The number of subfields (a pass over the field).
  [[nodiscard]] std::size_t size() const noexcept {
    if (s_ || p_ == end_) return n_;
    return static_cast<std::size_t>(std::count(p_, end_, '\x1F'));
  }
  /// The first subfield; the range must not be empty.
  [[nodiscard]] subfield_view front() const noexcept { return *begin(); }

 private:
  friend class field_view;
  constexpr subfield_range(const subfield_view* s, std::uint32_t n) noexcept : s_(n ? s : nullptr), n_(n) {}
  constexpr subfield_range(const char* p, const char* end) noexcept : p_(p), end_(end) {}

  const subfield_view* s_ = nullptr;
  std::uint32_t n_ = 0;
  const char* p_ = nullptr;
  const char* end_ = nullptr;
};

/// A field of a `record_view`: a tag, and either control data or indicators
/// and subfields, all viewing the input bytes.
class field_view : public detail::field_reads<field_view> {
 public:
  using subfield_type = subfield_view;
  using detail::field_reads<field_view>::subfields;

  field_view() noexcept = default;

  /// The tag; `tag::invalid()` for a tag it cannot hold, whose bytes
  /// `tag_chars()` gives.
  [[nodiscard]] marcpp::tag tag() const noexcept { return tag_; }
  /// The tag's three bytes as read: those of `tag()`, or, for a tag `tag`
  /// cannot hold (`abc`, `30-`), the bytes of the directory entry; `???`
  /// for a default-constructed field, which has none.
  [[nodiscard]] std::array<char, 3> tag_chars() const noexcept {
    if (MARCPP_LIKELY(tag_.is_valid()) || !odd_tag_) return tag_.chars();
    return {odd0_, odd1_, odd2_};
  }
  /// False only for a field with neither a tag nor tag bytes (a
  /// default-constructed one): no writer can write it.
  [[nodiscard]] bool has_tag_chars() const noexcept { return tag_.is_valid() || odd_tag_; }
  /// True for a control field (data, no indicators or subfields).
  [[nodiscard]] bool is_control() const noexcept { return control_; }
  /// The control field's data; empty for a data field.
  [[nodiscard]] std::string_view data() const noexcept {
    return control_ ? std::string_view(data_, size_) : std::string_view{};
  }
  /// The field's bytes as read, without the field terminator (indicators and
  /// delimiters included for a data field).
  [[nodiscard]] std::string_view raw() const noexcept { return {data_, size_}; }
  [[nodiscard]] marcpp::indicators indicators() const noexcept { return ind_; }
  [[nodiscard]] char ind1() const noexcept { return ind_.first(); }
  [[nodiscard]] char ind2() const noexcept { return ind_.second(); }
  /// The subfields, in order (empty for a control field): a forward range,
  /// see `subfield_range`.
  [[nodiscard]] subfield_range subfields() const noexcept {
    if (split_) return subfield_range(data_ + 2, data_ + size_);
    return subfield_range(subs_, nsubs_);
  }

 private:
  friend class detail::iso2709_parser;
  friend class record_view;
  friend struct detail::record_view_access;

  field_view(marcpp::tag t, const char* data, std::uint32_t size, bool control) noexcept
      : data_(data), size_(size), tag_(t), control_(control) {}
  // Keeps the bytes of a tag `tag` cannot hold (`tag_` is then invalid).
  void set_odd_tag(const char* p) noexcept {
    odd0_ = p[0];
    odd1_ = p[1];
    odd2_ = p[2];
    odd_tag_ = true;
  }

  const char* data_ = nullptr;
  const subfield_view* subs_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t nsubs_ = 0;
  marcpp::tag tag_;
  marcpp::indicators ind_;
  // The three bytes of a tag `tag_` cannot hold; the flags are bits so that
  // they fit with these in the 32 bytes a view took before. Three members,
  // not an array: with an array, g++ 12 built each view of the fast path on
  // the stack and copied it, stalling on the copy (the reader lost 40%).
  char odd0_ = 0, odd1_ = 0, odd2_ = 0;
  bool control_ : 1 = false;
  bool split_ : 1 = false;    // the usual shape: subfields are found as they are iterated
  bool odd_tag_ : 1 = false;  // odd0_-odd2_ hold the tag's bytes
};
static_assert(sizeof(void*) != 8 || sizeof(field_view) == 32, "a field_view is 32 bytes on 64-bit targets");

/// A record whose strings all view the input: parsing a typical record
/// allocates nothing. Obtained from a reader; valid while the bytes it views
/// are: for `memory_source` and `mmap_source`, as long as the source (and,
/// for `memory_source`, the bytes) lives; for a source that reuses its
/// buffer (`file_source`, `stream_source`, the decompressing sources), only
/// until the reader's next read, and a copy of the view is no exception.
/// To keep a record past the next read, copy it into a `record`.
///
/// Where `NDEBUG` is not defined (or `MARCPP_CHECK_VIEWS` is 1), a view from
/// a source that reuses its buffer checks, when its fields or bytes are
/// asked for (`fields()`, `begin()`, `operator[]`, `raw()`), that its reader
/// has not read again, and reports a dangling view to the handler
/// `set_dangling_view_handler` sets (by default: a message, then abort).
/// The `field_view`s, `subfield_view`s and strings taken from a view are
/// not checked. Release builds check nothing and pay nothing.
///
/// Fields keep their order in the directory. `record{view}` makes an owning,
/// editable copy.
class record_view : public detail::record_reads<record_view> {
 public:
  using field_type = field_view;
  using subfield_type = subfield_view;
  using fields_container = boost::container::small_vector<field_view, MARCPP_VIEW_FIELDS_INLINE>;
  using subfields_container = boost::container::small_vector<subfield_view, MARCPP_VIEW_SUBFIELDS_INLINE>;
  using detail::record_reads<record_view>::fields;

  record_view() noexcept = default;
  // Copying and moving rebase the fields' subfield pointers onto the new
  // subfield storage (inline storage moves by copy).
  record_view(const record_view& o) { assign(o); }
  record_view& operator=(const record_view& o) {
    if (this != &o) assign(o);
    return *this;
  }
  // Moves cannot throw, though Boost (1.74) marks the containers' moves
  // noexcept only for elements that are POD: the elements are trivially
  // copyable and both sides have the same inline room, so a move copies
  // inline elements into room that is there or takes over the heap storage,
  // allocating nothing.
  record_view(record_view&& o) noexcept { take(std::move(o)); }
  record_view& operator=(record_view&& o) noexcept {
    if (this != &o) take(std::move(o));
    return *this;
  }
  ~record_view() = default;

  [[nodiscard]] const marcpp::leader& leader() const noexcept { return leader_; }
  /// The fields, in directory order.
  [[nodiscard]] std::span<const field_view> fields() const noexcept {
    check_live();
    return {fields_.data(), fields_.size()};
  }
  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
  [[nodiscard]] const field_view& operator[](std::size_t i) const noexcept {
    check_live();
    return fields_[i];
  }
  [[nodiscard]] auto begin() const noexcept {
    check_live();
    return fields_.begin();
  }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }

  /// Warnings and repairs found while reading this record.
  [[nodiscard]] std::span<const diagnostic> diagnostics() const noexcept { return diags_; }
  /// True if the lenient policy changed or flagged anything in this record.
  [[nodiscard]] bool repaired() const noexcept {
    for (const auto& d : diags_)
      if (d.level != severity::warning) return true;
    return false;
  }
  /// The record's bytes as found in the input.
  [[nodiscard]] std::string_view raw() const noexcept {
    check_live();
    return raw_;
  }
  /// Byte offset of the record in the input (`npos` if unknown).
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  /// 0-based position of the record in the input (`npos` if unknown).
  [[nodiscard]] std::uint64_t index() const noexcept { return index_; }
  /// True when the reader found nothing to report in the record and its
  /// layout is the plain one (fields in directory order, one after another):
  /// `raw()` is then exactly what `write_iso2709` writes for it, and the
  /// writer copies it whole.
  [[nodiscard]] bool is_canonical() const noexcept { return canonical_; }
  /// Number of indicator bytes each data field carries in ISO 2709 (leader/10,
  /// or 2 where the leader does not say).
  [[nodiscard]] unsigned indicator_count() const noexcept { return ind_count_; }

  /// Empties the record, keeping its capacity for reuse.
  void clear() noexcept {
    leader_ = marcpp::leader{};
    fields_.clear();
    subfields_.clear();
    diags_.clear();
    raw_ = {};
    offset_ = index_ = npos;
    ind_count_ = 2;
    canonical_ = false;
#if MARCPP_CHECK_VIEWS
    reads_.reset();
#endif
  }

 private:
  friend class detail::iso2709_parser;
  friend struct detail::record_view_access;

  void assign(const record_view& o) {
    leader_ = o.leader_;
    fields_ = o.fields_;
    subfields_ = o.subfields_;
    diags_ = o.diags_;
    raw_ = o.raw_;
    offset_ = o.offset_;
    index_ = o.index_;
    ind_count_ = o.ind_count_;
    canonical_ = o.canonical_;
#if MARCPP_CHECK_VIEWS
    reads_ = o.reads_;
    read_at_ = o.read_at_;
#endif
    rebase(o.subfields_.data());
  }
  void take(record_view&& o) noexcept {
    static_assert(std::is_trivially_copyable_v<field_view> && std::is_trivially_copyable_v<subfield_view>);
    static_assert(std::is_nothrow_move_assignable_v<detail::diagnostic_list>);
    const subfield_view* old_base = o.subfields_.data();
    leader_ = o.leader_;
    fields_ = std::move(o.fields_);
    subfields_ = std::move(o.subfields_);
    diags_ = std::move(o.diags_);
    raw_ = o.raw_;
    offset_ = o.offset_;
    index_ = o.index_;
    ind_count_ = o.ind_count_;
    canonical_ = o.canonical_;
#if MARCPP_CHECK_VIEWS
    reads_ = std::move(o.reads_);
    read_at_ = o.read_at_;
#endif
    rebase(old_base);
    o.clear();
  }
  // Reports a view whose reader has read again since it was read.
  void check_live() const noexcept {
#if MARCPP_CHECK_VIEWS
    if (reads_ && reads_->n.load(std::memory_order_relaxed) != read_at_)
      detail::dangling_view_hook.load(std::memory_order_relaxed)(index_, offset_);
#endif
  }
  void rebase(const subfield_view* old_base) noexcept {
    const subfield_view* new_base = subfields_.data();
    if (old_base == new_base) return;
    for (auto& f : fields_)
      if (f.nsubs_) f.subs_ = new_base + (f.subs_ - old_base);
  }

  marcpp::leader leader_;
  fields_container fields_;
  subfields_container subfields_;
  detail::diagnostic_list diags_;
  std::string_view raw_;
  std::uint64_t offset_ = npos;
  std::uint64_t index_ = npos;
  unsigned ind_count_ = 2;
  bool canonical_ = false;
#if MARCPP_CHECK_VIEWS
  // The count of reads of the reader that read this view, and its value
  // then; none for a source whose bytes stay where they are.
  std::shared_ptr<const detail::read_count> reads_;
  std::uint64_t read_at_ = 0;
#endif
};

namespace detail {
struct record_view_access {
  static diagnostic_list& diagnostics(record_view& r) noexcept { return r.diags_; }
  /// True if the field has the usual shape (two indicators, then subfields
  /// that each begin with a delimiter and a code) and its subfields are
  /// found as they are iterated: `raw()` from its third byte is the subfields.
  static bool usual_shape(const field_view& f) noexcept { return f.split_; }

  // For a view of a record held elsewhere (`marcpp::open` gives records of
  // the text formats, and converted records, as views of owning records).
  static record_view::fields_container& fields(record_view& r) noexcept { return r.fields_; }
  static record_view::subfields_container& subfields(record_view& r) noexcept { return r.subfields_; }
  static void set_record(record_view& r, const marcpp::leader& l, std::string_view raw, std::uint64_t offset,
                         std::uint64_t index) noexcept {
    r.leader_ = l;
    r.raw_ = raw;
    r.offset_ = offset;
    r.index_ = index;
    r.ind_count_ = 2;
    r.canonical_ = false;
  }
  /// A field whose bytes are `raw` (the data of a control field; the
  /// indicators and subfields of a data field, which are `subs`), with tag
  /// `t`, or the bytes `odd` of a tag `tag` cannot hold.
  static field_view make_field(marcpp::tag t, const char* odd, std::string_view raw, bool control,
                               marcpp::indicators ind, const subfield_view* subs, std::uint32_t nsubs) noexcept {
    field_view f(t, raw.data(), static_cast<std::uint32_t>(raw.size()), control);
    if (!t.is_valid() && odd) f.set_odd_tag(odd);
    f.ind_ = ind;
    f.subs_ = subs;
    f.nsubs_ = nsubs;
    return f;
  }
#if MARCPP_CHECK_VIEWS
  /// Marks `r` as read at read `n` of `reads`.
  static void stamp(record_view& r, std::shared_ptr<const read_count> reads, std::uint64_t n) noexcept {
    r.reads_ = std::move(reads);
    r.read_at_ = n;
  }
#endif
};
}  // namespace detail

MARCPP_NAMESPACE_END
