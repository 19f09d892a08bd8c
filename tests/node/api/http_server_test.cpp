// The client API's HTTP server on real sockets (loopback): a flood of idle
// connections, from one source or from many, does not lock the API out, nor
// does a flood of expensive requests or of large bodies.
// Each source holds at most limits.max_connections_per_source connections;
// when the server is full, the connection that has waited longest without a
// complete request makes room for the newcomer, so /healthz still answers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <thread>

#include "node/api/connection_table.h"
#include "node/api/http_server.h"
#include "node/node_fixture.h"

namespace vigil::node {
namespace {

// A blocking client socket from a chosen loopback address.
class Client {
 public:
  Client(const std::string& from, std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local), 0) << from;
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server), 0);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // GET /healthz; the response, or "" when the server closed instead or
  // did not answer within the timeout.
  std::string health() { return exchange("GET /healthz HTTP/1.1\r\nHost: node\r\n\r\n"); }
  // Sends `bytes` and returns what arrives first ("" as health()).
  std::string exchange(const std::string& bytes) {
    if (!send(bytes)) return "";
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
  }
  bool send(const std::string& bytes) { return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) >= 0; }
  // Whether the server has closed this connection: end of stream (or a
  // reset) within the timeout, not silence.
  bool closed_by_server() {
    char byte = 0;
    const ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() : cluster_(3, 2, test::temp_dir("http-server")) {
    ApiSettings settings;
    settings.listen = {"127.0.0.1", 0};
    settings.max_request_bytes = 1 << 20;
    settings.max_connections = 8;
    settings.max_connections_per_source = 4;
    settings.max_request_bytes_in_flight = 2 << 20;
    settings.read_timeout = std::chrono::milliseconds(20000);
    server_ = std::make_unique<HttpServer>(io_, *cluster_.nodes[0]->router, pool_, settings);
    port_ = server_->start().value();
    // Two threads run the server, as in vigild.
    threads_[0] = std::thread([this] { io_.run(); });
    threads_[1] = std::thread([this] { io_.run(); });
  }
  ~HttpServerTest() override {
    server_->stop();
    pool_.stop();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  // Idle connections from `from`, given time to be accepted in order.
  std::vector<std::unique_ptr<Client>> idle(const std::string& from, int n) {
    std::vector<std::unique_ptr<Client>> out;
    for (int i = 0; i < n; ++i) out.push_back(std::make_unique<Client>(from, port_));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return out;
  }

  boost::asio::io_context io_;
  test::NodeCluster cluster_;
  WorkPool pool_{2, 2};
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::thread threads_[2];
};

TEST_F(HttpServerTest, OneSourceHoldsAtMostItsShare) {
  auto flood = idle("127.0.0.2", 4);
  // A fifth connection from the same source takes the place of its own
  // longest-waiting one; other sources are untouched.
  Client fifth("127.0.0.2", port_);
  EXPECT_NE(fifth.health().find("200 OK"), std::string::npos);
  EXPECT_TRUE(flood[0]->closed_by_server());
  EXPECT_NE(flood[1]->health().find("200 OK"), std::string::npos);
  Client other("127.0.0.3", port_);
  EXPECT_NE(other.health().find("200 OK"), std::string::npos);
}

TEST_F(HttpServerTest, AFullServerShedsAWaitingConnectionOfTheBiggestHolder) {
  auto first = idle("127.0.0.2", 4);
  auto second = idle("127.0.0.3", 3);
  Client lone("127.0.0.4", port_);  // the server is full now (8)
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Client newcomer("127.0.0.5", port_);
  EXPECT_NE(newcomer.health().find("200 OK"), std::string::npos);
  EXPECT_TRUE(first[0]->closed_by_server()) << "the biggest holder's longest-waiting connection makes room";
  EXPECT_NE(lone.health().find("200 OK"), std::string::npos);
  EXPECT_NE(second[0]->health().find("200 OK"), std::string::npos);
}

// Every worker busy and the client lane full (a flood of expensive
// requests): /healthz is still answered, on the I/O thread, and a request
// that needs a worker is turned away at once with 503 busy and Retry-After,
// not queued.
TEST_F(HttpServerTest, HealthAnswersWhileTheWorkersAreSaturatedAndWorkIsTurnedAway) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  for (std::size_t busy = 1; busy <= 2; ++busy) {
    ASSERT_TRUE(pool_.try_post(WorkPool::Lane::kClient, [released](bool) { released.wait(); }));
    for (int i = 0; i < 5000 && pool_.stats().busy < busy; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(pool_.try_post(WorkPool::Lane::kClient, [released](bool) { released.wait(); }));
  ASSERT_EQ(pool_.stats().busy, 2u);
  ASSERT_EQ(pool_.stats().queued_client, 2u);

  Client watcher("127.0.0.2", port_);
  Client flooder("127.0.0.3", port_);
  const std::string status = "GET /v1/status HTTP/1.1\r\nHost: node\r\n\r\n";
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(watcher.health().find("200 OK"), std::string::npos);
    const std::string refused = flooder.exchange(status);
    EXPECT_NE(refused.find("503 Service Unavailable"), std::string::npos) << refused;
    EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
    EXPECT_NE(refused.find("\"busy\""), std::string::npos) << refused;
  }
  release.set_value();
  std::string answered;
  for (int i = 0; i < 100 && answered.find("200 OK") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    answered = flooder.exchange(status);
  }
  EXPECT_NE(answered.find("200 OK"), std::string::npos) << "the workers are free again: " << answered;
}

// Bodies are read only within limits.max_request_bytes_in_flight (2 MiB
// here) over all connections, and an address's share of it (1 MiB here):
// a request that does not fit is answered 503 without its body being read,
// until an upload is done. A body over the per-request cap, and a chunked
// body whose size is unknown, are answered before any of it is read.
TEST_F(HttpServerTest, BodiesInFlightStayWithinTheBudgetAndEachAddresssShare) {
  const std::string head = "POST /v1/heartbeats HTTP/1.1\r\nHost: node\r\nContent-Length: 1048576\r\n\r\n";
  const std::string small = "POST /v1/heartbeats HTTP/1.1\r\nHost: node\r\nContent-Length: 2\r\n\r\n{}";
  auto held = [this](std::size_t bytes) {
    for (int i = 0; i < 1000 && server_->body_bytes_in_flight() != bytes; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return server_->body_bytes_in_flight() == bytes;
  };
  Client first("127.0.0.2", port_);
  ASSERT_TRUE(first.send(head + std::string(1000, '{')));
  ASSERT_TRUE(held(1 << 20));
  Client same_address("127.0.0.2", port_);
  const std::string over_share = same_address.exchange(small);
  EXPECT_NE(over_share.find("503 Service Unavailable"), std::string::npos) << over_share;
  EXPECT_NE(over_share.find("this address's share"), std::string::npos) << over_share;

  Client second("127.0.0.3", port_);
  ASSERT_TRUE(second.send(head));
  ASSERT_TRUE(held(2 << 20)) << "another address has its own share";
  Client third("127.0.0.4", port_);
  const std::string refused = third.exchange(small);
  EXPECT_NE(refused.find("503 Service Unavailable"), std::string::npos) << refused;
  EXPECT_NE(refused.find("max_request_bytes_in_flight"), std::string::npos) << refused;
  EXPECT_TRUE(third.closed_by_server()) << "its body was not read: the connection cannot go on";

  // The first upload completes (malformed JSON: 400) and gives its share back.
  const std::string done = first.exchange(std::string(1048576 - 1000, ' '));
  EXPECT_NE(done.find("400 Bad Request"), std::string::npos) << done.substr(0, 200);
  ASSERT_TRUE(held(1 << 20));
  Client fourth("127.0.0.4", port_);
  const std::string admitted = fourth.exchange(small);
  EXPECT_EQ(admitted.find("503"), std::string::npos) << admitted;
  EXPECT_NE(admitted.find("HTTP/1.1 4"), std::string::npos) << "read and refused on its merits: " << admitted;

  Client large("127.0.0.5", port_);
  const std::string too_large =
      large.exchange("POST /v1/heartbeats HTTP/1.1\r\nHost: node\r\nContent-Length: 1048577\r\n\r\n");
  EXPECT_NE(too_large.find("413"), std::string::npos) << too_large;
  Client chunked("127.0.0.5", port_);
  const std::string length_required = chunked.exchange(
      "POST /v1/heartbeats HTTP/1.1\r\nHost: node\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
  EXPECT_NE(length_required.find("411 Length Required"), std::string::npos) << length_required;
}

// A client that sends its whole body before reading the answer still reads
// the 503 for a body the node did not read: the node drains what arrives
// for a moment instead of resetting the connection on it.
TEST_F(HttpServerTest, AClientSendingABodyTheNodeRefusedUnreadStillGetsTheAnswer) {
  Client holder("127.0.0.2", port_);
  ASSERT_TRUE(holder.send("POST /v1/heartbeats HTTP/1.1\r\nHost: node\r\nContent-Length: 1048576\r\n\r\n"));
  for (int i = 0; i < 1000 && server_->body_bytes_in_flight() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Client refused("127.0.0.2", port_);  // over its address's share
  const std::string body(512 * 1024, ' ');
  ASSERT_TRUE(refused.send("POST /v1/heartbeats HTTP/1.1\r\nHost: node\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body))
      << "the node drains the body it refused";
  const std::string answer = refused.exchange("");
  EXPECT_NE(answer.find("503 Service Unavailable"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Retry-After: 1"), std::string::npos) << answer;
}

// A request head over HttpServer::kMaxRequestHeadBytes is refused, and one
// that dribbles in slower than limits.read_timeout_ms is cut off.
TEST(HttpServerLimits, AnOversizedHeadIsRefusedAndASlowOneIsCutOff) {
  test::NodeCluster cluster(3, 2, test::temp_dir("http-limits"));
  boost::asio::io_context io;
  WorkPool pool(1, 4);
  ApiSettings settings;
  settings.listen = {"127.0.0.1", 0};
  settings.max_request_bytes = 1 << 20;
  settings.max_request_bytes_in_flight = 2 << 20;
  settings.max_connections = 8;
  settings.max_connections_per_source = 4;
  settings.read_timeout = std::chrono::milliseconds(300);
  HttpServer server(io, *cluster.nodes[0]->router, pool, settings);
  const std::uint16_t port = server.start().value();
  std::thread runner([&io] { io.run(); });

  Client big("127.0.0.2", port);
  const std::string refused = big.exchange("GET /healthz HTTP/1.1\r\nHost: node\r\nX-Filler: " +
                                           std::string(HttpServer::kMaxRequestHeadBytes, 'x') + "\r\n\r\n");
  EXPECT_NE(refused.find("400 Bad Request"), std::string::npos) << refused.substr(0, 200);
  EXPECT_NE(refused.find("header limit"), std::string::npos) << refused.substr(0, 300);

  Client slow("127.0.0.3", port);
  ASSERT_TRUE(slow.send("GET /healthz HTTP/1.1\r\nHo"));
  EXPECT_TRUE(slow.closed_by_server()) << "the head did not arrive within the read deadline";
  Client fine("127.0.0.4", port);
  EXPECT_NE(fine.health().find("200 OK"), std::string::npos);

  server.stop();
  pool.stop();
  io.stop();
  runner.join();
}

TEST(ConnectionTable, ShedsOnlyWaitingConnectionsOwnSourceFirstThenTheBiggestHolder) {
  auto shared = std::make_shared<ConnectionTable>(3, 2);
  ConnectionTable& table = *shared;
  int closed = 0;
  auto close = [&closed] { ++closed; };
  auto a1 = table.admit("a", 1, close);
  auto a2 = table.admit("a", 2, close);
  ASSERT_TRUE(a1.slot && a2.slot);

  // "a" is full: a1 waited longest but is serving a request, so a2 goes.
  EXPECT_TRUE(a1.slot->serving());
  auto a3 = table.admit("a", 3, close);
  ASSERT_TRUE(a3.slot);
  EXPECT_TRUE(a3.shed);
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(table.from("a"), 2u);
  EXPECT_FALSE(a2.slot->serving()) << "a request arriving on a shed connection is dropped";
  a2.slot.reset();  // its session ends: counted out once only
  EXPECT_EQ(table.size(), 2u);

  // The server is full: the waiting connection of the source holding the
  // most goes (a3 of "a", not the older b1 of "b").
  auto b1 = table.admit("b", 0, close);
  ASSERT_TRUE(b1.slot);
  auto c1 = table.admit("c", 5, close);
  ASSERT_TRUE(c1.slot);
  EXPECT_EQ(closed, 2);
  EXPECT_EQ(table.from("a"), 1u);
  EXPECT_EQ(table.from("b"), 1u);

  // Nobody waiting: refused, naming why.
  EXPECT_TRUE(b1.slot->serving());
  EXPECT_TRUE(c1.slot->serving());
  EXPECT_EQ(table.admit("d", 6, close).refusal, ConnectionTable::Refusal::kAllServing);
  EXPECT_EQ(table.from("d"), 0u);
  c1.slot->waiting(7);
  EXPECT_TRUE(table.admit("d", 8, close).slot);
  EXPECT_EQ(closed, 3);

  auto single = std::make_shared<ConnectionTable>(10, 1);
  auto x1 = single->admit("x", 1, close);
  EXPECT_TRUE(x1.slot->serving());
  EXPECT_EQ(single->admit("x", 2, close).refusal, ConnectionTable::Refusal::kSourceFull);
  x1.slot.reset();
  EXPECT_EQ(single->size(), 0u);
}

// One source may have at most its share of requests waiting for or on a
// worker; others still get theirs.
TEST(ConnectionTable, OneSourceHoldsAtMostItsShareOfTheWorkQueue) {
  auto table = std::make_shared<ConnectionTable>(10, 10);
  auto close = [] {};
  auto a1 = table->admit("a", 1, close);
  auto a2 = table->admit("a", 2, close);
  auto a3 = table->admit("a", 3, close);
  auto b1 = table->admit("b", 4, close);
  EXPECT_TRUE(a1.slot->start_work(2));
  EXPECT_TRUE(a2.slot->start_work(2));
  EXPECT_FALSE(a3.slot->start_work(2)) << "a's share is taken";
  EXPECT_TRUE(b1.slot->start_work(2)) << "b is not held back by a";
  a1.slot->end_work();
  EXPECT_TRUE(a3.slot->start_work(2));
  a2.slot.reset();  // a connection that goes away gives its place back
  auto a4 = table->admit("a", 5, close);
  EXPECT_TRUE(a4.slot->start_work(2));
}

// The body budget: the whole and each address's share; requests without a
// body take nothing, however many at once (two of them from one address
// once corrupted its accounting).
TEST(SourceBudget, HoldsTheWholeAndEachAddresssShare) {
  auto budget = std::make_shared<SourceBudget>(100, 60);
  {
    auto a = budget->take("a", 50);
    ASSERT_TRUE(a);
    EXPECT_FALSE(budget->take("a", 11)) << "a's share is 60";
    auto a_more = budget->take("a", 10);
    EXPECT_TRUE(a_more);
    auto b = budget->take("b", 40);
    ASSERT_TRUE(b);
    EXPECT_FALSE(budget->take("c", 1)) << "the whole 100 is taken";
    std::vector<SourceBudget::Lease> empty;
    for (int i = 0; i < 4; ++i) empty.push_back(std::move(budget->take("a", 0)).value());
    EXPECT_EQ(budget->held(), 100u);
  }
  EXPECT_EQ(budget->held(), 0u) << "every lease gave its bytes back";
  auto again = budget->take("a", 60);
  EXPECT_TRUE(again);
}

// A flood of refused connections is logged as one line per interval, with
// the count held back since the last one (not 65,000 lines in 30 s).
TEST(LogThrottle, LetsOneLineThroughPerIntervalAndCountsTheRest) {
  using std::chrono::seconds;
  LogThrottle throttle(seconds(10));
  const std::chrono::steady_clock::time_point start{};
  EXPECT_EQ(throttle.admit(start), std::optional<std::uint64_t>(0));
  EXPECT_EQ(throttle.admit(start + seconds(1)), std::nullopt);
  EXPECT_EQ(throttle.admit(start + seconds(9)), std::nullopt);
  EXPECT_EQ(throttle.admit(start + seconds(10)), std::optional<std::uint64_t>(2));
  EXPECT_EQ(throttle.admit(start + seconds(11)), std::nullopt);
}

}  // namespace
}  // namespace vigil::node
