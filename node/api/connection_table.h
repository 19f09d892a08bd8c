// Who holds the client API's connections. A flood of idle or slow
// connections (from one source or many) must not lock out everyone else. A
// connection is "waiting" while it has no request being handled: reading
// one (an idle keep-alive, headers still dribbling in) or writing a response
// the client may never read. When a source holds `max_per_source`
// connections, or the server holds `max_total`, a newcomer takes the place
// of a waiting connection: the source's own longest-waiting one, or the
// longest-waiting one of the source that holds the most. Only when none is
// waiting is the newcomer refused. It also counts each source's requests on
// the work pool (start_work). Thread safe; pure bookkeeping: closing a
// connection is the caller's `Closer`. Held by shared_ptr: a slot keeps its
// table alive, so a session torn down after the server is still counted out.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace vigil::node {

class ConnectionTable : public std::enable_shared_from_this<ConnectionTable> {
 public:
  // Closes one connection; called at most once, outside the table's lock.
  using Closer = std::function<void()>;

 private:
  struct Entry {
    std::string source;
    Closer close;
    bool serving = false;
    bool working = false;            // its request is on the work pool
    bool shed = false;               // closed by the table, no longer counted
    std::int64_t waiting_since = 0;  // when it last began to wait for a request
  };

 public:
  ConnectionTable(std::size_t max_total, std::size_t max_per_source);

  // A connection's place in the table, released when destroyed.
  class Slot {
   public:
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    // A complete request arrived: the connection is serving it and is not
    // shed until it waits again. False when it was shed already (the close
    // is on its way): the request is dropped unanswered.
    bool serving();
    // The request is handled: from `now_ms` the connection waits (for its
    // response to be read, then for the next request).
    void waiting(std::int64_t now_ms);
    // The request is to wait for a worker: false when `limit` connections
    // of the same source have theirs there already, so that one source
    // cannot fill the work queue for everyone. end_work() when it is done.
    bool start_work(std::size_t limit);
    void end_work();
    const std::string& source() const { return entry_->source; }

   private:
    friend class ConnectionTable;
    Slot(std::shared_ptr<ConnectionTable> table, std::list<Entry>::iterator entry)
        : table_(std::move(table)), entry_(entry) {}
    std::shared_ptr<ConnectionTable> table_;
    std::list<Entry>::iterator entry_;
  };

  enum class Refusal { kNone, kSourceFull, kAllServing };
  struct Admission {
    std::unique_ptr<Slot> slot;  // set when admitted
    Refusal refusal = Refusal::kNone;
    bool shed = false;  // another connection was closed to make room
  };

  // A new connection from `source` (its address) accepted at `now_ms`.
  Admission admit(const std::string& source, std::int64_t now_ms, Closer close);

  std::size_t size() const;
  std::size_t from(const std::string& source) const;

 private:
  // The waiting connection to close for a newcomer from `source`, or end().
  std::list<Entry>::iterator victim(const std::string& source, bool source_full);
  void forget(const std::string& source);  // one connection of `source` less
  void release(std::list<Entry>::iterator entry);

  const std::size_t max_total_;
  const std::size_t max_per_source_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;                       // in no order: scanned to shed, the table is small
  std::map<std::string, std::size_t> per_source_;  // sources holding connections only
  std::size_t total_ = 0;
};

}  // namespace vigil::node
