// An amount held at once over all sources and per source address, taken in
// leases that give it back when they end. The API holds request bodies in
// one (limits.max_request_bytes_in_flight; a connection takes its request's
// Content-Length before reading the body, so that many large or slow uploads
// cannot hold many times the per-request cap and one source cannot hold the
// whole budget); the peer port holds TLS handshakes under way in another.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace vigil::node {

class SourceBudget : public std::enable_shared_from_this<SourceBudget> {
 public:
  // An amount taken, given back when it is destroyed. It keeps its budget
  // alive, so it may outlive its owner.
  class Lease {
   public:
    Lease(std::shared_ptr<SourceBudget> budget, std::string source, std::size_t amount)
        : budget_(std::move(budget)), source_(std::move(source)), amount_(amount) {}
    Lease(Lease&& other) noexcept
        : budget_(std::move(other.budget_)), source_(std::move(other.source_)), amount_(other.amount_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (budget_) budget_->give_back(source_, amount_);
    }

   private:
    std::shared_ptr<SourceBudget> budget_;
    std::string source_;
    std::size_t amount_;
  };

  SourceBudget(std::size_t capacity, std::size_t per_source) : capacity_(capacity), per_source_(per_source) {}

  // `amount` for `source`, or nullopt when it does not fit now (the whole
  // budget, or the source's share). An amount of 0 takes nothing.
  std::optional<Lease> take(const std::string& source, std::size_t amount) {
    if (amount == 0) return Lease(nullptr, source, 0);
    std::lock_guard lock(mutex_);
    const auto it = by_source_.find(source);
    const std::size_t mine = it == by_source_.end() ? 0 : it->second;
    if (amount > capacity_ - held_ || amount > per_source_ - mine) return std::nullopt;
    held_ += amount;
    by_source_[source] = mine + amount;
    return Lease(shared_from_this(), source, amount);
  }
  std::size_t held() const {
    std::lock_guard lock(mutex_);
    return held_;
  }
  std::size_t capacity() const { return capacity_; }
  std::size_t per_source() const { return per_source_; }

 private:
  void give_back(const std::string& source, std::size_t amount) {
    std::lock_guard lock(mutex_);
    held_ -= amount;
    const auto it = by_source_.find(source);  // there: its lease holds `amount` > 0 of it
    if ((it->second -= amount) == 0) by_source_.erase(it);
  }

  const std::size_t capacity_;
  const std::size_t per_source_;  // at most capacity_
  mutable std::mutex mutex_;
  std::size_t held_ = 0;
  std::map<std::string, std::size_t> by_source_;
};

}  // namespace vigil::node
