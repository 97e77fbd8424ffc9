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
#include <oneapi/tbb/task_scheduler_observer.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#  include <pthread.h>
#  include <sched.h>
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
    for (std::size_t c = 0; c < static_cast<std::size_t>(CPU_SETSIZE); ++c)
      if (CPU_ISSET(c, &set)) cores.push_back(c);
#endif
  return cores;
}

/// Binds each thread that joins an arena to a core of its own for as long
/// as it stays: the first (the thread that starts the run) to the core it
/// is on, the others to the free cores after that one, in turn. A thread
/// that leaves frees its core and gets its earlier binding back. With more
/// threads than cores, the extra threads share cores in turn. On systems
/// other than Linux it does nothing.
class core_binder : public tbb::task_scheduler_observer {
 public:
  core_binder(tbb::task_arena& arena, std::vector<std::size_t> cores)
      : tbb::task_scheduler_observer(arena), cores_(std::move(cores)), busy_(cores_.size(), false) {
#if defined(__linux__)
    const int here = sched_getcpu();
    auto it = here < 0 ? cores_.end() : std::find(cores_.begin(), cores_.end(), static_cast<std::size_t>(here));
    if (it != cores_.end()) std::rotate(cores_.begin(), it, cores_.end());
    if (!cores_.empty()) observe(true);
#endif
  }
  /// Waits, `patience` at most, until every thread that joined has left
  /// (and so has its earlier binding back); the calling thread, the one
  /// that started the run, gets its binding back here. True if none is left
  /// bound.
  bool release(std::chrono::microseconds patience) {
#if defined(__linux__)
    on_scheduler_exit(false);  // the thread that ran the arena, if it is still listed
    const auto until = std::chrono::steady_clock::now() + patience;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(m_);
        if (threads_.empty()) return true;
      }
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
#else
    static_cast<void>(patience);
    return true;
#endif
  }
  core_binder(const core_binder&) = delete;
  core_binder& operator=(const core_binder&) = delete;
  ~core_binder() override { observe(false); }

  void on_scheduler_entry(bool) override {
#if defined(__linux__)
    std::lock_guard<std::mutex> lock(m_);
    held h;
    h.id = std::this_thread::get_id();
    CPU_ZERO(&h.before);
    h.restore = pthread_getaffinity_np(pthread_self(), sizeof h.before, &h.before) == 0;
    std::size_t slot = cores_.size();
    for (std::size_t i = 0; i < busy_.size(); ++i)
      if (!busy_[i]) {
        slot = i;
        break;
      }
    if (slot < cores_.size()) {
      busy_[slot] = true;
      h.slot = slot;
    } else {
      slot = threads_.size() % cores_.size();  // more threads than cores: share
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cores_[slot], &one);
    (void)pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    threads_.push_back(h);
#endif
  }
  void on_scheduler_exit(bool) override {
#if defined(__linux__)
    std::lock_guard<std::mutex> lock(m_);
    const auto id = std::this_thread::get_id();
    auto it = std::find_if(threads_.begin(), threads_.end(), [&](const held& h) { return h.id == id; });
    if (it == threads_.end()) return;
    if (it->restore) (void)pthread_setaffinity_np(pthread_self(), sizeof it->before, &it->before);
    if (it->slot < busy_.size()) busy_[it->slot] = false;
    threads_.erase(it);
#endif
  }

 private:
#if defined(__linux__)
  struct held {
    std::thread::id id;
    cpu_set_t before;
    bool restore = false;
    std::size_t slot = ~std::size_t{0};  // the core it holds, or none (sharing)
  };
  std::vector<held> threads_;
#endif
  std::vector<std::size_t> cores_;
  std::vector<bool> busy_;
  std::mutex m_;
};

/// Runs `middle` (the filters between the first and the last) in a
/// pipeline on `threads` threads: `produce() -> T*` serially first (null at
/// the end), `consume(T*)` serially last (in input order, or as items come
/// when `ordered` is false), with at most `in_flight` items alive at once.
/// `bind` binds each thread to a core of its own (core_binder) while the
/// pipeline runs.
template <class T, class Produce, class Middle, class Consume>
void run_filters(unsigned threads, std::size_t in_flight, bool ordered, bool bind, Produce& produce, Middle&& middle,
                 Consume& consume) {
  const std::size_t n = threads ? threads : hardware_threads();
  // Lets TBB run as many threads as asked for, even beyond the cores (it
  // otherwise caps its workers and warns).
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, n);
  tbb::task_arena arena(static_cast<int>(n));
  std::unique_ptr<core_binder> binder;
  if (bind) {
    arena.initialize();  // an observer needs the arena it observes
    binder = std::make_unique<core_binder>(arena, allowed_cores());
  }
  // However the run ends, each thread gets its earlier binding back: the
  // workers as they leave the arena, a few hundred microseconds after its
  // work is done.
  struct releaser {
    core_binder* b;
    ~releaser() {
      if (!b) return;
      try {
        (void)b->release(std::chrono::milliseconds(50));
      } catch (...) {  // a lock that failed: the bindings stay
      }
    }
  } release_guard{binder.get()};
  arena.execute([&] {
    tbb::parallel_pipeline(in_flight,
                           tbb::make_filter<void, T*>(tbb::filter_mode::serial_in_order,
                                                      [&](tbb::flow_control& fc) -> T* {
                                                        T* item = produce();
                                                        if (!item) fc.stop();
                                                        return item;
                                                      }) &
                               middle &
                               tbb::make_filter<T*, void>(ordered ? tbb::filter_mode::serial_in_order
                                                                  : tbb::filter_mode::serial_out_of_order,
                                                          [&](T* item) { consume(item); }));
  });
}

/// Runs `produce`, then `work(T*) -> T*` in parallel, then `consume`.
template <class T, class Produce, class Work, class Consume>
void run_pipeline(unsigned threads, std::size_t in_flight, bool ordered, bool bind, Produce&& produce, Work&& work,
                  Consume&& consume) {
  run_filters<T>(threads, in_flight, ordered, bind, produce,
                 tbb::make_filter<T*, T*>(tbb::filter_mode::parallel, [&](T* item) { return work(item); }), consume);
}

}  // namespace detail
MARCPP_NAMESPACE_END
