#include "node/work_pool.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace vigil::node {

WorkPool::WorkPool(std::size_t threads, std::size_t max_queued_client, int nice)
    : max_queued_client_(max_queued_client) {
  threads = std::max<std::size_t>(threads, 1);
  peer_share_ = std::max<std::size_t>(threads - 1, 1);
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this, nice] { work(nice); });
}

WorkPool::~WorkPool() { stop(); }

bool WorkPool::try_post(Lane lane, Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    if (lane == Lane::kClient) {
      if (client_.size() >= max_queued_client_) {
        ++refused_client_;
        return false;
      }
      client_.push_back(std::move(task));
    } else {
      peer_.push_back(std::move(task));
    }
  }
  ready_.notify_one();
  return true;
}

void WorkPool::stop() {
  std::deque<Task> dropped;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    dropped.swap(peer_);
    for (auto& task : client_) dropped.push_back(std::move(task));
    client_.clear();
  }
  ready_.notify_all();
  for (auto& task : dropped) task(false);
  for (auto& worker : workers_) worker.join();
}

WorkPool::Stats WorkPool::stats() const {
  std::lock_guard lock(mutex_);
  return {peer_.size(), client_.size(), busy_, refused_client_};
}

void WorkPool::work(int nice) {
  // Linux schedules threads one by one: this lowers only the worker. Failing
  // leaves it at the caller's priority, which is still correct.
  if (nice != 0) {
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, tid);
    if (errno == 0) (void)::setpriority(PRIO_PROCESS, tid, current + nice);
  }
  for (;;) {
    Task task;
    bool peer = false;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !peer_.empty() || !client_.empty(); });
      if (stopping_) return;
      peer = !peer_.empty() && (busy_peer_ < peer_share_ || client_.empty());
      auto& lane = peer ? peer_ : client_;
      task = std::move(lane.front());
      lane.pop_front();
      ++busy_;
      busy_peer_ += peer ? 1 : 0;
    }
    task(true);
    std::lock_guard lock(mutex_);
    --busy_;
    busy_peer_ -= peer ? 1 : 0;
  }
}

}  // namespace vigil::node
