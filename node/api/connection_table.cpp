#include "node/api/connection_table.h"

namespace vigil::node {

ConnectionTable::ConnectionTable(std::size_t max_total, std::size_t max_per_source)
    : max_total_(max_total), max_per_source_(max_per_source) {}

ConnectionTable::Admission ConnectionTable::admit(const std::string& source, std::int64_t now_ms, Closer close) {
  Admission out;
  Closer shed_close;
  {
    std::lock_guard lock(mutex_);
    const auto held = per_source_.find(source);
    const bool source_full = held != per_source_.end() && held->second >= max_per_source_;
    if (source_full || total_ >= max_total_) {
      const auto shed = victim(source, source_full);
      if (shed == entries_.end()) {
        out.refusal = source_full ? Refusal::kSourceFull : Refusal::kAllServing;
        return out;
      }
      shed->shed = true;
      forget(shed->source);
      shed_close = std::move(shed->close);
      out.shed = true;
    }
    entries_.push_back({source, std::move(close), false, false, false, now_ms});
    ++per_source_[source];
    ++total_;
    out.slot.reset(new Slot(shared_from_this(), std::prev(entries_.end())));
  }
  if (shed_close) shed_close();
  return out;
}

std::list<ConnectionTable::Entry>::iterator ConnectionTable::victim(const std::string& source, bool source_full) {
  auto best = entries_.end();
  std::size_t best_held = 0;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->serving || it->shed || (source_full && it->source != source)) continue;
    const std::size_t held = per_source_.at(it->source);
    if (best == entries_.end() || held > best_held || (held == best_held && it->waiting_since < best->waiting_since)) {
      best = it;
      best_held = held;
    }
  }
  return best;
}

void ConnectionTable::forget(const std::string& source) {
  const auto it = per_source_.find(source);
  if (--it->second == 0) per_source_.erase(it);
  --total_;
}

std::size_t ConnectionTable::size() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::size_t ConnectionTable::from(const std::string& source) const {
  std::lock_guard lock(mutex_);
  const auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
}

void ConnectionTable::release(std::list<Entry>::iterator entry) {
  std::lock_guard lock(mutex_);
  if (!entry->shed) forget(entry->source);
  entries_.erase(entry);
}

ConnectionTable::Slot::~Slot() { table_->release(entry_); }

bool ConnectionTable::Slot::serving() {
  std::lock_guard lock(table_->mutex_);
  entry_->serving = true;
  return !entry_->shed;
}

void ConnectionTable::Slot::waiting(std::int64_t now_ms) {
  std::lock_guard lock(table_->mutex_);
  entry_->serving = false;
  entry_->waiting_since = now_ms;
}

bool ConnectionTable::Slot::start_work(std::size_t limit) {
  std::lock_guard lock(table_->mutex_);
  std::size_t working = 0;
  for (const auto& e : table_->entries_) working += e.working && e.source == entry_->source ? 1 : 0;
  if (working >= limit) return false;
  entry_->working = true;
  return true;
}

void ConnectionTable::Slot::end_work() {
  std::lock_guard lock(table_->mutex_);
  entry_->working = false;
}

}  // namespace vigil::node
