// The work pool: the peer lane goes first, the client lane is bounded and
// refuses when full, a stopped pool tells its waiters, and run_on resumes
// the calling coroutine on its own strand with the result.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <future>
#include <thread>

#include "node/work_pool.h"

namespace vigil::node {
namespace {

using Lane = WorkPool::Lane;

// Holds workers until released.
class Gate {
 public:
  void wait() { opened_.wait(); }
  void open() { promise_.set_value(); }

 private:
  std::promise<void> promise_;
  std::shared_future<void> opened_ = promise_.get_future().share();
};

void wait_until_busy(const WorkPool& pool, std::size_t busy) {
  for (int i = 0; i < 5000 && pool.stats().busy != busy; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(pool.stats().busy, busy);
}

TEST(WorkPool, TakesPeerWorkFirstAndRefusesClientWorkBeyondItsQueue) {
  WorkPool pool(1, 2);
  Gate gate;
  ASSERT_TRUE(pool.try_post(Lane::kClient, [&gate](bool) { gate.wait(); }));
  wait_until_busy(pool, 1);

  std::mutex mutex;
  std::vector<std::string> order;
  auto note = [&](const std::string& what) {
    return [&, what](bool run) {
      std::lock_guard lock(mutex);
      order.push_back(what + (run ? "" : " (dropped)"));
    };
  };
  EXPECT_TRUE(pool.try_post(Lane::kClient, note("client 1")));
  EXPECT_TRUE(pool.try_post(Lane::kClient, note("client 2")));
  EXPECT_FALSE(pool.try_post(Lane::kClient, note("client 3"))) << "two client tasks wait already";
  EXPECT_TRUE(pool.try_post(Lane::kPeer, note("peer 1")));
  EXPECT_TRUE(pool.try_post(Lane::kPeer, note("peer 2")));
  EXPECT_EQ(pool.stats().queued_client, 2u);
  EXPECT_EQ(pool.stats().queued_peer, 2u);
  EXPECT_EQ(pool.stats().refused_client, 1u);

  gate.open();
  for (int i = 0; i < 5000 && pool.stats().busy + pool.stats().queued_client + pool.stats().queued_peer > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  pool.stop();
  EXPECT_EQ(order, (std::vector<std::string>{"peer 1", "peer 2", "client 1", "client 2"}));
}

// Peer work goes first, but never on every worker while client work waits:
// with one worker on a peer task, a worker that frees up takes the waiting
// client task before the next peer task.
TEST(WorkPool, PeerWorkLeavesAWorkerForClientWork) {
  Gate peer_gate;
  Gate client_gate;
  WorkPool pool(2, 4);
  ASSERT_TRUE(pool.try_post(Lane::kPeer, [&peer_gate](bool) { peer_gate.wait(); }));
  wait_until_busy(pool, 1);
  ASSERT_TRUE(pool.try_post(Lane::kClient, [&client_gate](bool) { client_gate.wait(); }));
  wait_until_busy(pool, 2);
  std::mutex mutex;
  std::vector<std::string> order;
  auto note = [&](const char* what) {
    return [&, what](bool) {
      std::lock_guard lock(mutex);
      order.emplace_back(what);
    };
  };
  ASSERT_TRUE(pool.try_post(Lane::kPeer, note("peer")));
  ASSERT_TRUE(pool.try_post(Lane::kClient, note("client")));
  client_gate.open();  // the client worker frees up; the peer worker stays busy
  auto ran = [&] {
    std::lock_guard lock(mutex);
    return order;
  };
  for (int i = 0; i < 5000 && ran().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_FALSE(ran().empty());
  EXPECT_EQ(ran().front(), "client") << "the second worker took the client task first";
  peer_gate.open();
  pool.stop();
}

TEST(WorkPool, StoppingTellsQueuedTasksTheyWillNotRunAndRefusesMore) {
  WorkPool pool(1, 4);
  Gate gate;
  ASSERT_TRUE(pool.try_post(Lane::kPeer, [&gate](bool) { gate.wait(); }));
  wait_until_busy(pool, 1);
  std::promise<bool> client;
  std::promise<bool> peer;
  ASSERT_TRUE(pool.try_post(Lane::kClient, [&client](bool run) { client.set_value(run); }));
  ASSERT_TRUE(pool.try_post(Lane::kPeer, [&peer](bool run) { peer.set_value(run); }));
  std::thread stopper([&pool] { pool.stop(); });
  // stop() tells the queued tasks at once, then waits for the running one.
  EXPECT_FALSE(peer.get_future().get());
  EXPECT_FALSE(client.get_future().get());
  gate.open();
  stopper.join();
  EXPECT_FALSE(pool.try_post(Lane::kPeer, [](bool) {}));
  pool.stop();  // idempotent
}

TEST(WorkPool, WorkersRunBelowTheCallersPriority) {
  WorkPool pool(1, 1, 5);
  errno = 0;
  const int mine = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
  ASSERT_EQ(errno, 0);
  std::promise<int> seen;
  ASSERT_TRUE(pool.try_post(Lane::kClient, [&seen](bool) {
    seen.set_value(::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))));
  }));
  EXPECT_EQ(seen.get_future().get(), std::min(mine + 5, 19));
}

TEST(WorkPool, RunOnResumesTheCallerOnItsStrandWithTheResult) {
  namespace asio = boost::asio;
  Gate gate;  // outlives the pool: its workers may still be waking from it
  WorkPool pool(2, 1);
  asio::io_context io;
  auto strand = asio::make_strand(io);
  std::optional<int> answer;
  std::optional<int> refused = 0;
  bool on_strand = false;
  std::thread::id worker;
  asio::co_spawn(
      strand,
      [&]() -> asio::awaitable<void> {
        answer = co_await run_on(pool, Lane::kClient, [&worker] {
          worker = std::this_thread::get_id();
          return 42;
        });
        on_strand = strand.running_in_this_thread();
        // Both workers held and the one queue place taken: refused at once.
        wait_until_busy(pool, 0);  // the worker that answered 42 is done
        for (std::size_t busy = 1; busy <= 2; ++busy) {
          EXPECT_TRUE(pool.try_post(Lane::kClient, [&gate](bool) { gate.wait(); }));
          wait_until_busy(pool, busy);
        }
        EXPECT_TRUE(pool.try_post(Lane::kClient, [](bool) {}));
        refused = co_await run_on(pool, Lane::kClient, [] { return 7; });
      },
      asio::detached);
  io.run();
  gate.open();
  EXPECT_EQ(answer, 42);
  EXPECT_NE(worker, std::this_thread::get_id());
  EXPECT_TRUE(on_strand);
  EXPECT_EQ(refused, std::nullopt);
}

}  // namespace
}  // namespace vigil::node
