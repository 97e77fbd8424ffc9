// SPDX-License-Identifier: MIT
#pragma once

/// \file open_input.hpp
/// What `marcpp::input` (open.hpp) reads through: one virtual interface over
/// the readers of every format and source, a view of an owning record (the
/// text formats and converted records are delivered as `record_view`s too),
/// and the conversion of every record to UTF-8 with its accounting.

#include <marcpp/charset.hpp>
#include <marcpp/config.hpp>
#include <marcpp/error.hpp>
#include <marcpp/reader.hpp>
#include <marcpp/record.hpp>
#include <marcpp/record_view.hpp>

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <new>
#include <type_traits>
#include <string>
#include <string_view>
#include <utility>

MARCPP_NAMESPACE_BEGIN

namespace detail {

/// Makes `v` a view of `r`: its fields' bytes are laid out in `buf` as ISO
/// 2709 has them (a data field's indicators, then each subfield's delimiter,
/// code and value), the subfields view them, and the diagnostics are those
/// of `r`. `raw` is the record's text as found in the input. `buf` and `r`'s
/// leader must outlive the view.
inline void view_of(const record& r, std::string& buf, std::string_view raw, record_view& v) {
  std::size_t bytes = 0, nsubs = 0;
  for (const field& f : r.fields()) {
    if (f.is_control()) {
      bytes += f.data().size();
      continue;
    }
    bytes += 2;
    for (const subfield& s : f.subfields()) bytes += 2 + s.value().size();
    nsubs += f.subfields().size();
  }
  buf.clear();
  buf.reserve(bytes);  // no reallocation below: the views point into it as it fills
  auto& fields = record_view_access::fields(v);
  auto& subs = record_view_access::subfields(v);
  fields.clear();
  subs.clear();
  subs.reserve(nsubs);
  for (const field& f : r.fields()) {
    const std::array<char, 3> chars = f.tag_chars();
    const char* odd = !f.tag().is_valid() && f.has_tag_chars() ? chars.data() : nullptr;
    const std::size_t start = buf.size();
    if (f.is_control()) {
      buf.append(f.data());
      fields.push_back(record_view_access::make_field(f.tag(), odd, std::string_view(buf.data() + start, f.data().size()),
                                                      true, {}, nullptr, 0));
      continue;
    }
    buf += f.ind1();
    buf += f.ind2();
    const std::size_t first = subs.size();
    for (const subfield& s : f.subfields()) {
      if (s.has_delimiter()) buf += '\x1F';
      if (s.has_code()) buf += s.code();
      const std::size_t at = buf.size();
      buf.append(s.value());
      subs.emplace_back(s.code(), std::string_view(buf.data() + at, s.value().size()), s.shape());
    }
    fields.push_back(record_view_access::make_field(f.tag(), odd,
                                                    std::string_view(buf.data() + start, buf.size() - start), false,
                                                    f.indicators(), subs.data() + first,
                                                    static_cast<std::uint32_t>(subs.size() - first)));
  }
  auto& diags = record_view_access::diagnostics(v);
  diags.clear();
  for (const diagnostic& d : r.diagnostics()) diags.push_back(d);
  record_view_access::set_record(v, r.leader(), raw, r.offset(), r.index());
}

/// The conversion of every record to UTF-8 (`open_options::to_utf8`), after
/// the reader: reports what it repaired, refuses under the policy, counts,
/// and applies the error limit to the reader's faults and its own together.
class utf8_stage {
 public:
  utf8_stage(const charset_options& c, const read_options& r) : copts_(c), policy_(r.policy), max_errors_(r.max_errors) {
    copts_.policy = r.policy;
  }

  [[nodiscard]] const charset_options& options() const noexcept { return copts_; }

  /// Accounts for the conversion of a record: `read_diags` of `out`'s
  /// diagnostics were the reader's, the rest the conversion's; `refusal`
  /// set if it refused the record. `reader_faults`: what the reader counted
  /// up to this record. Returns what happens to the record.
  verdict account(const record& out, std::size_t read_diags, bool read_repaired, const diagnostic& refusal,
                  std::string_view raw, std::uint64_t reader_faults, const diagnostic_handler& h) {
    if (refusal) {
      ++faults_;
      if (policy_ == error_policy::strict) {
        error_ = refusal;
        error_.level = severity::error;
        stopped_ = true;
        ++undelivered_;
        if (h) h(error_, raw);
        return verdict::stop;
      }
      if (h) h(refusal, raw);
      ++refused_;
      return over_limit(reader_faults, refusal.record_index, refusal.record_offset, raw, h) ? verdict::stop
                                                                                          : verdict::skip;
    }
    const auto ds = out.diagnostics();
    bool repaired = false;
    for (std::size_t i = read_diags; i < ds.size(); ++i) {
      if (ds[i].level == severity::warning) {
        ++warnings_;
      } else {
        ++faults_;
        repaired = true;
      }
      if (h) h(ds[i], raw);
    }
    if (repaired && !read_repaired) ++repaired_;
    if (!over_limit(reader_faults, out.index(), out.offset(), raw, h)) return verdict::deliver;
    ++undelivered_;
    return verdict::stop;
  }

  /// The reader's statistics with the conversion's added.
  [[nodiscard]] read_stats adjust(read_stats s) const noexcept {
    s.records -= refused_ + undelivered_;
    s.skipped += refused_;
    s.faults += faults_;
    s.warnings += warnings_;
    s.repaired += repaired_;
    return s;
  }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  [[nodiscard]] const diagnostic& error() const noexcept { return error_; }

 private:
  bool over_limit(std::uint64_t reader_faults, std::uint64_t index, std::uint64_t offset, std::string_view raw,
                  const diagnostic_handler& h) {
    if (max_errors_ == npos || reader_faults + faults_ <= max_errors_) return false;
    error_ = diagnostic{};
    error_.code = errc::too_many_errors;
    error_.level = severity::error;
    error_.record_index = index;
    error_.record_offset = error_.offset = offset;
    error_.message = "more than " + std::to_string(max_errors_) + " faults; reading stops";
    stopped_ = true;
    if (h) h(error_, raw);
    return true;
  }

  charset_options copts_;
  error_policy policy_;
  std::uint64_t max_errors_;
  std::uint64_t refused_ = 0, faults_ = 0, warnings_ = 0, repaired_ = 0;
  std::uint64_t undelivered_ = 0;  // the reader delivered it, the conversion stopped reading at it
  diagnostic error_;
  bool stopped_ = false;
};

/// What the work of `input::for_each` returned for a record, kept for the
/// sink by a reader that runs the work on its own threads: in place when
/// it is small (no allocation for each record), else on the heap.
class task_value {
 public:
  task_value() noexcept = default;
  task_value(task_value&& o) noexcept { take(o); }
  task_value& operator=(task_value&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  task_value(const task_value&) = delete;
  task_value& operator=(const task_value&) = delete;
  ~task_value() { reset(); }

  template <class R>
  void emplace(R&& r) {
    using T = std::decay_t<R>;
    reset();
    if constexpr (fits<T>) {
      ::new (static_cast<void*>(room_)) T(std::forward<R>(r));
      ops_ = [](op o, task_value& self, task_value* from) {
        T* p = std::launder(reinterpret_cast<T*>(self.room_));
        if (o == op::destroy) {
          p->~T();
        } else {
          T* q = std::launder(reinterpret_cast<T*>(from->room_));
          ::new (static_cast<void*>(self.room_)) T(std::move(*q));
          q->~T();
        }
      };
    } else {
      heap_ = new T(std::forward<R>(r));
      ops_ = [](op o, task_value& self, task_value*) {
        if (o == op::destroy) delete static_cast<T*>(self.heap_);
      };
    }
  }
  template <class R>
  [[nodiscard]] R& get() noexcept {
    if constexpr (fits<R>) return *std::launder(reinterpret_cast<R*>(room_));
    else return *static_cast<R*>(heap_);
  }

 private:
  enum class op : std::uint8_t { destroy, move };
  static constexpr std::size_t room = 256;
  template <class T>
  static constexpr bool fits = sizeof(T) <= room && alignof(T) <= alignof(std::max_align_t) &&
                               std::is_nothrow_move_constructible_v<T>;
  void reset() noexcept {
    if (ops_) ops_(op::destroy, *this, nullptr);
    ops_ = nullptr;
    heap_ = nullptr;
  }
  void take(task_value& o) noexcept {
    if (!o.ops_) return;
    if (o.heap_) {
      heap_ = std::exchange(o.heap_, nullptr);
    } else {
      o.ops_(op::move, *this, &o);
    }
    ops_ = std::exchange(o.ops_, nullptr);
  }

  alignas(std::max_align_t) unsigned char room_[room];
  void* heap_ = nullptr;
  void (*ops_)(op, task_value&, task_value*) = nullptr;
};

/// The callbacks of `input::for_each`, behind a virtual interface, for a
/// reader that runs them on its own threads.
struct record_task {
  /// On a reading thread: appends `rec`'s output to `out`, and sets
  /// `value` to what the work returned (if anything).
  virtual void work(const record_view& rec, std::string& out, task_value& value) = 0;
  /// One at a time, in input order: false stops reading.
  virtual bool sink(std::string_view out, task_value& value) = 0;

 protected:
  ~record_task() = default;
};

/// One reader of any format over any source, as `marcpp::input` uses it.
/// The handler lives here, at a fixed address: the readers call it through
/// a pointer to it.
class open_backend {
 public:
  virtual ~open_backend() = default;
  /// The next record, valid until the next call; null at the end or on a stop.
  virtual const record_view* next_view() = 0;
  /// The next record into `out`.
  virtual bool next(record_view& out) {
    const record_view* v = next_view();
    if (!v) return false;
    out = *v;
    return true;
  }
  virtual bool next(record& out) = 0;
  /// Runs `t` over the rest of the input on the reader's own threads, if
  /// it has any and has not begun delivering records; false if it does
  /// not (`input::for_each` then runs `t`'s callbacks itself).
  virtual bool run(record_task& t) {
    (void)t;
    return false;
  }
  [[nodiscard]] virtual read_stats stats() const = 0;
  [[nodiscard]] virtual bool failed() const = 0;
  [[nodiscard]] virtual const diagnostic& error() const = 0;

  diagnostic_handler handler;
};

/// Keeps a stream the source reads from (an input file that is not a
/// regular file, or compressed), ahead of the reader in destruction order.
struct owned_stream {
  std::unique_ptr<std::istream> stream;
};

/// A sequential reader of any format (ISO 2709 `reader`, or a text format's
/// reader), with the conversion to UTF-8 if asked for.
template <class Reader, bool Iso2709>
class sequential_backend final : public open_backend, private owned_stream {
 public:
  template <class Source>
  sequential_backend(owned_stream s, Source&& src, const read_options& ro, const charset_options* utf8)
      : owned_stream(std::move(s)), r_(std::forward<Source>(src), ro) {
    if (utf8) conv_.emplace(*utf8, ro);
    r_.on_diagnostic([this](const diagnostic& d, std::string_view raw) {
      if (handler) handler(d, raw);
    });
  }

  const record_view* next_view() override {
    if constexpr (Iso2709) {
      if (!conv_) return r_.next(view_) ? &view_ : nullptr;
      for (;;) {
        if (stopped_ || !r_.next(view_)) return nullptr;
        switch (convert(view_, rec_, view_.raw())) {
          case verdict::deliver: view_of(rec_, buf_, view_.raw(), out_); return &out_;
          case verdict::skip: continue;
          case verdict::stop: return nullptr;
        }
      }
    } else {
      for (;;) {
        if (stopped_ || !r_.next(rec_)) return nullptr;
        if (conv_) {
          const verdict v = convert(rec_, rec_, r_.raw());
          if (v == verdict::skip) continue;
          if (v == verdict::stop) return nullptr;
        }
        view_of(rec_, buf_, r_.raw(), out_);
        return &out_;
      }
    }
  }
  bool next(record_view& out) override {
    if constexpr (Iso2709) {
      if (!conv_) return r_.next(out);
    }
    return open_backend::next(out);
  }
  bool next(record& out) override {
    for (;;) {
      if constexpr (Iso2709) {
        if (!conv_) return r_.next(out);
        if (stopped_ || !r_.next(view_)) return false;
        const verdict v = convert(view_, out, view_.raw());
        if (v == verdict::deliver) return true;
        if (v == verdict::stop) return false;
      } else {
        if (stopped_ || !r_.next(out)) return false;
        if (!conv_) return true;
        const verdict v = convert(out, out, r_.raw());
        if (v == verdict::deliver) return true;
        if (v == verdict::stop) return false;
      }
    }
  }
  [[nodiscard]] read_stats stats() const override { return conv_ ? conv_->adjust(r_.stats()) : r_.stats(); }
  [[nodiscard]] bool failed() const override { return r_.failed() || (conv_ && conv_->stopped()); }
  [[nodiscard]] const diagnostic& error() const override {
    return conv_ && conv_->stopped() ? conv_->error() : r_.error();
  }

 private:
  template <class In>
  verdict convert(const In& in, record& out, std::string_view raw) {
    const std::size_t read_diags = in.diagnostics().size();
    const bool read_repaired = in.repaired();
    const diagnostic refusal = to_utf8(in, out, conv_->options());
    const verdict v = conv_->account(out, read_diags, read_repaired, refusal, raw, r_.stats().faults, handler);
    if (v == verdict::stop) stopped_ = true;
    return v;
  }

  Reader r_;
  std::optional<utf8_stage> conv_;
  record_view view_;  // ISO 2709: the record read
  record rec_;        // the record read (text formats) or converted
  std::string buf_;   // the bytes `out_` views
  record_view out_;   // a view of `rec_`
  bool stopped_ = false;
};

}  // namespace detail

MARCPP_NAMESPACE_END
