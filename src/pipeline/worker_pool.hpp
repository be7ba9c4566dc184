// run_on_pool: the fixed pool of workers behind count and in-place (Boost.Asio thread_pool).
#pragma once

#include <exception>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace elvis::detail {

// Runs task(i) for i in [0, n) on a pool of n threads and waits; rethrows the first exception.
// Each task is one long-lived worker, so per-worker state (rings, buffers) lives on its thread.
template <class Task>
void run_on_pool(unsigned n, Task&& task) {
    boost::asio::thread_pool pool(n);
    std::mutex mutex;
    std::exception_ptr failure;
    for (unsigned i = 0; i < n; ++i)
        boost::asio::post(pool, [&, i] {
            try {
                task(i);
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!failure) failure = std::current_exception();
            }
        });
    pool.join();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace elvis::detail
