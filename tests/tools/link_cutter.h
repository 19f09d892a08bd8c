// A TCP relay on loopback that stands in for peer links between vigild
// processes, so that a test can cut them and heal them (a partition), and
// the edit of a node's configuration that routes one of its links through it.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "vigil/shamir.h"

namespace vigil::cli::test {

// A TCP relay on loopback standing in for peer links, which the test can
// cut: cut() closes every relayed connection and drops new ones until heal().
class LinkCutter {
 public:
  explicit LinkCutter(std::uint16_t target_port) : target_port_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("link cutter: cannot listen on loopback");
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~LinkCutter() {
    stopping_ = true;
    cut();
    acceptor_.join();
    for (auto& t : pumps_) t.join();
    for (int fd : open_) ::close(fd);
    ::close(listener_);
  }
  LinkCutter(const LinkCutter&) = delete;
  LinkCutter& operator=(const LinkCutter&) = delete;

  std::uint16_t port() const { return port_; }
  void cut() {
    cut_ = true;
    std::lock_guard lock(mutex_);
    for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }
  void heal() { cut_ = false; }

 private:
  void accept_loop() {
    while (!stopping_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int in = ::accept(listener_, nullptr, nullptr);
      if (in < 0) continue;
      if (cut_) {
        ::close(in);
        continue;
      }
      const int out = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in target{};
      target.sin_family = AF_INET;
      target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      target.sin_port = htons(target_port_);
      if (::connect(out, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
        ::close(in);
        ::close(out);
        continue;
      }
      std::lock_guard lock(mutex_);
      open_.push_back(in);
      open_.push_back(out);
      pumps_.emplace_back([in, out] { pump(in, out); });
      pumps_.emplace_back([in, out] { pump(out, in); });
    }
  }
  static void pump(int from, int to) {
    char buffer[16384];
    for (;;) {
      const ssize_t n = ::read(from, buffer, sizeof(buffer));
      // MSG_NOSIGNAL: a side that closed must not kill the test with SIGPIPE.
      if (n <= 0 || ::send(to, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    ::shutdown(from, SHUT_RDWR);
    ::shutdown(to, SHUT_RDWR);
  }

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> cut_{false}, stopping_{false};
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

// Points node `node`'s link to peer `peer` at `port` on loopback.
inline void reroute_peer(const std::filesystem::path& node_toml, ParticipantIndex peer, std::uint16_t port) {
  std::ifstream in(node_toml);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::regex entry("(\\[\\[peers\\]\\]\\nindex = " + std::to_string(peer) +
                         "\\naddress = \"127\\.0\\.0\\.1:)\\d+");
  std::smatch found;
  ASSERT_TRUE(std::regex_search(text, found, entry)) << "no [[peers]] entry for node " << peer << " in " << node_toml;
  std::ofstream(node_toml) << found.prefix().str() << found[1].str() << port << found.suffix().str();
}

}  // namespace vigil::cli::test
