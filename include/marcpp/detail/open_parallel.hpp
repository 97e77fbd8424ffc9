// SPDX-License-Identifier: MIT
#pragma once

/// \file open_parallel.hpp
/// `marcpp::input` over the parallel reader: a thread of its own runs a
/// `parallel_reader`, whose workers parse (and convert) the records of each
/// batch; the batch, once accounted for in input order, is handed to the
/// caller's `next` and kept from reuse until the caller has moved past its
/// last record, while the run goes on with other batches. Diagnostics are
/// replayed on the caller's thread, each before the record it came before,
/// with the statistics as they stood at each record: the caller sees what
/// the sequential reader gives.
///
/// `input::for_each` called before any record was read runs the parallel
/// reader on the caller's thread instead (`run`): the program's work runs
/// on the workers with the parsing, its sink in the run's in-order stage.

#include <marcpp/config.hpp>
#include <marcpp/detail/open_input.hpp>
#include <marcpp/parallel_reader.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

MARCPP_NAMESPACE_BEGIN

namespace detail {

/// A record converted on a worker, with what the caller's thread accounts.
struct converted_record {
  record rec;
  std::string buf;    // the bytes the view of `rec` points into
  record_view view;   // of `rec`, unless refused
  std::string_view raw;  // the record as read
  diagnostic refusal;
  std::size_t read_diags = 0;
  bool read_repaired = false;
};

/// What a worker makes of a record for `next`: a copy of its view (pointing
/// into the batch's bytes), or its conversion.
struct parallel_value {
  record_view view;
  std::unique_ptr<converted_record> conv;  // with to_utf8
  [[nodiscard]] record_view& delivered() noexcept { return conv ? conv->view : view; }
};

/// What a worker makes of a record for `input::for_each`: what the
/// program's work returned, and the conversion it worked on.
struct task_result {
  task_value value;
  std::unique_ptr<converted_record> conv;  // with to_utf8
};

/// Converts `v` into `c` (on a worker).
inline void convert_on_worker(const record_view& v, converted_record& c, const charset_options& o) {
  c.read_diags = v.diagnostics().size();
  c.read_repaired = v.repaired();
  c.raw = v.raw();
  c.refusal = to_utf8(v, c.rec, o);
  if (!c.refusal) view_of(c.rec, c.buf, v.raw(), c.view);
}

template <class Source>
class parallel_backend final : public open_backend, private owned_stream {
 public:
  template <class Src>
  parallel_backend(owned_stream s, Src&& src, const read_options& ro, const charset_options* utf8, unsigned threads)
      : owned_stream(std::move(s)), r_(std::forward<Src>(src), ro, options(threads)) {
    if (utf8) conv_.emplace(*utf8, ro);
    r_.on_diagnostic([this](const diagnostic& d, std::string_view raw) {
      if (direct_) {
        if (handler) handler(d, raw);
      } else {
        filling_.diags.push_back({filling_.values.size(), d, raw});
      }
    });
  }
  parallel_backend(const parallel_backend&) = delete;
  parallel_backend& operator=(const parallel_backend&) = delete;
  ~parallel_backend() override { shut_down(); }

  const record_view* next_view() override {
    parallel_value* v = take_delivered();
    return v ? &v->delivered() : nullptr;
  }
  bool next(record_view& out) override {
    parallel_value* v = take_delivered();
    if (!v) return false;
    out = std::move(v->delivered());  // delivered once: the batch keeps its bytes until the next read
    return true;
  }
  bool next(record& out) override {
    parallel_value* v = take_delivered();
    if (!v) return false;
    if (v->conv) out = std::move(v->conv->rec);
    else out = v->view;
    return true;
  }

  bool run(record_task& t) override {
    if (started_ || finished_ || stopped_) return false;
    // The diagnostics go straight to the handler, from the in-order stage,
    // and the statistics are the run's as they stand.
    direct_ = true;
    struct end {
      parallel_backend& b;
      ~end() {
        b.finished_ = true;
        b.stats_ = b.r_.stats();
      }
    } done{*this};
    r_.run_serialized(
        [this, &t](const record_view& v, std::string& out) {
          task_result res;
          if (!conv_) {
            t.work(v, out, res.value);
            return res;
          }
          res.conv = std::make_unique<converted_record>();
          convert_on_worker(v, *res.conv, conv_->options());
          if (!res.conv->refusal) t.work(res.conv->view, out, res.value);
          return res;
        },
        [this, &t](std::string_view out, task_result&& res) {
          if (res.conv) {
            const converted_record& c = *res.conv;
            switch (conv_->account(c.rec, c.read_diags, c.read_repaired, c.refusal, c.raw, r_.stats().faults,
                                   handler)) {
              case verdict::deliver: break;
              case verdict::skip: return true;
              case verdict::stop: stopped_ = true; return false;
            }
          }
          return t.sink(out, res.value);
        });
    return true;
  }

  [[nodiscard]] read_stats stats() const override {
    const read_stats s = direct_ && !finished_ ? r_.stats() : stats_;
    return conv_ ? conv_->adjust(s) : s;
  }
  [[nodiscard]] bool failed() const override { return (finished_ && r_.failed()) || (conv_ && conv_->stopped()); }
  [[nodiscard]] const diagnostic& error() const override {
    if (conv_ && conv_->stopped()) return conv_->error();
    return finished_ ? r_.error() : none_;
  }

 private:
  struct pending_diagnostic {
    std::size_t before;  // the records of the delivery before it
    diagnostic d;
    std::string_view raw;  // into the batch, alive as long as the delivery is
  };
  // What the run hands over for one batch, with the batch itself: its
  // memory is not reused until the delivery is cleared.
  struct delivery {
    std::vector<parallel_value*> values;
    std::vector<read_stats> stats;  // the run's statistics just after each record
    std::vector<pending_diagnostic> diags;
    held_batch batch;
    void clear() {
      values.clear();
      stats.clear();
      diags.clear();
      batch.release();
    }
  };

  static parallel_options options(unsigned threads) {
    parallel_options po;
    po.threads = threads;
    // One batch more than the threads: the in-order stage may wait for the
    // caller to take the batch before while the others parse ahead.
    po.max_batches = arena_threads(threads) + 1;
    return po;
  }

  // The run's thread, for `next`.
  void produce() {
#if MARCPP_HAS_EXCEPTIONS
    try {
#endif
      r_.run_serialized(
          [this](const record_view& v, std::string&) {
            parallel_value pv;
            if (!conv_) {
              pv.view = v;  // the batch's view is the next record's once this returns
              return pv;
            }
            pv.conv = std::make_unique<converted_record>();
            convert_on_worker(v, *pv.conv, conv_->options());
            return pv;
          },
          [this](std::string_view, parallel_value&& pv) {
            filling_.values.push_back(&pv);  // it stays in the batch, which the delivery holds
            filling_.stats.push_back(r_.stats());
            return !cancelled();
          },
          [this](held_batch&& b) { return hand_over(std::move(b)); });
#if MARCPP_HAS_EXCEPTIONS
    } catch (...) {
      failure_ = std::current_exception();
    }
#endif
    // Diagnostics after the last batch (an input that failed) come last.
    std::lock_guard<std::mutex> lock(m_);
    run_done_ = true;
    cv_.notify_all();
  }

  // On the run's thread, at the end of each batch: hands the batch over,
  // once the caller has taken the one before, and goes on.
  bool hand_over(held_batch&& b) {
    if (filling_.values.empty() && filling_.diags.empty()) return !cancelled();
    filling_.batch = std::move(b);
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [this] { return !ready_ || cancel_; });
    if (cancel_) {
      lock.unlock();
      filling_.clear();
      return false;
    }
    std::swap(filling_, handed_);  // `handed_` was empty: the caller took what it held
    ready_ = true;
    cv_.notify_all();
    return true;
  }

  bool cancelled() {
    std::lock_guard<std::mutex> lock(m_);
    return cancel_;
  }

  // On the caller's thread: the next record delivered, with the conversion
  // accounted for; null at the end or on a stop.
  parallel_value* take_delivered() {
    for (;;) {
      parallel_value* v = take();
      if (!v || !v->conv) return v;
      switch (account(*v)) {
        case verdict::deliver: return v;
        case verdict::skip: continue;
        case verdict::stop: return nullptr;
      }
    }
  }

  // On the caller's thread: the next record the run delivered, after the
  // diagnostics before it; null at the end.
  parallel_value* take() {
    for (;;) {
      if (holding_) {
        replay(pos_);
        if (pos_ < reading_.values.size()) {
          stats_ = reading_.stats[pos_];
          return reading_.values[pos_++];
        }
        replay(static_cast<std::size_t>(-1));
        holding_ = false;
        reading_.clear();  // the run may reuse the batch
      }
      if (finished_ || stopped_) return nullptr;
      if (!started_) {
        started_ = true;
        worker_ = std::thread([this] { produce(); });
      }
      std::unique_lock<std::mutex> lock(m_);
      cv_.wait(lock, [this] { return ready_ || run_done_; });
      if (ready_) {
        std::swap(reading_, handed_);
        ready_ = false;
        cv_.notify_all();
        holding_ = true;
        pos_ = dpos_ = 0;
        continue;
      }
      lock.unlock();
      worker_.join();
      finished_ = true;
#if MARCPP_HAS_EXCEPTIONS
      if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
#endif
      // What came after the last batch.
      std::swap(reading_, filling_);
      pos_ = dpos_ = 0;
      replay(static_cast<std::size_t>(-1));
      reading_.clear();
      stats_ = r_.stats();
      return nullptr;
    }
  }

  void replay(std::size_t upto) {
    for (; dpos_ < reading_.diags.size() && reading_.diags[dpos_].before <= upto; ++dpos_)
      if (handler) handler(reading_.diags[dpos_].d, reading_.diags[dpos_].raw);
  }

  verdict account(parallel_value& v) {
    converted_record& c = *v.conv;
    const verdict out = conv_->account(c.rec, c.read_diags, c.read_repaired, c.refusal, c.raw, stats_.faults, handler);
    if (out == verdict::stop) {
      // The batches go with the run: nothing of them is touched again.
      stopped_ = true;
      holding_ = false;
      reading_.clear();
      shut_down();
    }
    return out;
  }

  // Stops the run and waits for its thread.
  void shut_down() {
    {
      std::lock_guard<std::mutex> lock(m_);
      cancel_ = true;
      cv_.notify_all();
    }
    r_.stop();
    if (worker_.joinable()) worker_.join();
  }

  parallel_reader<Source> r_;
  std::optional<utf8_stage> conv_;
  std::thread worker_;
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;     // `handed_` holds a batch for the caller
  bool run_done_ = false;  // the run has ended
  bool cancel_ = false;    // the caller stops the run
  std::exception_ptr failure_;
  delivery filling_;  // the run's thread: the batch being handed on
  delivery handed_;   // between the threads
  // The caller's thread.
  delivery reading_;
  std::size_t pos_ = 0, dpos_ = 0;
  bool started_ = false;  // the run's thread was started (by the first read)
  bool direct_ = false;   // `run` reads on the caller's thread
  bool holding_ = false, finished_ = false, stopped_ = false;
  read_stats stats_;
  diagnostic none_;
};

}  // namespace detail

MARCPP_NAMESPACE_END
