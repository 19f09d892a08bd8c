// Threads that outlive the calls they serve. ClusterClient asks every node
// at once, one blocking HTTP exchange per node; starting and ending a thread
// per node for every heartbeat cost more than the exchange itself. A task
// runs on an idle helper, or on a new one when none is idle, so a call never
// waits behind another's tasks. Internal.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace vigil::client {

class HelperThreads {
 public:
  // The process's helpers (joined at exit).
  static HelperThreads& shared();

  ~HelperThreads();

  // `task()` on a helper; its result, when it is done.
  template <class F>
  auto submit(F task) -> std::future<decltype(task())> {
    auto packaged = std::make_shared<std::packaged_task<decltype(task())()>>(std::move(task));
    auto result = packaged->get_future();
    run([packaged] { (*packaged)(); });
    return result;
  }

 private:
  HelperThreads() = default;
  void run(std::function<void()> task);
  void serve();

  std::mutex mutex_;
  std::condition_variable work_;
  std::deque<std::function<void()>> tasks_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace vigil::client
