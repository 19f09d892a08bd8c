// The bytes of request bodies the API holds at once, over all connections
// (limits.max_request_bytes_in_flight) and per source address (a share of
// that). A connection takes its request's Content-Length before reading
// the body and gives it back once the request is handled, so that many
// large or slow uploads cannot hold many times the per-request cap, and
// one source cannot hold the whole budget: a request that does not fit is
// answered 503 unread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace vigil::node {

class BodyBudget : public std::enable_shared_from_this<BodyBudget> {
 public:
  // Bytes taken, given back when it is destroyed. It keeps its budget
  // alive, so it may outlive the server.
  class Lease {
   public:
    Lease(std::shared_ptr<BodyBudget> budget, std::string source, std::size_t bytes)
        : budget_(std::move(budget)), source_(std::move(source)), bytes_(bytes) {}
    Lease(Lease&& other) noexcept
        : budget_(std::move(other.budget_)), source_(std::move(other.source_)), bytes_(other.bytes_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (budget_) budget_->give_back(source_, bytes_);
    }

   private:
    std::shared_ptr<BodyBudget> budget_;
    std::string source_;
    std::size_t bytes_;
  };

  BodyBudget(std::size_t capacity, std::size_t per_source) : capacity_(capacity), per_source_(per_source) {}

  // `bytes` for `source`, or nullopt when they do not fit now (the whole
  // budget, or the source's share). A request without a body takes none.
  std::optional<Lease> take(const std::string& source, std::size_t bytes) {
    if (bytes == 0) return Lease(nullptr, source, 0);
    std::lock_guard lock(mutex_);
    const auto it = by_source_.find(source);
    const std::size_t mine = it == by_source_.end() ? 0 : it->second;
    if (bytes > capacity_ - held_ || bytes > per_source_ - mine) return std::nullopt;
    held_ += bytes;
    by_source_[source] = mine + bytes;
    return Lease(shared_from_this(), source, bytes);
  }
  std::size_t held() const {
    std::lock_guard lock(mutex_);
    return held_;
  }
  std::size_t capacity() const { return capacity_; }
  std::size_t per_source() const { return per_source_; }

 private:
  void give_back(const std::string& source, std::size_t bytes) {
    std::lock_guard lock(mutex_);
    held_ -= bytes;
    const auto it = by_source_.find(source);  // there: its lease holds `bytes` > 0 of it
    if ((it->second -= bytes) == 0) by_source_.erase(it);
  }

  const std::size_t capacity_;
  const std::size_t per_source_;  // at most capacity_
  mutable std::mutex mutex_;
  std::size_t held_ = 0;
  std::map<std::string, std::size_t> by_source_;
};

}  // namespace vigil::node
