// SPDX-License-Identifier: MIT
#pragma once

// The oneTBB adapter: the only header that includes TBB. It runs a
// three-stage pipeline (serial in-order input, parallel work, serial output in
// input order or in completion order) with a bounded number of items in
// flight, on a given number of threads. Exceptions thrown by any stage end
// the pipeline and reach the caller.

#include <marcpp/config.hpp>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <cstddef>

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

/// Runs `middle` (the filters between the first and the last) in a
/// pipeline on `threads` threads: `produce() -> T*` serially first (null at
/// the end), `consume(T*)` serially last (in input order, or as items come
/// when `ordered` is false), with at most `in_flight` items alive at once.
template <class T, class Produce, class Middle, class Consume>
void run_filters(unsigned threads, std::size_t in_flight, bool ordered, Produce& produce, Middle&& middle,
                 Consume& consume) {
  const std::size_t n = threads ? threads : hardware_threads();
  // Lets TBB run as many threads as asked for, even beyond the cores (it
  // otherwise caps its workers and warns).
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, n);
  tbb::task_arena arena(static_cast<int>(n));
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
void run_pipeline(unsigned threads, std::size_t in_flight, bool ordered, Produce&& produce, Work&& work,
                  Consume&& consume) {
  run_filters<T>(threads, in_flight, ordered, produce,
                 tbb::make_filter<T*, T*>(tbb::filter_mode::parallel, [&](T* item) { return work(item); }), consume);
}

}  // namespace detail
MARCPP_NAMESPACE_END
