// The node's CPU-heavy work (verifying ciphertexts, signatures and quotes,
// computing shares, checking DKG dealings) runs here, off the I/O threads,
// so that those stay free to answer /healthz, peer pings and cheap requests
// however much work arrives.
//
// Two lanes. Peer work (ceremony and gossip messages) is taken first, but
// by at most all workers but one while client work waits, so neither lane
// starves; each link queues a bounded number of messages, so peer work is
// bounded by the number of links. Client work is admitted only while fewer than
// `max_queued_client` tasks wait, and refused otherwise: the API answers 503
// at once instead of queuing a flood without bound. The workers run at a
// lower scheduling priority than the I/O threads, so that on a saturated
// machine the threads that answer health checks and peers get the CPU first.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace vigil::node {

class WorkPool {
 public:
  enum class Lane { kPeer, kClient };

  // A task is called once: with true on a worker to do its work, or with
  // false when the pool stops before it ran (so that its waiter resumes).
  using Task = std::function<void(bool run)>;

  struct Stats {
    std::size_t queued_peer = 0;
    std::size_t queued_client = 0;
    std::size_t busy = 0;  // workers running a task
    std::uint64_t refused_client = 0;
  };

  // `threads` workers (at least one), each at `nice` above the caller's
  // scheduling priority (0 keeps it).
  WorkPool(std::size_t threads, std::size_t max_queued_client, int nice = 5);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `task`; false (and `task` is not called) when the client lane is
  // full or the pool has stopped. The peer lane is never full.
  bool try_post(Lane lane, Task task);
  // Refuses new tasks, tells the queued ones that they will not run, lets
  // the running ones finish and joins the workers. Idempotent; called by the
  // owner, never from a task.
  void stop();

  Stats stats() const;
  std::size_t threads() const { return workers_.size(); }
  std::size_t max_queued_client() const { return max_queued_client_; }

 private:
  void work(int nice);

  const std::size_t max_queued_client_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Task> peer_;
  std::deque<Task> client_;
  std::size_t busy_ = 0;
  std::size_t busy_peer_ = 0;
  std::size_t peer_share_ = 1;  // workers that may run peer work while client work waits
  std::uint64_t refused_client_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// Runs `work()` on `pool` and resumes the calling coroutine on its own
// executor with the result, or with nullopt when the pool refused the work
// (a full client lane, or stopping).
template <class F, class T = std::invoke_result_t<F&>>
boost::asio::awaitable<std::optional<T>> run_on(WorkPool& pool, WorkPool::Lane lane, F work) {
  namespace asio = boost::asio;
  using Token = const asio::use_awaitable_t<>&;
  return asio::async_initiate<Token, void(std::optional<T>)>(
      [&pool, lane](auto handler, F task) {
        // std::function copies what it holds: share the one-shot handler.
        auto waiter = std::make_shared<decltype(handler)>(std::move(handler));
        // Posted, never run inline: the caller may still be inside this initiation.
        auto resume = [waiter](std::optional<T> result) {
          auto executor = asio::get_associated_executor(*waiter);
          asio::post(executor, [waiter, result = std::move(result)]() mutable { (*waiter)(std::move(result)); });
        };
        auto shared_work = std::make_shared<F>(std::move(task));
        const bool queued = pool.try_post(
            lane, [shared_work, resume](bool run) { resume(run ? std::optional<T>((*shared_work)()) : std::nullopt); });
        if (!queued) resume(std::nullopt);
      },
      asio::use_awaitable, std::move(work));
}

}  // namespace vigil::node
