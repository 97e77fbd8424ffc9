// SPDX-License-Identifier: MIT
#pragma once

/// \file parallel_reader.hpp
/// `marcpp::parallel_reader`: the sequential reader's scanner and parser in a
/// pipeline (oneTBB): batches of records are cut serially, in input order,
/// parsed on every core, and handed on serially, in input order, with a
/// bounded number of batches alive, in a task arena of the run's own.

#include <marcpp/byte_range.hpp>
#include <marcpp/config.hpp>
#include <marcpp/detail/components.hpp>
#include <marcpp/detail/iso2709_parser.hpp>
#include <marcpp/detail/parallel.hpp>
#include <marcpp/detail/scanner.hpp>
#include <marcpp/reader.hpp>
#include <marcpp/record_view.hpp>
#include <marcpp/source.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

/// How a parallel reader works.
struct parallel_options {
  /// Threads to run on; 0 for every hardware thread. A run uses no more
  /// than oneTBB lets the process use (`tbb::global_control::
  /// max_allowed_parallelism`: the hardware threads, unless the program
  /// sets it); the reader never changes that limit.
  unsigned threads = 0;
  /// Input bytes per batch. A batch always holds whole records: from a
  /// memory, mapped or file source, the records that begin in its range of
  /// `batch_bytes` bytes; from a stream, records up to that many bytes.
  std::size_t batch_bytes = std::size_t{256} << 10;
  /// Records per batch, at most.
  std::size_t batch_records = 16384;
  /// Batches alive at once (being read, parsed, or waiting to be handed
  /// on). This bounds the memory. 0: one for each thread of the run.
  std::size_t max_batches = 0;
  /// Hand results on in input order (true), or as batches finish (false:
  /// diagnostics then come in batch order too).
  bool ordered = true;
};

namespace detail {

// stable_source: source.hpp.

/// A source that reads any byte range on any thread (`file_source`).
template <class Source>
concept positional_source = !stable_source<Source> && requires(const Source& s, char* p) {
  { s.size() } -> std::convertible_to<std::uint64_t>;
  { s.read_at(std::uint64_t{}, p, std::size_t{}) } -> std::convertible_to<std::string>;
  { s.window() } -> std::same_as<source_window>;
};

/// Bytes that grow without being zeroed first, and keep their room.
class byte_buffer {
 public:
  [[nodiscard]] char* data() noexcept { return buf_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  void clear() noexcept { size_ = 0; }
  /// Makes the size `n`, keeping the first bytes; new bytes are unset.
  void resize(std::size_t n) {
    if (n > cap_) grow(std::max(n, cap_ + cap_ / 2));
    size_ = n;
  }
  /// Makes room for `n` bytes, keeping the first bytes.
  void reserve(std::size_t n) {
    if (n > cap_) grow(n);
  }

 private:
  void grow(std::size_t cap) {
    std::unique_ptr<char[]> nb(new char[cap]);
    if (size_) std::memcpy(nb.get(), buf_.get(), size_);
    buf_ = std::move(nb);
    cap_ = cap;
  }

  std::unique_ptr<char[]> buf_;
  std::size_t size_ = 0, cap_ = 0;
};

struct batch_item {
  extent x;
  chunk_kind kind = chunk_kind::record;
  verdict v = verdict::deliver;
  std::uint32_t stopper = 0;
  std::uint32_t diag_begin = 0, diag_end = 0;
  std::size_t owned_at = 0;                // where the bytes are in `owned` (a stream's batch)
  std::size_t out_begin = 0, out_end = 0;  // the record's output in the batch's `out`
};

/// What a run keeps for each record when its caller wants nothing back.
struct nothing {};

/// A batch of records, and what the parallel stage made of them. `R` is
/// what the run's format returns for each record.
template <class R>
struct batch {
  std::vector<batch_item> items;
  std::string owned;        // the bytes, for a source that cannot keep them
  std::string input_error;  // the input failed after the last item
  std::string out;          // the output of the records the parallel stage delivered, one after another
  std::vector<R> values;    // and what the format returned for each, in order
  // Input reached by position: the byte range [from, to) the batch was cut
  // at; where its first chunk starts (`start`) and where the chunk after its
  // last one starts (`next`), as positions in the input; how many records
  // (and oversized chunks) it holds, and the index of the first.
  std::uint64_t from = 0, to = 0, start = 0, next = 0;
  std::uint64_t records = 0, base = 0;
  // A file read by position: the bytes from position `span_begin` on that
  // the batch read.
  byte_buffer span;
  std::uint64_t span_begin = 0;
  // The parser and the view a worker uses on this batch: they live with the
  // batch, so that their scratch space is reused from batch to batch.
  iso2709_parser parser;
  record_view view;
  /// The input bytes the batch holds.
  [[nodiscard]] std::size_t input_bytes() const noexcept {
    return owned.size() + std::max(span.size(), static_cast<std::size_t>(to - from));
  }
  void clear() {
    items.clear();
    owned.clear();
    input_error.clear();
    out.clear();
    values.clear();
    span.clear();
    span_begin = 0;
  }
};

/// Owns a run's batches and hands out those not in use; it makes one only
/// when none is free, so a run has as many as it keeps in flight at most.
template <class Batch>
class batch_pool {
 public:
  Batch* get() {
    std::lock_guard<std::mutex> lock(m_);
    if (free_.empty()) return all_.emplace_back(std::make_unique<Batch>()).get();
    Batch* b = free_.back();
    free_.pop_back();
    return b;
  }
  void put(Batch* b) {
    std::lock_guard<std::mutex> lock(m_);
    free_.push_back(b);
  }

 private:
  std::mutex m_;
  std::vector<std::unique_ptr<Batch>> all_;
  std::vector<Batch*> free_;
};

/// A batch the in-order stage of a run hands on instead of giving back at
/// the end of its step (an `end_batch` that takes one keeps it): its
/// records' bytes, and the views and values into them, stay valid until
/// `release()` or destruction, on any thread, even after the run.
class held_batch {
 public:
  held_batch() = default;
  explicit held_batch(std::function<void()> put) : put_(std::move(put)) {}
  held_batch(held_batch&& o) noexcept : put_(std::exchange(o.put_, nullptr)) {}
  held_batch& operator=(held_batch&& o) noexcept {
    if (this != &o) {
      release();
      put_ = std::exchange(o.put_, nullptr);
    }
    return *this;
  }
  held_batch(const held_batch&) = delete;
  held_batch& operator=(const held_batch&) = delete;
  ~held_batch() { release(); }
  /// Gives the batch back to its run for reuse.
  void release() noexcept {
    if (put_) std::exchange(put_, nullptr)();
  }

 private:
  std::function<void()> put_;
};

/// The window through which a scanner reads a batch's bytes of a
/// positional source: the bytes the batch holds (`span`, from position
/// `begin`), read further on demand, up to the end of the input.
template <class Source>
class span_source {
 public:
  // What a read asks for at least: the scanner asks for a record's
  // declared length, so a record that runs past the range is read whole in
  // one or two steps, without reading far into the next range.
  static constexpr std::size_t step = 4096;

  span_source(const Source& src, std::uint64_t end, byte_buffer& span, std::uint64_t begin, std::size_t pos,
              std::string& error) noexcept
      : src_(&src), end_(end), span_(&span), begin_(begin), pos_(pos), error_(&error) {}

  [[nodiscard]] source_window window() const noexcept {
    return {span_->data() + pos_, span_->size() - pos_, begin_ + pos_};
  }
  bool fill(std::size_t n) {
    const std::size_t have = span_->size() - pos_;
    if (have >= n) return true;
    const std::uint64_t at = begin_ + span_->size();
    if (!error_->empty() || at >= end_) return false;
    const auto more = static_cast<std::size_t>(std::min<std::uint64_t>(end_ - at, std::max(n - have, step)));
    const std::size_t old = span_->size();
    span_->resize(old + more);
    *error_ = src_->read_at(at, span_->data() + old, more);
    if (!error_->empty()) {
      span_->resize(old);
      return false;
    }
    return span_->size() - pos_ >= n;
  }
  void consume(std::size_t n) noexcept { pos_ += std::min(n, span_->size() - pos_); }
  [[nodiscard]] std::string_view error() const noexcept { return *error_; }

 private:
  const Source* src_;
  std::uint64_t end_;
  byte_buffer* span_;
  std::uint64_t begin_;
  std::size_t pos_;
  std::string* error_;
};

/// How the byte-range pipeline reaches a batch's bytes: where they are when
/// they are all in memory (a `stable_source`); from a `positional_source`,
/// each worker reads its own range into its batch, and what the records
/// that begin in it need past it.
template <class Source>
class ranges {
 public:
  /// Bytes read before a range, to see the terminator that ends the record
  /// before it (through some filler), and after it, to see a whole leader
  /// near its end. A guess that needed more is found wrong by the check.
  static constexpr std::uint64_t margin = 256;
  /// Room kept in a batch's buffer past its range, for the record that
  /// begins in the range and ends after it (most are shorter): a buffer
  /// that grows is copied.
  static constexpr std::size_t overhang = std::size_t{32} << 10;

  explicit ranges(const Source& src) : src_(&src) {
    if constexpr (stable_source<Source>) {
      all_ = src.bytes();
      first_ = static_cast<std::uint64_t>(src.window().data - all_.data());
      base_ = src.window().offset - first_;
      end_ = all_.size();
    } else {
      first_ = src.window().offset;
      end_ = src.size();
    }
  }
  [[nodiscard]] std::uint64_t first() const noexcept { return first_; }
  [[nodiscard]] std::uint64_t end() const noexcept { return end_; }

  /// Where the first record that begins in [from, to) starts (`to` if none;
  /// past `to` if the bytes could not be read).
  template <class Batch>
  std::uint64_t guess(Batch& b, std::uint64_t from, std::uint64_t to) const {
    if constexpr (stable_source<Source>) {
      return from == first_ ? from : next_record_start(all_, from, to);
    } else {
      const std::uint64_t lo = from == first_ ? from : std::max(first_, from - std::min(from, margin));
      const std::uint64_t hi = std::min(end_, to + margin);
      b.span_begin = lo;
      b.span.reserve(static_cast<std::size_t>(hi - lo) + overhang);
      b.span.resize(static_cast<std::size_t>(hi - lo));
      b.input_error = src_->read_at(lo, b.span.data(), b.span.size());
      if (!b.input_error.empty()) {
        // Left to the serial check: a guess that cannot be right makes it
        // read the batch again, and report the failure in input order.
        b.span.clear();
        b.input_error.clear();
        return to + 1;
      }
      if (from == first_) return from;
      return lo + next_record_start(std::string_view(b.span.data(), b.span.size()), from - lo, to - lo);
    }
  }
  /// Calls `take(chunk, position)` on the chunks from position `s` on,
  /// until it returns false or the input ends.
  template <class Batch, class Take>
  void scan(Batch& b, std::uint64_t s, std::size_t max_record_size, Take&& take) const {
    chunk c;
    if constexpr (stable_source<Source>) {
      const auto at = static_cast<std::size_t>(s);
      memory_source rest(all_.substr(at), base_ + at);
      scanner<memory_source> sc(rest, max_record_size);
      while (sc.next(c))
        if (!take(c, static_cast<std::uint64_t>(c.x.data - all_.data()))) return;
    } else {
      if (s < b.span_begin || s > b.span_begin + b.span.size()) {  // not among the bytes read: read afresh
        b.span.clear();
        b.span_begin = s;
      }
      span_source<Source> rest(*src_, end_, b.span, b.span_begin, static_cast<std::size_t>(s - b.span_begin),
                               b.input_error);
      scanner<span_source<Source>> sc(rest, max_record_size);
      const std::size_t first_item = b.items.size();
      while (sc.next(c))
        if (!take(c, c.x.offset)) break;
      // Reading further may have moved the bytes: point at where they are
      // now (an offset in the input is its place in the span).
      for (std::size_t i = first_item; i < b.items.size(); ++i)
        b.items[i].x.data = b.span.data() + (b.items[i].x.offset - b.span_begin);
    }
  }

 private:
  const Source* src_;
  std::string_view all_;  // a stable source's bytes
  std::uint64_t first_ = 0, end_ = 0, base_ = 0;
};

/// What a parallel reader keeps at a fixed address, so that the reader can
/// move: the accountant of a run points at the options and the handler.
struct parallel_state {
  explicit parallel_state(const read_options& o) : ro(o) {}
  read_options ro;
  diagnostic_handler handler;
  std::optional<accountant> acct;  // the last run's
  std::atomic<bool> stop{false};
};

}  // namespace detail

/// Reads like `reader`, with the same policies, diagnostics, record indices
/// and byte offsets, but parses batches of records on several threads.
///
///     marcpp::parallel_reader r{marcpp::file_source{"big.mrc"}};
///     r.run([](const marcpp::record_view& rec) { return rec.size(); },    // on any thread
///           [&](std::size_t fields) { total += fields; });               // in input order
///
/// `run` calls the transform, in parallel, on every record the policy
/// delivers, and the sink, serially and in input order (unless
/// `parallel_options::ordered` is false), on each result. The diagnostic
/// handler is called serially, in the same order as the sequential reader
/// calls it. A transform or sink that throws ends reading and the exception
/// reaches the caller of `run`; a sink returning `false`, or `stop()` from any
/// thread, ends it cleanly. The transform may already have run on records
/// past the point where reading stops; the sink never sees them.
///
/// A run leaves the process as it found it: its threads work in a
/// `tbb::task_arena` of the run's own, no thread is bound to a core, and no
/// process-wide setting changes. `run` may be called again, and reads the
/// source again from where the first run began (a stream: from where it
/// stands). A reader can be moved, but not while it runs; the reader moved
/// from can only be assigned to or destroyed.
template <class Source>
class parallel_reader {
 public:
  explicit parallel_reader(Source src, read_options ro = {}, parallel_options po = {})
      : src_(std::move(src)), po_(po), st_(std::make_unique<detail::parallel_state>(ro)) {}
  parallel_reader(parallel_reader&&) = default;
  parallel_reader& operator=(parallel_reader&&) = default;

  /// Sets the handler that receives every diagnostic.
  void on_diagnostic(diagnostic_handler h) { st_->handler = std::move(h); }

  /// Runs `transform(const record_view&)` in parallel and `sink(result)` in
  /// order. A sink may return `bool`: false stops reading.
  template <class Transform, class Sink>
  void run(Transform&& transform, Sink&& sink) {
    using R = std::decay_t<std::invoke_result_t<Transform&, const record_view&>>;
    if constexpr (std::is_void_v<R>) {
      run_serialized(
          [&](const record_view& v, std::string&) {
            transform(v);
            return detail::nothing{};
          },
          [&](std::string_view, detail::nothing&&) { return detail::call_sink(sink); }, [] { return true; });
    } else {
      run_serialized([&](const record_view& v, std::string&) { return transform(v); },
                     [&](std::string_view, R&& r) { return detail::call_sink(sink, std::move(r)); }, [] { return true; });
    }
  }

  /// Runs `transform(const record_view&)` in parallel on every record the
  /// policy delivers (for side effects the transform makes thread-safe).
  template <class Transform>
  void run(Transform&& transform) {
    run(std::forward<Transform>(transform), [] {});
  }

  /// Runs `format(const record_view&, std::string& out)` in parallel, each
  /// call appending one record's output, and `write(std::string_view)`
  /// serially with the output of consecutive delivered records, in input
  /// order: the way converters write text or records without a string per
  /// record. `write` may return `bool`: false stops reading.
  template <class Format, class Write>
  void run_output(Format&& format, Write&& write) {
    // The outputs of consecutive records of a batch lie one after another
    // in its buffer: `piece` gathers them, and is written when the next
    // output does not follow it, and at the end of each batch.
    std::string_view piece;
    auto flush = [&] {
      const std::string_view p = piece;
      piece = {};
      return p.empty() || detail::call_sink(write, p);
    };
    run_serialized(
        [&](const record_view& v, std::string& out) {
          format(v, out);
          return detail::nothing{};
        },
        [&](std::string_view text, detail::nothing&&) {
          if (!piece.empty() && piece.data() + piece.size() == text.data()) {
            piece = std::string_view(piece.data(), piece.size() + text.size());
            return true;
          }
          if (!flush()) return false;
          piece = text;
          return true;
        },
        flush);
  }

  /// Runs `format(const record_view&, std::string& out)` in parallel, each
  /// call appending one record's output to `out` and returning what else it
  /// has to say about the record (a value of any movable type `R`), and
  /// `sink(std::string_view output, R&& value)` serially, once per delivered
  /// record, in input order: for converters that handle each record's
  /// output on its own (count it, report what `format` found, put a
  /// separator before it) without a string per record. The output lives in
  /// a buffer of the batch, reused from batch to batch; the outputs of
  /// consecutive records of a batch lie one after the other in it.
  /// `end_batch()`, if given, is called serially after the last record of
  /// each batch the sink saw, while the views the sink got are still valid
  /// (e.g. to write the run of outputs it kept in one piece). An
  /// `end_batch(detail::held_batch)` keeps the batch from reuse until it
  /// releases it (to read its outputs and values on another thread while
  /// the run goes on; the run makes another batch meanwhile). `sink` and
  /// `end_batch` may return `bool`: false stops reading (`end_batch` is
  /// still called after a sink's false).
  template <class Format, class Sink, class EndBatch>
  void run_serialized(Format&& format, Sink&& sink, EndBatch&& end_batch);
  template <class Format, class Sink>
  void run_serialized(Format&& format, Sink&& sink) {
    run_serialized(std::forward<Format>(format), std::forward<Sink>(sink), [] {});
  }

  /// Asks reading to stop as soon as it can; callable from any thread. It
  /// ends the run in progress, or, if none is, the next one at its start;
  /// the run after that reads afresh.
  void stop() noexcept { st_->stop.store(true, std::memory_order_relaxed); }

  /// True if the last run stopped on an error (strict policy, error limit, I/O).
  [[nodiscard]] bool failed() const noexcept { return st_->acct && st_->acct->stopped(); }
  /// The error that stopped the last run (`errc::ok` if none).
  [[nodiscard]] const diagnostic& error() const noexcept { return st_->acct ? st_->acct->error() : no_error(); }
  /// The last run's statistics (so far, while it runs).
  [[nodiscard]] read_stats stats() const noexcept { return st_->acct ? st_->acct->stats() : read_stats{}; }
  [[nodiscard]] const parallel_options& options() const noexcept { return po_; }
  [[nodiscard]] Source& source() noexcept { return src_; }

 private:
  static const diagnostic& no_error() noexcept {
    static const diagnostic none;
    return none;
  }

  Source src_;
  parallel_options po_;
  std::unique_ptr<detail::parallel_state> st_;
};

template <class Source>
template <class Format, class Sink, class EndBatch>
void parallel_reader<Source>::run_serialized(Format&& format, Sink&& sink, EndBatch&& end_batch) {
  using R = std::invoke_result_t<Format&, const record_view&, std::string&>;
  using batch_t = detail::batch<R>;
  detail::parallel_state& st = *st_;
  // However the run ends, a stop asked for during it is spent.
  struct stop_reset {
    std::atomic<bool>& stop;
    ~stop_reset() { stop.store(false, std::memory_order_relaxed); }
  } reset{st.stop};
  detail::accountant& acct = st.acct.emplace(st.ro, &st.handler);
  const read_options& ro = st.ro;
  const unsigned threads = detail::arena_threads(po_.threads);
  const std::size_t in_flight = po_.max_batches ? po_.max_batches : threads;
  // Shared with the batches an `end_batch` holds, which may outlive the run.
  const auto shared_pool = std::make_shared<detail::batch_pool<batch_t>>();
  detail::batch_pool<batch_t>& pool = *shared_pool;
  std::atomic<bool> stopped{false};  // the serial stage stopped: cut no more, hand on no more

  auto parse = [&](batch_t* b) -> batch_t* {
    detail::iso2709_parser& parser = b->parser;
    parser.set_options(detail::parse_options{ro.validate_utf8});
    record_view& view = b->view;
    // The view holds the diagnostics of the batch's records, each record's
    // where the parser wrote them, until the batch is handed on. Slots
    // kept from an earlier batch are written over, their strings' room
    // reused.
    auto& diags = detail::record_view_access::diagnostics(view);
    diags.hold_on_clear(true);
    diags.forget_held();
    // Output that outgrows its string is copied into fresh memory: once the
    // format writes any, the string gets room for four times the input.
    const std::size_t room = 4 * b->input_bytes();
    for (detail::batch_item& item : b->items) {
      if constexpr (detail::stable_source<Source> || detail::positional_source<Source>) {
        // Cut on a worker, the chunks were numbered from 0 in the batch.
        if (item.kind != detail::chunk_kind::filler) item.x.index += b->base;
      }
      if (item.kind != detail::chunk_kind::record) continue;
      const bool parsed = parser.parse(item.x, view);
      std::size_t stopper = 0;
      item.v = detail::judge(ro.policy, parsed, diags, &stopper);
      item.stopper = static_cast<std::uint32_t>(stopper);
      if (item.v == detail::verdict::deliver) {
        item.out_begin = b->out.size();
        b->values.push_back(format(static_cast<const record_view&>(view), b->out));
        item.out_end = b->out.size();
        if (item.out_end && b->out.capacity() < room) b->out.reserve(room);
      }
      item.diag_begin = static_cast<std::uint32_t>(diags.data() - diags.held().data());
      item.diag_end = static_cast<std::uint32_t>(item.diag_begin + diags.size());
    }
    return b;
  };

  auto hand_on = [&](batch_t* b) {
    // Back to the pool at the end of the step, however it ends, unless
    // `end_batch` takes it.
    detail::held_batch hold([shared_pool, b] { shared_pool->put(b); });
    if (stopped.load(std::memory_order_relaxed)) return;
    std::size_t k = 0;  // index among the records the parallel stage delivered
    const std::span<const diagnostic> batch_diags = detail::record_view_access::diagnostics(b->view).held();
    bool go = true, asked = false;  // asked: stop() was called
    for (const detail::batch_item& item : b->items) {
      switch (item.kind) {
        case detail::chunk_kind::filler:
          acct.filler(item.x);
          break;
        case detail::chunk_kind::oversized:
          go = acct.oversized(item.x);
          break;
        case detail::chunk_kind::record: {
          const auto diags = batch_diags.subspan(item.diag_begin, item.diag_end - item.diag_begin);
          const detail::verdict v = acct.record(item.v, item.stopper, diags, item.x);
          if (v == detail::verdict::deliver)
            go = detail::call_sink(sink, std::string_view(b->out).substr(item.out_begin, item.out_end - item.out_begin),
                           std::move(b->values[k]));
          else
            go = v != detail::verdict::stop;
          if (item.v == detail::verdict::deliver) ++k;
          break;
        }
      }
      asked = st.stop.load(std::memory_order_relaxed);
      if (!go || asked) break;
    }
    if constexpr (std::is_invocable_v<EndBatch&, detail::held_batch&&>) {
      if (!detail::call_sink(end_batch, std::move(hold))) go = false;
    } else {
      if (!detail::call_sink(end_batch)) go = false;
    }
    if (go && !asked && !b->input_error.empty()) {
      acct.input_failed(b->input_error);
      go = false;
    }
    if (!go || asked) stopped.store(true, std::memory_order_relaxed);
  };

  const std::size_t batch_bytes = std::max<std::size_t>(po_.batch_bytes, 1);
  const std::size_t batch_records = std::max<std::size_t>(po_.batch_records, 1);
  if constexpr (detail::stable_source<Source> || detail::positional_source<Source>) {
    // Input whose bytes can be reached by position (a memory or a mapped
    // source, or a file read by position): the serial stage only cuts byte
    // ranges, and the workers find the records that begin in theirs. A
    // worker cannot know where the record before its range ends, so it
    // guesses: the first position after a record terminator that holds a
    // plausible leader. A serial stage, in input order, checks each guess
    // against where the previous batch ended; where they differ (only in
    // damaged data, or after a batch cut short by `batch_records`) it cuts
    // the batch again from there, as the sequential reader would. It also
    // numbers the records. So the batches hold exactly the sequential
    // reader's chunks.
    const detail::ranges<Source> ranges(src_);
    const std::uint64_t first = ranges.first(), end = ranges.end();
    std::uint64_t cursor = first, expected = first, next_index = 0;
    std::atomic<bool> checked_all{first >= end};  // the check reached the end of the input, or an error

    auto cut_range = [&]() -> batch_t* {
      // After the last range, while the check has not reached the end (a
      // batch cut short by `batch_records` leaves records for the next),
      // empty ranges carry the cutting on.
      if (stopped.load(std::memory_order_relaxed) || st.stop.load(std::memory_order_relaxed)) return nullptr;
      if (cursor >= end && checked_all.load(std::memory_order_acquire)) return nullptr;
      batch_t* b = pool.get();
      b->clear();
      b->from = cursor;
      b->to = cursor + std::min<std::uint64_t>(batch_bytes, end - cursor);
      cursor = b->to;
      return b;
    };
    // The chunks from position `s` on, up to the first record at or past
    // `limit` or `batch_records` records; returns the position of the chunk
    // after the last one taken (the end of the input if none).
    auto cut = [&](batch_t* b, std::uint64_t s, std::uint64_t limit) -> std::uint64_t {
      b->items.clear();
      b->records = 0;
      std::uint64_t after = end;
      ranges.scan(*b, s, ro.max_record_size, [&](const detail::chunk& c, std::uint64_t pos) {
        if (c.kind != detail::chunk_kind::filler) {
          if (pos >= limit || b->records == batch_records) {
            after = pos;
            return false;
          }
          ++b->records;
        }
        detail::batch_item& item = b->items.emplace_back();
        item.kind = c.kind;
        item.x = c.x;
        return true;
      });
      return after;
    };
    // In parallel: where the batch's first record starts, and its chunks from there.
    auto guess = [&](batch_t* b) {
      if (b->from >= b->to || stopped.load(std::memory_order_relaxed)) {
        b->start = b->next = b->to;
        return b;
      }
      b->start = ranges.guess(*b, b->from, b->to);
      b->next = b->start < b->to ? cut(b, b->start, b->to) : b->start;
      return b;
    };
    // Serially, in input order: the guess against where the batch before ended.
    auto check = [&](batch_t* b) {
      if (stopped.load(std::memory_order_relaxed) || expected >= b->to) {
        // Stopped, or the previous batch reached past this range: nothing
        // begins in it.
        b->items.clear();
        b->records = 0;
        b->input_error.clear();
      } else {
        if (b->start != expected) {
          b->input_error.clear();
          b->next = cut(b, expected, b->to);
        }
        expected = b->next;
      }
      b->base = next_index;
      next_index += b->records;
      if (expected >= end || !b->input_error.empty()) checked_all.store(true, std::memory_order_release);
      return b;
    };
    detail::run_pipeline<batch_t>(threads, in_flight, po_.ordered, cut_range, guess, check, parse, hand_on);
  } else {
    // A stream: the serial stage reads the records and copies their bytes
    // into the batch.
    detail::scanner<Source> scanner(src_, ro.max_record_size);
    bool input_done = false;
    auto read_batch = [&]() -> batch_t* {
      if (input_done || stopped.load(std::memory_order_relaxed) || st.stop.load(std::memory_order_relaxed))
        return nullptr;
      batch_t* b = pool.get();
      b->clear();
      std::size_t bytes = 0;
      detail::chunk c;
      while (bytes < batch_bytes && b->items.size() < batch_records) {
        if (!scanner.next(c)) {
          input_done = true;
          b->input_error.assign(src_.error());
          break;
        }
        detail::batch_item& item = b->items.emplace_back();
        item.kind = c.kind;
        item.x = c.x;
        // The source reuses its buffer: keep the bytes with the batch.
        item.owned_at = b->owned.size();
        b->owned.append(c.x.data, c.x.size);
        bytes += c.x.size;
      }
      for (auto& item : b->items) item.x.data = b->owned.data() + item.owned_at;
      if (b->items.empty() && b->input_error.empty()) {
        pool.put(b);
        return nullptr;
      }
      return b;
    };
    auto pass = [](batch_t* b) { return b; };  // nothing to guess or check: the batch was cut serially
    detail::run_pipeline<batch_t>(threads, in_flight, po_.ordered, read_batch, pass, pass, parse, hand_on);
  }
}

template <class Source>
parallel_reader(Source, read_options, parallel_options) -> parallel_reader<Source>;
template <class Source>
parallel_reader(Source, read_options) -> parallel_reader<Source>;
template <class Source>
parallel_reader(Source) -> parallel_reader<Source>;

MARCPP_NAMESPACE_END
