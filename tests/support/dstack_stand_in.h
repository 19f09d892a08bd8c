// A stand-in for dstack's guest agent, for tests: it speaks the agent's
// documented GetQuote protocol (POST /GetQuote, JSON {"report_data": hex},
// answered with {"quote": hex, "event_log": ..., "report_data": hex,
// "vm_config": ...}) on a unix socket, and quotes what `quote_for` returns
// for the requested report data (the tests sign synthetic quotes in the
// real format). Like the agent, it refuses report data over 64 bytes and a
// body that is not declared JSON.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "vigil/bytes.h"

namespace vigil::test {

class DstackStandIn {
 public:
  using QuoteFor = std::function<Bytes(const std::array<std::uint8_t, 64>& report_data)>;
  DstackStandIn(std::filesystem::path socket, QuoteFor quote_for);
  ~DstackStandIn();
  DstackStandIn(const DstackStandIn&) = delete;
  DstackStandIn& operator=(const DstackStandIn&) = delete;

  const std::filesystem::path& socket() const { return socket_; }
  int requests() const { return requests_; }

 private:
  struct Server;
  std::filesystem::path socket_;
  std::atomic<int> requests_{0};
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace vigil::test
