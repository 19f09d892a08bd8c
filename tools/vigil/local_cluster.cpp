#include "local_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "http.h"
#include "vigil/random.h"

namespace vigil::cli {

namespace fs = std::filesystem;

Result<fs::path> find_vigild() {
  if (const char* env = std::getenv("VIGILD"); env && *env) return fs::path(env);
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& candidate : {self.parent_path() / "vigild", self.parent_path() / ".." / "node" / "vigild",
                                      self.parent_path() / ".." / ".." / "node" / "vigild"}) {
      if (fs::exists(candidate)) return fs::canonical(candidate);
    }
  }
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    for (std::size_t start = 0; start <= p.size();) {
      auto end = p.find(':', start);
      fs::path candidate = fs::path(p.substr(start, end - start)) / "vigild";
      if (fs::exists(candidate)) return candidate;
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return make_error(ErrorCode::kInvalidInput, "cannot find vigild (set VIGILD to its path)");
}

namespace {

bool can_bind(unsigned port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"),
                                          static_cast<unsigned short>(port));
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.bind(ep, ec);
  return !ec;
}

// The first port the kernel hands out for outgoing connections.
unsigned ephemeral_low() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 32768;
  in >> low;
  return low;
}

}  // namespace

Result<unsigned> free_port() {
  // Below the ephemeral range, so that no outgoing connection (a node
  // dialling its peers) takes the port between now and the node binding it.
  // Never the same port twice from one process: the nodes bind theirs later.
  static const unsigned high = ephemeral_low();
  static constexpr unsigned kLow = 20000;
  static std::mutex mutex;
  static std::set<unsigned> handed_out;
  std::lock_guard lock(mutex);
  if (high > kLow + 100) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      std::uint32_t r = 0;
      system_rng().fill(std::span(reinterpret_cast<std::uint8_t*>(&r), sizeof r));
      const unsigned port = kLow + r % (high - kLow);
      if (!handed_out.count(port) && can_bind(port)) {
        handed_out.insert(port);
        return port;
      }
    }
  }
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (ec) return make_error(ErrorCode::kTransport, "no free port: " + ec.message());
  return acceptor.local_endpoint().port();
}

Result<int> start_node(const fs::path& vigild, const fs::path& config, const fs::path& log) {
  stop_nodes_running(config, std::chrono::milliseconds(5000));
  const pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorCode::kInternal, std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    ::setsid();
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int null = ::open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::execl(vigild.c_str(), "vigild", "--config", config.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return static_cast<int>(pid);
}

bool process_alive(int pid) {
  if (pid <= 0) return false;
  // Reap it if it is our own exited child, so that it does not linger as a zombie.
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) return false;
  if (::kill(pid, 0) != 0) return false;
  // An exited process nobody has reaped yet (a zombie) is not alive.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  if (stat >> pid_field >> comm >> state) return state != "Z";
  return true;
}

Status wait_healthy(const std::string& api, int pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_alive(pid)) return make_error(ErrorCode::kTransport, "vigild exited (see its log)");
    auto r = http_request("GET", api + "/healthz", "", std::chrono::milliseconds(500));
    if (r && r->status == 200) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return make_error(ErrorCode::kTimeout, "not healthy after " + std::to_string(timeout.count()) + " ms");
}

void stop_node(int pid, std::chrono::milliseconds grace) {
  if (!process_alive(pid)) return;
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_alive(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 100 && process_alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

namespace {

// The processes whose command line is `vigild --config CONFIG` (the program
// named by any path), read from /proc.
std::vector<int> processes_running(const fs::path& config) {
  std::error_code ec;
  const fs::path wanted = fs::weakly_canonical(config, ec);
  std::vector<int> found;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string arg; std::getline(in, arg, '\0') && args.size() < 4;) args.push_back(arg);
    if (args.size() != 3 || fs::path(args[0]).filename() != "vigild" || args[1] != "--config") continue;
    std::error_code arg_ec;
    if (fs::weakly_canonical(args[2], arg_ec) == wanted && !arg_ec) found.push_back(std::stoi(name));
  }
  return found;
}

}  // namespace

void stop_nodes_running(const fs::path& config, std::chrono::milliseconds grace) {
  for (const int pid : processes_running(config)) stop_node(pid, grace);
}

}  // namespace vigil::cli
