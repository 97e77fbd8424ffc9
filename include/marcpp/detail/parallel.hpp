// SPDX-License-Identifier: MIT
#pragma once

// The oneTBB adapter: the only header that includes TBB. It runs a
// three-stage pipeline (serial in-order input, parallel work, serial output in
// input order or in completion order) with a bounded number of items in
// flight, on a given number of threads. Exceptions thrown by any stage end
// the pipeline and reach the caller. On Linux it can bind each of the
// pipeline's threads to a core of its own while the pipeline runs.

#include <marcpp/config.hpp>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#if defined(__linux__)
#  include <sched.h>
#  include <unistd.h>
#endif

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// Hardware threads available to this process.
[[nodiscard]] inline unsigned hardware_threads() noexcept {
  int n = tbb::info::default_concurrency();
  return n > 0 ? static_cast<unsigned>(n) : 1u;
}

/// The index of the calling thread in the pipeline's arena (0 for the
/// thread that started it), or 0 outside one.
[[nodiscard]] inline std::size_t thread_index() noexcept {
  const int i = tbb::this_task_arena::current_thread_index();
  return i >= 0 ? static_cast<std::size_t>(i) : 0;
}

/// The cores this process may run on (Linux; elsewhere none are listed).
[[nodiscard]] inline std::vector<std::size_t> allowed_cores() {
  std::vector<std::size_t> cores;
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (std::size_t c = 0; c < std::size_t{CPU_SETSIZE}; ++c)
      if (CPU_ISSET(c, &set)) cores.push_back(c);
#endif
  return cores;
}

/// Binds the threads of one pipeline run each to a core of its own, and
/// gives them their earlier binding back when the run is over. A thread is
/// bound by itself, the first time it does a piece of the run's work
/// (`enter`): the first to the core the thread that made the binder was on,
/// the next to the core after it among `cores`, and so on (with more threads
/// than cores, they share cores in turn). `release`, called by the thread
/// that made the binder once no thread does the run's work any longer (after
/// the pipeline has returned), sets every bound thread's binding back as it
/// was. While another binder of the process is alive, a new one binds
/// nothing: two runs at once would bind the same threads twice. On systems
/// other than Linux it binds nothing.
class core_binder {
 public:
  explicit core_binder(std::vector<std::size_t> cores) : id_(next_id()) {
#if defined(__linux__)
    if (cores.empty() || alive().fetch_add(1, std::memory_order_acq_rel) != 0) {
      if (!cores.empty()) alive().fetch_sub(1, std::memory_order_acq_rel);
      return;
    }
    counted_ = true;
    const int here = sched_getcpu();
    auto it = here < 0 ? cores.end() : std::find(cores.begin(), cores.end(), static_cast<std::size_t>(here));
    if (it != cores.end()) std::rotate(cores.begin(), it, cores.end());
    cores_ = std::move(cores);
#else
    static_cast<void>(cores);
#endif
  }
  core_binder(const core_binder&) = delete;
  core_binder& operator=(const core_binder&) = delete;
  ~core_binder() {
    release();
#if defined(__linux__)
    if (counted_) alive().fetch_sub(1, std::memory_order_acq_rel);
#endif
  }

  /// Binds the calling thread to a core, unless it is bound for this run
  /// already: a thread-local check, then (once a run per thread) a lock.
  void enter() noexcept {
#if defined(__linux__)
    if (cores_.empty() || last_run() == id_) return;
    last_run() = id_;
    try {
      std::lock_guard<std::mutex> lock(m_);
      if (released_) return;
      held h;
      h.tid = gettid();
      CPU_ZERO(&h.before);
      if (sched_getaffinity(0, sizeof h.before, &h.before) != 0) return;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cores_[threads_.size() % cores_.size()], &one);
      threads_.push_back(h);  // listed first: a thread bound is never left out of `release`
      if (sched_setaffinity(0, sizeof one, &one) != 0) threads_.pop_back();
    } catch (...) {  // no lock or no room: the thread stays as it was
    }
#endif
  }

  /// Gives every thread bound its earlier binding back, and binds no more.
  void release() noexcept {
#if defined(__linux__)
    try {
      std::lock_guard<std::mutex> lock(m_);
      released_ = true;
      for (const held& h : threads_) (void)sched_setaffinity(h.tid, sizeof h.before, &h.before);
      threads_.clear();
    } catch (...) {  // a lock that failed: the bindings stay
    }
#endif
  }

  /// The threads bound now.
  [[nodiscard]] std::size_t bound() {
#if defined(__linux__)
    std::lock_guard<std::mutex> lock(m_);
    return threads_.size();
#else
    return 0;
#endif
  }

 private:
  // Which run the calling thread was last bound for (0: none); runs are
  // numbered from 1, so a binder made where an earlier one was is new.
  static std::uint64_t& last_run() noexcept {
    thread_local std::uint64_t id = 0;
    return id;
  }
  static std::uint64_t next_id() noexcept {
    static std::atomic<std::uint64_t> n{0};
    return n.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  static std::atomic<int>& alive() noexcept {
    static std::atomic<int> n{0};
    return n;
  }

#if defined(__linux__)
  struct held {
    pid_t tid = 0;  // the thread's id in the kernel: valid for as long as the thread lives
    cpu_set_t before;
  };
  std::vector<held> threads_;
  bool counted_ = false, released_ = false;
#endif
  std::vector<std::size_t> cores_;
  std::uint64_t id_;
  std::mutex m_;
};

/// How many items a pipeline keeps in flight. With `epoch` 0, `wide`
/// throughout, in one pipeline. Otherwise the run goes in epochs of `epoch`
/// items, each a pipeline of its own (the items of one are all consumed
/// before the next begins), the first with `narrow` items in flight and
/// each later one with `narrow` or `wide`, as the caller decides after the
/// epoch before.
struct flight_plan {
  std::size_t narrow = 2;
  std::size_t wide = 2;
  std::size_t epoch = 0;
  /// `n` in flight throughout.
  [[nodiscard]] static flight_plan fixed(std::size_t n) noexcept { return {n, n, 0}; }
};

/// How long each thread of a pipeline took over its items, epoch by epoch:
/// whether they kept pace with each other. Each thread adds to a slot of
/// its own (its index in the arena).
class pace_meter {
 public:
  /// The mean time of the slowest thread over the fastest's above which
  /// the threads did not keep pace.
  static constexpr double tolerance = 1.15;

  explicit pace_meter(std::size_t threads) : n_(std::max<std::size_t>(threads, 1)), slots_(new slot[n_]) {}

  void add(std::size_t thread, std::uint64_t ns) noexcept {
    slot& s = slots_[thread % n_];
    s.ns.fetch_add(ns, std::memory_order_relaxed);
    s.items.fetch_add(1, std::memory_order_relaxed);
  }
  /// Whether, since the last call, every thread did some of the work and
  /// none took more than `tolerance` times as long an item, on average, as
  /// the fastest; then starts afresh.
  [[nodiscard]] bool kept_pace() noexcept {
    double fastest = 0, slowest = 0;
    bool all = true;
    for (std::size_t i = 0; i < n_; ++i) {
      const std::uint64_t ns = slots_[i].ns.exchange(0, std::memory_order_relaxed);
      const std::uint64_t items = slots_[i].items.exchange(0, std::memory_order_relaxed);
      if (items == 0) {
        all = false;
        continue;
      }
      const double mean = static_cast<double>(ns) / static_cast<double>(items);
      if (fastest == 0 || mean < fastest) fastest = mean;
      slowest = std::max(slowest, mean);
    }
    return all && slowest <= tolerance * fastest;
  }

 private:
  struct alignas(64) slot {  // a cache line each: the threads never write to the same line
    std::atomic<std::uint64_t> ns{0}, items{0};
  };
  std::size_t n_;
  std::unique_ptr<slot[]> slots_;
};

/// Runs `middle` (the filters between the first and the last) in a
/// pipeline on `threads` threads: `produce() -> T*` serially first (null at
/// the end), `consume(T*)` serially last (in input order, or as items come
/// when `ordered` is false), with at most as many items alive at once as
/// `plan` says. After each epoch of the plan, `go_wide()` says whether the
/// next keeps `plan.wide` items in flight (true) or `plan.narrow`.
/// `binder`, when given, binds each thread that runs a filter (see
/// core_binder); its bindings are given back before this returns.
template <class T, class Produce, class Middle, class Consume, class GoWide>
void run_filters(unsigned threads, flight_plan plan, bool ordered, core_binder* binder, Produce& produce,
                 const Middle& middle, Consume& consume, GoWide&& go_wide) {
  const std::size_t n = threads ? threads : hardware_threads();
  // Lets TBB run as many threads as asked for, even beyond the cores (it
  // otherwise caps its workers and warns).
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, n);
  tbb::task_arena arena(static_cast<int>(n));
  // However the run ends, once the pipeline has returned (no filter runs
  // any longer), every thread bound gets its earlier binding back.
  struct releaser {
    core_binder* b;
    ~releaser() {
      if (b) b->release();
    }
  } release_guard{binder};
  arena.execute([&] {
    bool ended = false, wide = plan.epoch == 0;
    while (!ended) {
      std::size_t taken = 0;
      tbb::parallel_pipeline(std::max<std::size_t>(wide ? plan.wide : plan.narrow, 1),
                             tbb::make_filter<void, T*>(tbb::filter_mode::serial_in_order,
                                                        [&](tbb::flow_control& fc) -> T* {
                                                          if (binder) binder->enter();
                                                          if (plan.epoch && taken == plan.epoch) {
                                                            fc.stop();  // the epoch is over, not the input
                                                            return nullptr;
                                                          }
                                                          T* item = produce();
                                                          if (item) {
                                                            ++taken;
                                                          } else {
                                                            ended = true;
                                                            fc.stop();
                                                          }
                                                          return item;
                                                        }) &
                                 middle &
                                 tbb::make_filter<T*, void>(ordered ? tbb::filter_mode::serial_in_order
                                                                    : tbb::filter_mode::serial_out_of_order,
                                                            [&](T* item) {
                                                              if (binder) binder->enter();
                                                              consume(item);
                                                            }));
      if (!ended) wide = go_wide();
    }
  });
}

/// Runs `produce`, then `work(T*) -> T*` in parallel, then `consume`, with
/// as many items in flight as `plan` says: in an epoch after one where the
/// threads kept pace with each other (pace_meter), `plan.narrow`, else
/// `plan.wide`. `bind` binds each thread to a core of its own while they run.
template <class T, class Produce, class Work, class Consume>
void run_pipeline(unsigned threads, flight_plan plan, bool ordered, bool bind, Produce&& produce, Work&& work,
                  Consume&& consume) {
  std::unique_ptr<core_binder> binder;
  if (bind) binder = std::make_unique<core_binder>(allowed_cores());
  core_binder* b = binder.get();
  const bool adapt = plan.epoch != 0 && plan.narrow != plan.wide;
  pace_meter meter(adapt ? (threads ? threads : hardware_threads()) : 1);
  run_filters<T>(
      threads, plan, ordered, b, produce, tbb::make_filter<T*, T*>(tbb::filter_mode::parallel, [&](T* item) {
        if (b) b->enter();
        if (!adapt) return work(item);
        const auto t0 = std::chrono::steady_clock::now();
        T* done = work(item);
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0);
        meter.add(thread_index(), static_cast<std::uint64_t>(ns.count()));
        return done;
      }),
      consume, [&] { return !meter.kept_pace(); });
}

}  // namespace detail
MARCPP_NAMESPACE_END
