// The bytes of request bodies the API holds at once, over all connections
// (limits.max_request_bytes_in_flight). A connection takes its request's
// Content-Length before reading the body and gives it back once the request
// is handled, so that many large uploads at once cannot hold many times the
// per-request cap: a request that does not fit is answered 503 unread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>

namespace vigil::node {

class BodyBudget : public std::enable_shared_from_this<BodyBudget> {
 public:
  // Bytes taken, given back when it is destroyed or reset. It keeps its
  // budget alive, so it may outlive the server.
  class Lease {
   public:
    Lease(std::shared_ptr<BodyBudget> budget, std::size_t bytes) : budget_(std::move(budget)), bytes_(bytes) {}
    Lease(Lease&& other) noexcept : budget_(std::move(other.budget_)), bytes_(other.bytes_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (budget_) budget_->held_.fetch_sub(bytes_);
    }

   private:
    std::shared_ptr<BodyBudget> budget_;
    std::size_t bytes_;
  };

  explicit BodyBudget(std::size_t capacity) : capacity_(capacity) {}

  // `bytes` taken from the budget, or nullopt when they do not fit now.
  std::optional<Lease> take(std::size_t bytes) {
    std::size_t held = held_.load();
    do {
      if (bytes > capacity_ - held) return std::nullopt;
    } while (!held_.compare_exchange_weak(held, held + bytes));
    return Lease(shared_from_this(), bytes);
  }
  std::size_t held() const { return held_.load(); }
  std::size_t capacity() const { return capacity_; }

 private:
  const std::size_t capacity_;
  std::atomic<std::size_t> held_{0};
};

}  // namespace vigil::node
