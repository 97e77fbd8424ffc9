// SPDX-License-Identifier: MIT
#pragma once

// The oneTBB adapter: the only header that includes TBB. It runs a pipeline
// of serial and parallel stages with a bounded number of items in flight,
// in a task arena of its own. Exceptions thrown by any stage end the
// pipeline and reach the caller. It changes nothing that outlives the call
// or reaches past its arena: no process-wide limit, no thread's affinity.

#include <marcpp/config.hpp>

#include <oneapi/tbb/global_control.h>  // read only: the host's limit; no global_control is made here
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cstddef>

MARCPP_NAMESPACE_BEGIN
namespace detail {

/// Hardware threads available to this process (its CPU mask's, as oneTBB
/// counts them).
[[nodiscard]] inline unsigned hardware_threads() noexcept {
  const int n = tbb::info::default_concurrency();
  return n > 0 ? static_cast<unsigned>(n) : 1u;
}

/// The threads a run that asks for `threads` (0: every hardware thread)
/// gets: no more than oneTBB lets the process use
/// (`tbb::global_control::max_allowed_parallelism`: the hardware threads,
/// unless the program set it). A larger arena would get no more threads
/// from oneTBB, which would also print a warning on standard error.
[[nodiscard]] inline unsigned arena_threads(unsigned threads) {
  const std::size_t allowed = tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
  const std::size_t asked = threads ? threads : hardware_threads();
  return static_cast<unsigned>(std::max<std::size_t>(std::min(asked, allowed), 1));
}

/// Runs, in an arena of `threads` threads (the caller's among them), with at
/// most `in_flight` items alive at once:
///
///     produce() -> T*      serially, in order (null at the end)
///     prepare(T*) -> T*    in parallel
///     check(T*) -> T*      serially, in input order
///     work(T*) -> T*       in parallel
///     consume(T*)          serially, in input order (as items come when
///                          `ordered` is false)
///
/// A thread that finds an item not yet due at a serial stage leaves it
/// there and takes other work: nothing blocks a thread.
template <class T, class Produce, class Prepare, class Check, class Work, class Consume>
void run_pipeline(unsigned threads, std::size_t in_flight, bool ordered, Produce&& produce, Prepare&& prepare,
                  Check&& check, Work&& work, Consume&& consume) {
  using tbb::filter_mode;
  tbb::task_arena arena(static_cast<int>(std::max(threads, 1u)));
  arena.execute([&] {
    tbb::parallel_pipeline(std::max<std::size_t>(in_flight, 1),
                           tbb::make_filter<void, T*>(filter_mode::serial_in_order,
                                                      [&](tbb::flow_control& fc) -> T* {
                                                        T* item = produce();
                                                        if (!item) fc.stop();
                                                        return item;
                                                      }) &
                               tbb::make_filter<T*, T*>(filter_mode::parallel, [&](T* x) { return prepare(x); }) &
                               tbb::make_filter<T*, T*>(filter_mode::serial_in_order, [&](T* x) { return check(x); }) &
                               tbb::make_filter<T*, T*>(filter_mode::parallel, [&](T* x) { return work(x); }) &
                               tbb::make_filter<T*, void>(ordered ? filter_mode::serial_in_order
                                                                  : filter_mode::serial_out_of_order,
                                                          [&](T* x) { consume(x); }));
  });
}

}  // namespace detail
MARCPP_NAMESPACE_END
