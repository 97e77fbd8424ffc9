// SPDX-License-Identifier: MIT
#pragma once

// What the readers of the text formats (MARCXML, MARC-in-JSON, MARCMaker)
// share with each other and with the ISO 2709 reader: the error policy and
// its verdicts, the error limit, the statistics, the diagnostic handler and
// range-for iteration. Each format's reader builds a `record` and its
// diagnostics (at the level the lenient policy would give them) and hands
// them to `settle`, which applies the policy with the ISO 2709 reader's own
// accountant (detail/accountant.hpp): one set of rules for every format.

#include <marcpp/config.hpp>
#include <marcpp/detail/accountant.hpp>
#include <marcpp/detail/extent.hpp>
#include <marcpp/detail/record_iterator.hpp>
#include <marcpp/error.hpp>
#include <marcpp/leader.hpp>
#include <marcpp/read_options.hpp>
#include <marcpp/record.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// The leader of a text format from its text, and what had to be done to
/// it (empty if nothing). No-break spaces (U+00A0, from web pages) are read
/// as blanks; a leader of the wrong length is padded with blanks or cut,
/// and when a short one ends with the MARC 21 entry map `4500` the blanks
/// go before the entry map, where they were lost.
[[nodiscard]] inline leader leader_from_text(std::string text, std::string& repair) {
  repair.clear();
  if (text.find("\xC2\xA0") != std::string::npos) {
    std::string t;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
        t += ' ';
        ++i;
      } else {
        t += text[i];
      }
    }
    repair = "the leader holds no-break spaces (U+00A0); they are read as blanks";
    text = std::move(t);
  }
  if (text.size() != leader::size) {
    const std::size_t n = text.size();
    std::string how;
    if (n < leader::size && n >= 5 && text.compare(n - 4, 4, "4500") == 0) {
      text.insert(n - 4, leader::size - n, ' ');
      how = "blanks are put in before its entry map (4500)";
    } else {
      how = n < leader::size ? "it is padded with blanks" : "it is cut to 24";
    }
    if (!repair.empty()) repair += "; ";
    repair += "the leader has " + std::to_string(n) + " bytes, not 24 (\"" + printable(text.substr(0, 40)) + "\"); " + how;
  }
  return leader(text);
}

/// What a text reader made of the text of a tag (`set_tag_text`).
enum class tag_text : std::uint8_t {
  held,      ///< a tag `tag` holds
  kept,      ///< a MARC 21 tag `tag` cannot hold (`abc`): kept by its bytes, nothing to report
  illegal,   ///< three bytes that are no MARC 21 tag (`30-`): kept by its bytes, a warning (E306)
  unusable,  ///< not three bytes (`42`): the field has no tag, a repair (E306)
};

/// Gives `f` the tag whose text (unescaped as the format does) is `text`.
/// Three bytes are always kept; text of another length is not made into a
/// tag (no byte is invented or dropped), and the field is left without one.
[[nodiscard]] inline tag_text set_tag_text(field& f, std::string_view text) noexcept {
  if (!f.set_tag_chars(text)) {
    f.set_tag(tag::invalid());
    return tag_text::unusable;
  }
  if (f.tag().is_valid()) return tag_text::held;
  return tag::is_legal(text[0], text[1], text[2]) ? tag_text::kept : tag_text::illegal;
}

/// The message of the E306 for tag text that is `illegal` or `unusable`;
/// `what` names where the text was ("the datafield", "the field").
[[nodiscard]] inline std::string tag_text_message(tag_text k, std::string_view what, std::string_view text) {
  std::string m(what);
  m += " has the tag \"";
  m += printable(text);
  if (k == tag_text::illegal)
    return m + "\", which is not a MARC 21 tag (three digits or letters, the letters all upper case or all lower "
               "case); the field keeps it as it is, and it is written back as it is";
  return m + "\", not three characters; the field is kept without a tag (its text is in this report), and no "
             "writer writes it until it is given one";
}

template <class Derived>
class text_reader_base {
 public:
  text_reader_base(const text_reader_base&) = delete;
  text_reader_base& operator=(const text_reader_base&) = delete;

  /// Sets the handler that receives every diagnostic, with the bytes of the
  /// record (or of the stretch of input) it is about.
  void on_diagnostic(diagnostic_handler h) { handler_ = std::move(h); }
  /// True if reading stopped on an error (strict policy, error limit, I/O).
  [[nodiscard]] bool failed() const noexcept { return acct_.stopped(); }
  /// The error that stopped reading (`errc::ok` if none).
  [[nodiscard]] const diagnostic& error() const noexcept { return acct_.error(); }
  [[nodiscard]] const read_stats& stats() const noexcept { return acct_.stats(); }
  [[nodiscard]] const read_options& options() const noexcept { return opts_; }

  /// Input iterator over `const record&`; throws `marcpp::error` when
  /// reading stops on an error.
  using iterator = record_iterator<Derived, record>;
  [[nodiscard]] iterator begin() { return iterator(static_cast<Derived*>(this), &current_); }
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 protected:
  explicit text_reader_base(const read_options& o) : opts_(o), acct_(opts_, &handler_) {}
  ~text_reader_base() = default;

  [[nodiscard]] static diagnostic make(errc code, severity level, std::string message) {
    diagnostic d;
    d.code = code;
    d.level = level;
    d.message = std::move(message);
    return d;
  }

  /// Applies the policy to a record a format parser built (`parsed`) or gave
  /// up on (its last diagnostic says why). `locate(d)` fills in the line and
  /// column of a diagnostic. Returns true if the record is to be delivered.
  template <class Locate>
  bool settle(record& rec, bool parsed, std::string_view raw, Locate&& locate) {
    auto& diags = record_access::diagnostics(rec);
    if (!diags.empty()) {
      std::string_view cn = rec.control_number();
      for (auto& d : diags) {
        if (d.record_index == npos) d.record_index = rec.index();
        if (d.record_offset == npos) d.record_offset = rec.offset();
        if (d.control_number.empty() && !cn.empty()) d.control_number.assign(cn);
        if (d.offset != npos && d.line == 0) locate(d);
      }
    }
    if (!parsed && diags.empty()) diags.push_back(make(errc::xml_not_marcxml, severity::error, "unreadable record"));
    std::size_t stopper = 0;
    const verdict v = judge(opts_.policy, parsed, diags, &stopper);
    extent x;
    x.data = raw.data();
    x.size = raw.size();
    x.offset = rec.offset();
    x.index = rec.index();
    const verdict r = acct_.record(v, stopper, diags, x);
    if (acct_.stopped()) done_ = true;
    return r == verdict::deliver;
  }

  /// A fault outside any record (between records, or in markup around them).
  /// Returns false if reading stops.
  bool settle_loose(diagnostic d, std::string_view raw) {
    const bool go_on = acct_.loose(std::move(d), raw);
    if (acct_.stopped()) done_ = true;
    return go_on;
  }

  void stop(diagnostic d, std::string_view raw) {
    acct_.stop(std::move(d), raw);
    done_ = true;
  }

  read_options opts_;
  diagnostic_handler handler_;
  accountant acct_;  // after opts_ and handler_, which it points to
  record current_;
  bool done_ = false;
};

}  // namespace detail
MARCPP_NAMESPACE_END
