// SPDX-License-Identifier: MIT
#pragma once

/// \file parallel_reader.hpp
/// `marcpp::parallel_reader`: the sequential reader's scanner and parser in a
/// producer-consumer pipeline (oneTBB) that reads in batches, on every core,
/// in bounded memory, with results in input order.

#include <marcpp/byte_range.hpp>
#include <marcpp/config.hpp>
#include <marcpp/detail/iso2709_parser.hpp>
#include <marcpp/detail/pages.hpp>
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
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

/// Whether a parallel reader binds its threads to cores while it runs.
enum class thread_binding : std::uint8_t {
  /// Bind them when there is one thread for each core the process may use
  /// (the default `threads` = 0 on an unconstrained process), and more than
  /// one: the scheduler may otherwise leave two on one core while another
  /// idles.
  automatic,
  none,   ///< never bind
  cores,  ///< always bind, each thread to a core of its own (cores are shared in turn when there are fewer)
};

/// How a parallel reader works.
struct parallel_options {
  /// Threads to run on; 0 for every hardware thread.
  unsigned threads = 0;
  /// Input bytes per batch. A batch always holds whole records: from a
  /// memory, mapped or file source, the records that begin in its range of
  /// `batch_bytes` bytes; from a stream, records up to that many bytes.
  std::size_t batch_bytes = std::size_t{256} << 10;
  /// Records per batch, at most.
  std::size_t batch_records = 16384;
  /// Batches alive at once (read, being parsed, or waiting to be handed
  /// on). This bounds the memory. 0 lets the reader choose, at most twice
  /// the number of threads: on one thread, two; on several, one a thread
  /// while the threads keep pace with each other (each then reuses the
  /// buffers its core's caches hold), and two a thread while one falls
  /// behind (so that the others go on with the next batches meanwhile),
  /// chosen again every 32 batches a thread from how long each thread took
  /// over its batches.
  std::size_t max_batches = 0;
  /// Hand results on in input order (true), or as batches finish (false:
  /// diagnostics then come in batch order too).
  bool ordered = true;
  /// Whether each thread is bound to a core of its own while a run lasts
  /// (Linux; elsewhere threads are never bound). The thread that calls
  /// `run` keeps the core it is on, and every thread's earlier binding is
  /// set back before `run` returns. A run started while another binds its
  /// threads binds none.
  thread_binding binding = thread_binding::automatic;
};

namespace detail {

/// A source whose bytes are all in memory (`memory_source`, `mmap_source`).
template <class Source>
concept stable_source = requires(const Source& s) {
  { s.bytes() } -> std::convertible_to<std::string_view>;
};

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
    (void)prefault(nb.get(), cap);
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
  std::size_t out_begin = 0, out_end = 0;  // output of run_output
};

template <class Result>
struct batch {
  std::vector<batch_item> items;
  std::string owned;           // the bytes, for a source that cannot keep them
  std::string input_error;     // the input failed after the last item
  Result results;
  // Input reached by position: the byte range [from, to) the batch was cut
  // at; where its first chunk starts (`start`) and where the chunk after its
  // last one starts (`next`), as positions in the input; how many records
  // (and oversized chunks) it holds, and the index of the first.
  std::uint64_t from = 0, to = 0, start = 0, next = 0;
  std::uint64_t records = 0, base = 0;
  std::uint64_t seq = 0;    // the batch's place in input order
  std::size_t owner = 0;    // the thread whose free list it returns to
  // A file read by position: the bytes from position `span_begin` on that
  // the batch read.
  byte_buffer span;
  std::uint64_t span_begin = 0;
  // The parser and the view a worker uses on this batch: they live with the
  // batch, so that their scratch space is reused from batch to batch.
  iso2709_parser parser;
  record_view view;
  // Maps the output string's buffer ahead of its writing.
  pages_ahead out_pages;
  /// The input bytes the batch holds.
  [[nodiscard]] std::size_t input_bytes() const noexcept {
    return owned.size() + std::max(span.size(), static_cast<std::size_t>(to - from));
  }
  void clear() {
    items.clear();
    owned.clear();
    input_error.clear();
    results.clear();
    span.clear();
    span_begin = 0;
  }
};

/// Owns every batch; hands them out and takes them back. A batch goes back
/// to the free list of the thread that filled it, and a thread takes from
/// its own list first: the batch's buffers (its bytes, its output) are then
/// still in that core's caches, not dirty in another's.
template <class Batch>
class batch_pool {
 public:
  explicit batch_pool(std::size_t threads) : free_(std::max<std::size_t>(threads, 1)) {}

  Batch* get(std::size_t thread) {
    std::lock_guard<std::mutex> lock(m_);
    auto& mine = free_[thread % free_.size()];
    Batch* b = nullptr;
    if (!mine.empty()) {
      b = mine.back();
      mine.pop_back();
    } else {
      for (auto& other : free_) {
        if (other.empty()) continue;
        b = other.back();
        other.pop_back();
        break;
      }
    }
    if (!b) {
      all_.push_back(std::make_unique<Batch>());
      b = all_.back().get();
    }
    b->owner = thread;
    return b;
  }
  void put(Batch* b) {
    std::lock_guard<std::mutex> lock(m_);
    free_[b->owner % free_.size()].push_back(b);
  }

 private:
  std::mutex m_;
  std::vector<std::unique_ptr<Batch>> all_;
  std::vector<std::vector<Batch*>> free_;  // one list per thread
};

/// The order in which the batches of a byte-range pipeline are checked: a
/// worker waits until the batches before its own are done. It never waits
/// for a batch nobody holds: batches are made in order, and each is carried
/// through its work by the thread that made it. A failure breaks the chain
/// off, and every waiter returns at once.
class in_order_chain {
 public:
  /// Waits until every batch before `seq` is done; false if the chain was
  /// broken off.
  bool wait_for(std::uint64_t seq) noexcept {
    for (;;) {
      const std::uint64_t c = next_.load(std::memory_order_acquire);
      if (c == broken) return false;
      if (c == seq) return true;
      next_.wait(c, std::memory_order_acquire);
    }
  }
  /// Batch `seq` is done: the next may go on (unless the chain is broken).
  void done(std::uint64_t seq) noexcept {
    std::uint64_t expected = seq;
    if (next_.compare_exchange_strong(expected, seq + 1, std::memory_order_acq_rel)) next_.notify_all();
  }
  void break_off() noexcept {
    next_.store(broken, std::memory_order_release);
    next_.notify_all();
  }

 private:
  static constexpr std::uint64_t broken = ~std::uint64_t{0};
  std::atomic<std::uint64_t> next_{0};
};

template <class R>
struct value_results {
  std::vector<R> values;  // one per record the parallel stage delivered, in order
  void clear() { values.clear(); }
};
struct no_results {
  void clear() {}
};
struct output_results {
  std::string out;
  void clear() { out.clear(); }
};
template <class R>
struct output_value_results {
  std::string out;        // the output of the records the parallel stage delivered, one after another
  std::vector<R> values;  // and what each of them returned, in order
  void clear() {
    out.clear();
    values.clear();
  }
};
template <class Results>
concept has_output = requires(Results& r) { r.out.size(); };

/// How the byte-range pipeline reaches a batch's bytes when they are all in
/// memory: it reads them where they are.
class mapped_ranges {
 public:
  mapped_ranges(std::string_view all, source_window w) noexcept
      : all_(all), first_(static_cast<std::size_t>(w.data - all.data())), base_(w.offset - first_) {}
  [[nodiscard]] std::uint64_t first() const noexcept { return first_; }
  [[nodiscard]] std::uint64_t end() const noexcept { return all_.size(); }

  /// Where the first record that begins in [from, to) starts (`to` if none).
  template <class Batch>
  std::uint64_t guess(Batch&, bool at_first, std::uint64_t from, std::uint64_t to) const noexcept {
    return at_first ? from : next_record_start(all_, from, to);
  }
  /// Calls `take(chunk, position)` on the chunks from position `s` on,
  /// until it returns false or the input ends.
  template <class Batch, class Take>
  void scan(Batch&, std::uint64_t s, std::size_t max_record_size, Take&& take) const {
    const auto at = static_cast<std::size_t>(s);
    memory_source rest(all_.substr(at), base_ + at);
    scanner<memory_source> sc(rest, max_record_size);
    chunk c;
    while (sc.next(c))
      if (!take(c, static_cast<std::uint64_t>(c.x.data - all_.data()))) return;
  }

 private:
  std::string_view all_;
  std::size_t first_;
  std::uint64_t base_;
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

/// How the byte-range pipeline reaches a batch's bytes from a positional
/// source: each worker reads its own range (and what the records that begin
/// in it need past it) into the batch.
template <class Source>
class read_ranges {
 public:
  /// Bytes read before a range, to see the terminator that ends the record
  /// before it (through some filler), and after it, to see a whole leader
  /// near its end. A guess that needed more is found wrong by the check.
  static constexpr std::uint64_t margin = 256;
  /// Room kept in a batch's buffer past its range, for the record that
  /// begins in the range and ends after it.
  static constexpr std::size_t overhang = std::size_t{32} << 10;

  explicit read_ranges(const Source& src) noexcept : src_(&src), first_(src.window().offset), end_(src.size()) {}
  [[nodiscard]] std::uint64_t first() const noexcept { return first_; }
  [[nodiscard]] std::uint64_t end() const noexcept { return end_; }

  template <class Batch>
  std::uint64_t guess(Batch& b, bool at_first, std::uint64_t from, std::uint64_t to) const {
    const std::uint64_t lo = at_first ? from : std::max(first_, from - std::min(from, margin));
    const std::uint64_t hi = std::min(end_, to + margin);
    b.span_begin = lo;
    // Room, from the start, for the record that runs past the range's end
    // (most are shorter than `overhang`): a buffer that grows is copied into
    // fresh memory, and fresh pages cost more than the copy.
    b.span.reserve(static_cast<std::size_t>(hi - lo) + overhang);
    b.span.resize(static_cast<std::size_t>(hi - lo));
    b.input_error = src_->read_at(lo, b.span.data(), b.span.size());
    if (!b.input_error.empty()) {
      // Leave it to the serial check: a guess that cannot be right makes it
      // read the batch again, and report the failure in input order.
      b.span.clear();
      b.input_error.clear();
      return to + 1;
    }
    if (at_first) return from;
    const std::string_view bytes(b.span.data(), b.span.size());
    return lo + next_record_start(bytes, from - lo, to - lo);
  }
  template <class Batch, class Take>
  void scan(Batch& b, std::uint64_t s, std::size_t max_record_size, Take&& take) const {
    if (s < b.span_begin || s > b.span_begin + b.span.size()) {  // not among the bytes read: read afresh
      b.span.clear();
      b.span_begin = s;
    }
    span_source<Source> rest(*src_, end_, b.span, b.span_begin, static_cast<std::size_t>(s - b.span_begin),
                             b.input_error);
    scanner<span_source<Source>> sc(rest, max_record_size);
    chunk c;
    const std::size_t first_item = b.items.size();
    while (sc.next(c))
      if (!take(c, c.x.offset)) break;
    // Reading further may have moved the bytes: point at where they are now
    // (an offset in the input is its place in the span).
    for (std::size_t i = first_item; i < b.items.size(); ++i)
      b.items[i].x.data = b.span.data() + (b.items[i].x.offset - b.span_begin);
  }

 private:
  const Source* src_;
  std::uint64_t first_, end_;
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
template <class Source>
class parallel_reader {
 public:
  explicit parallel_reader(Source src, read_options ro = {}, parallel_options po = {})
      : src_(std::move(src)), ro_(ro), po_(po) {}
  parallel_reader(const parallel_reader&) = delete;
  parallel_reader& operator=(const parallel_reader&) = delete;

  /// Sets the handler that receives every diagnostic.
  void on_diagnostic(diagnostic_handler h) { handler_ = std::move(h); }

  /// Runs `transform(const record_view&)` in parallel and `sink(result)` in
  /// order. A sink may return `bool`: false stops reading.
  template <class Transform, class Sink>
  void run(Transform&& transform, Sink&& sink) {
    using R = std::invoke_result_t<Transform&, const record_view&>;
    if constexpr (std::is_void_v<R>) {
      run_impl<detail::no_results>(
          [&](detail::no_results&, const record_view& v) { transform(v); },
          [&](detail::no_results&, detail::batch_item&, std::size_t) { return call_sink(sink); },
          [](detail::no_results&) { return true; });
    } else {
      run_impl<detail::value_results<R>>(
          [&](detail::value_results<R>& r, const record_view& v) { r.values.push_back(transform(v)); },
          [&](detail::value_results<R>& r, detail::batch_item&, std::size_t k) {
            return call_sink(sink, std::move(r.values[k]));
          },
          [](detail::value_results<R>&) { return true; });
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
    std::size_t run_begin = 0, run_end = 0;
    bool open = false;
    auto flush = [&](detail::output_results& r) {
      bool go = true;
      if (open && run_end > run_begin) go = call_sink(write, std::string_view(r.out).substr(run_begin, run_end - run_begin));
      open = false;
      return go;
    };
    run_impl<detail::output_results>(
        [&](detail::output_results& r, const record_view& v) { format(v, r.out); },
        [&](detail::output_results& r, detail::batch_item& item, std::size_t) {
          if (open && item.out_begin != run_end && !flush(r)) return false;
          if (!open) {
            run_begin = item.out_begin;
            open = true;
          }
          run_end = item.out_end;
          return true;
        },
        flush, [&](detail::output_results& r) { return flush(r); });
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
  /// (e.g. to write the run of outputs it kept in one piece). `sink` may
  /// return `bool`: false stops reading (`end_batch` is still called).
  template <class Format, class Sink, class EndBatch>
  void run_serialized(Format&& format, Sink&& sink, EndBatch&& end_batch) {
    using R = std::invoke_result_t<Format&, const record_view&, std::string&>;
    run_impl<detail::output_value_results<R>>(
        [&](detail::output_value_results<R>& r, const record_view& v) { r.values.push_back(format(v, r.out)); },
        [&](detail::output_value_results<R>& r, detail::batch_item& item, std::size_t k) {
          return call_sink(sink, std::string_view(r.out).substr(item.out_begin, item.out_end - item.out_begin),
                           std::move(r.values[k]));
        },
        [&](detail::output_value_results<R>&) {
          end_batch();
          return true;
        });
  }
  template <class Format, class Sink>
  void run_serialized(Format&& format, Sink&& sink) {
    run_serialized(std::forward<Format>(format), std::forward<Sink>(sink), [] {});
  }

  /// Asks reading to stop as soon as it can; callable from any thread.
  void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

  /// True if reading stopped on an error (strict policy, error limit, I/O).
  [[nodiscard]] bool failed() const noexcept { return acct_ && acct_->stopped(); }
  /// The error that stopped reading (`errc::ok` if none).
  [[nodiscard]] const diagnostic& error() const noexcept { return acct_ ? acct_->error() : no_error_; }
  [[nodiscard]] read_stats stats() const noexcept { return acct_ ? acct_->stats() : read_stats{}; }
  [[nodiscard]] const parallel_options& options() const noexcept { return po_; }
  [[nodiscard]] Source& source() noexcept { return src_; }

 private:
  template <class Sink, class... A>
  static bool call_sink(Sink& sink, A&&... a) {
    if constexpr (std::is_same_v<std::invoke_result_t<Sink&, A...>, bool>) {
      return sink(std::forward<A>(a)...);
    } else {
      sink(std::forward<A>(a)...);
      return true;
    }
  }

  template <class Results, class Produce, class Deliver, class EndBatch>
  void run_impl(Produce&& produce, Deliver&& deliver, EndBatch&& end_batch) {
    run_impl<Results>(std::forward<Produce>(produce), std::forward<Deliver>(deliver),
                      [](Results&) { return true; }, std::forward<EndBatch>(end_batch));
  }

  // produce(results, view): parallel stage, for each record delivered so far.
  // deliver(results, item, k): serial stage, for the k-th delivered record of
  // the batch that the accountant finally delivers. skipped(results): serial,
  // after a record the accountant did not deliver. end_batch(results): serial,
  // after the batch.
  template <class Results, class Produce, class Deliver, class Skipped, class EndBatch>
  void run_impl(Produce&& produce, Deliver&& deliver, Skipped&& skipped, EndBatch&& end_batch) {
    using batch_t = detail::batch<Results>;
    acct_ = std::make_unique<detail::accountant>(ro_, &handler_);
    const unsigned threads = po_.threads ? po_.threads : detail::hardware_threads();
    detail::batch_pool<batch_t> pool(threads);
    const detail::flight_plan in_flight = plan(threads);
    const std::size_t batch_bytes = std::max<std::size_t>(po_.batch_bytes, 1);
    const std::size_t batch_records = std::max<std::size_t>(po_.batch_records, 1);
    std::atomic<bool> stopped{false};
    // The most output a batch has held so far.
    std::atomic<std::size_t> out_most{0};

    // Maps the output string's next pages, a step at a time, before a record
    // is written there: one system call for many pages is cheaper than a
    // fault for each (see detail::prefault).
    auto map_ahead = [](batch_t& b) {
      if constexpr (detail::has_output<Results>) {
        std::string& out = b.results.out;
        b.out_pages.before_write(out.data(), out.size(), out.capacity(), std::size_t{64} << 10,
                                 std::size_t{256} << 10);
      }
    };

    auto parse_batch = [&](batch_t* b) -> batch_t* {
      detail::iso2709_parser& parser = b->parser;
      parser.set_options(detail::parse_options{ro_.validate_utf8});
      record_view& view = b->view;
      // The view holds the diagnostics of the batch's records, each
      // record's where the parser wrote them, until the batch is handed on.
      // Slots kept from an earlier batch are written over, their strings'
      // room reused (and a message that is the same, record after record,
      // not copied again).
      auto& diags = detail::record_view_access::diagnostics(view);
      diags.hold_on_clear(true);
      diags.forget_held();
      if constexpr (detail::has_output<Results>) {
        // Output that outgrows its string is copied into fresh memory, and
        // fresh pages cost more than the copy: a batch's string starts with
        // room for the most any batch has held (and an eighth), or, before
        // any batch is done, for four times as many bytes as it reads. Room
        // never written to costs no memory.
        std::string& out = b->results.out;
        const std::size_t most = out_most.load(std::memory_order_relaxed);
        const std::size_t in = b->input_bytes();
        const std::size_t room = most ? std::max(most + most / 8, in) : 4 * in;
        if (out.capacity() < room) out.reserve(room);
      }
      for (detail::batch_item& item : b->items) {
        if constexpr (detail::stable_source<Source> || detail::positional_source<Source>) {
          // Cut on a worker, the chunks were numbered from 0 in the batch.
          if (item.kind != detail::chunk_kind::filler) item.x.index += b->base;
        }
        if (item.kind != detail::chunk_kind::record) continue;
        bool parsed = parser.parse(item.x, view);
        std::size_t stopper = 0;
        item.v = detail::judge(ro_.policy, parsed, diags, &stopper);
        item.stopper = static_cast<std::uint32_t>(stopper);
        if (item.v == detail::verdict::deliver) {
          if constexpr (detail::has_output<Results>) {
            map_ahead(*b);
            item.out_begin = b->results.out.size();
          }
          produce(b->results, static_cast<const record_view&>(view));
          if constexpr (detail::has_output<Results>) item.out_end = b->results.out.size();
        }
        item.diag_begin = static_cast<std::uint32_t>(diags.data() - diags.held().data());
        item.diag_end = static_cast<std::uint32_t>(item.diag_begin + diags.size());
      }
      if constexpr (detail::has_output<Results>) {
        const std::size_t held = b->results.out.size();
        std::size_t most = out_most.load(std::memory_order_relaxed);
        while (held > most && !out_most.compare_exchange_weak(most, held, std::memory_order_relaxed)) {
        }
      }
      return b;
    };

    auto hand_on = [&](batch_t* b) {
      struct give_back {
        detail::batch_pool<batch_t>& pool;
        batch_t* b;
        ~give_back() { pool.put(b); }
      } guard{pool, b};
      if (stopped.load(std::memory_order_relaxed)) return;
      std::size_t k = 0;  // index among the records the parallel stage delivered
      // Every record's diagnostics, as the batch's view holds them.
      const std::span<const diagnostic> batch_diags = detail::record_view_access::diagnostics(b->view).held();
      for (detail::batch_item& item : b->items) {
        bool go = true;
        switch (item.kind) {
          case detail::chunk_kind::filler:
            acct_->filler(item.x);
            break;
          case detail::chunk_kind::oversized:
            go = acct_->oversized(item.x);
            if (go) go = skipped(b->results);
            break;
          case detail::chunk_kind::record: {
            const auto diags = batch_diags.subspan(item.diag_begin, item.diag_end - item.diag_begin);
            detail::verdict final_v = acct_->record(item.v, item.stopper, diags, item.x);
            if (final_v == detail::verdict::deliver) {
              go = deliver(b->results, item, k);
            } else {
              go = final_v != detail::verdict::stop && skipped(b->results);
            }
            if (item.v == detail::verdict::deliver) ++k;
            break;
          }
        }
        if (!go || stop_.load(std::memory_order_relaxed)) {
          end_batch(b->results);
          stopped.store(true, std::memory_order_relaxed);
          return;
        }
      }
      if (!end_batch(b->results)) {
        stopped.store(true, std::memory_order_relaxed);
        return;
      }
      if (!b->input_error.empty()) {
        acct_->input_failed(b->input_error);
        stopped.store(true, std::memory_order_relaxed);
      }
    };

    if constexpr (detail::stable_source<Source>) {
      run_ranges<batch_t>(detail::mapped_ranges(src_.bytes(), src_.window()), pool, threads, in_flight, batch_bytes,
                          batch_records, stopped, parse_batch, hand_on);
    } else if constexpr (detail::positional_source<Source>) {
      run_ranges<batch_t>(detail::read_ranges<Source>(src_), pool, threads, in_flight, batch_bytes, batch_records,
                          stopped, parse_batch, hand_on);
    } else {
      // A stream: the serial stage reads the records and copies their
      // bytes into the batch.
      detail::scanner<Source> scanner(src_, ro_.max_record_size);
      bool input_done = false;
      auto read_batch = [&]() -> batch_t* {
        if (input_done || stopped.load(std::memory_order_relaxed) || stop_.load(std::memory_order_relaxed))
          return nullptr;
        batch_t* b = pool.get(detail::thread_index());
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
      detail::run_pipeline<batch_t>(threads, in_flight, po_.ordered, bind_cores(threads), read_batch, parse_batch,
                                    hand_on);
    }
  }

  // Input whose bytes can be reached by position (a memory or a mapped
  // source, or a file read by position): the serial stage only cuts byte
  // ranges, and the workers find the records that begin in theirs. A
  // worker cannot know where the record before its range ends, so it
  // guesses: the first position after a record terminator that holds a
  // plausible leader. A serial stage, in input order, checks each guess
  // against where the previous batch ended; where they differ (only in
  // damaged data, or after a batch cut short by `batch_records`) it cuts the
  // batch again from there, as the sequential reader would. It also numbers
  // the records. So the batches hold exactly the sequential reader's chunks.
  // `Ranges` (detail::mapped_ranges or detail::read_ranges) says how a
  // batch reaches its bytes.
  template <class Batch, class Ranges, class Parse, class HandOn>
  void run_ranges(Ranges ranges, detail::batch_pool<Batch>& pool, unsigned threads, detail::flight_plan in_flight,
                  std::size_t batch_bytes, std::size_t batch_records, std::atomic<bool>& stopped, Parse& parse_batch,
                  HandOn& hand_on) {
    const std::uint64_t first = ranges.first(), end = ranges.end();
    std::uint64_t cursor = first, expected = first, next_index = 0, seq = 0;
    std::atomic<bool> chain_done{first >= end};

    auto cut_range = [&]() -> Batch* {
      // After the last range, while the check has not reached the end
      // (a batch cut short by `batch_records` leaves records for the
      // next), empty ranges carry the cutting on.
      if (stopped.load(std::memory_order_relaxed) || stop_.load(std::memory_order_relaxed)) return nullptr;
      if (cursor >= end && chain_done.load(std::memory_order_acquire)) return nullptr;
      Batch* b = pool.get(detail::thread_index());
      b->clear();
      b->seq = seq++;
      b->from = cursor;
      b->to = cursor + std::min<std::uint64_t>(batch_bytes, end - cursor);
      cursor = b->to;
      return b;
    };
    // The chunks from position `s` on, up to the first record at or past
    // `limit` or `batch_records` records; returns the position of the chunk
    // after the last one taken (the end of the input if none).
    auto cut = [&](Batch* b, std::uint64_t s, std::uint64_t limit) -> std::uint64_t {
      b->items.clear();
      b->records = 0;
      std::uint64_t after = end;
      ranges.scan(*b, s, max_record_size(), [&](const detail::chunk& c, std::uint64_t pos) {
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
    auto guess = [&](Batch* b) {
      if (b->from >= b->to || stopped.load(std::memory_order_relaxed)) {
        b->start = b->next = b->to;
        return;
      }
      b->start = ranges.guess(*b, b->from == first, b->from, b->to);
      b->next = b->start < b->to ? cut(b, b->start, b->to) : b->start;
    };
    auto check = [&](Batch* b) {
      if (stopped.load(std::memory_order_relaxed)) {
        b->items.clear();
        b->records = 0;
        return;
      }
      if (expected >= b->to) {
        // The previous batch reached past this range: nothing begins in it.
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
      if (expected >= end || !b->input_error.empty()) chain_done.store(true, std::memory_order_release);
    };
    // One thread takes a batch from its range to its parsed records: it
    // guesses and cuts, waits for the batches before it to be checked (the
    // check is serial, in input order, by this chain), checks and numbers
    // its own, and parses it, so the batch's bytes stay in its caches.
    detail::in_order_chain chain;
    auto work = [&](Batch* b) -> Batch* {
      try {
        guess(b);
        if (!chain.wait_for(b->seq)) {  // something failed before: the pipeline is ending
          b->items.clear();
          b->input_error.clear();
          return b;
        }
        check(b);
        chain.done(b->seq);
        return parse_batch(b);
      } catch (...) {
        chain.break_off();
        throw;
      }
    };
    auto hand = [&](Batch* b) {
      try {
        hand_on(b);
      } catch (...) {
        chain.break_off();
        throw;
      }
    };
    detail::run_pipeline<Batch>(threads, in_flight, po_.ordered, bind_cores(threads), cut_range, work, hand);
  }

  [[nodiscard]] std::size_t max_record_size() const noexcept { return ro_.max_record_size; }
  // Batches in flight: `max_batches` if set. Otherwise, on several
  // threads, one a thread while the threads keep pace with each other, and
  // two a thread while they do not, chosen afresh every `epoch_batches`
  // batches a thread (see parallel_options::max_batches).
  static constexpr std::size_t epoch_batches = 32;
  [[nodiscard]] detail::flight_plan plan(unsigned threads) const noexcept {
    if (po_.max_batches) return detail::flight_plan::fixed(po_.max_batches);
    const std::size_t t = threads;
    if (t < 2) return detail::flight_plan::fixed(2 * t);
    return {t, 2 * t, epoch_batches * t};
  }
  // Whether a run on `threads` threads binds them to cores.
  [[nodiscard]] bool bind_cores(unsigned threads) const {
    switch (po_.binding) {
      case thread_binding::none: return false;
      case thread_binding::cores: return true;
      case thread_binding::automatic: return threads > 1 && detail::allowed_cores().size() == threads;
    }
    return false;
  }

  Source src_;
  read_options ro_;
  parallel_options po_;
  diagnostic_handler handler_;
  std::unique_ptr<detail::accountant> acct_;
  std::atomic<bool> stop_{false};
  diagnostic no_error_;
};

template <class Source>
parallel_reader(Source, read_options, parallel_options) -> parallel_reader<Source>;
template <class Source>
parallel_reader(Source, read_options) -> parallel_reader<Source>;
template <class Source>
parallel_reader(Source) -> parallel_reader<Source>;

MARCPP_NAMESPACE_END
