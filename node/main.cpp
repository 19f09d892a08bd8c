// vigild: one node of a vigil cluster.
//
//   vigild --config node.toml
//
// Serves the client API (HTTP/JSON) and, once it holds a key share, answers
// authorised decryption requests with sealed, verifiable shares. Stops
// cleanly on SIGINT or SIGTERM; everything it acknowledged is on disk. The
// node itself is node/daemon.cpp; built as vigild-test (with the tests
// only), it may also trust a test root for DCAP quotes and run its clock off
// by VIGIL_TEST_CLOCK_OFFSET_MS.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <string>

#include "node/daemon.h"

int main(int argc, char** argv) {
  CLI::App app{
      "vigild: a node of a vigil threshold-decryption cluster.\n"
      "Holds one share of the cluster's key and answers authorised decryption\n"
      "requests with verifiable shares sealed to the requester."};
  app.name("vigild");
  std::string config;
  app.add_option("--config", config, "Node configuration (TOML; see node/config.h)")
      ->required()
      ->check(CLI::ExistingFile);
  std::string log_format;
  app.add_option("--log-format", log_format, "text or json (JSON lines); overrides node.log_format")
      ->check(CLI::IsMember({"text", "json"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  // A request body is one allocation of up to limits.max_request_bytes.
  // With a fixed threshold glibc maps each large one from the system and
  // unmaps it when freed; its default raises the threshold after the first
  // free and keeps later ones in the heap, where a burst of large bodies
  // stays resident long after it was answered.
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#ifdef VIGIL_TEST_HOOKS
  vigil::node::TestHooks hooks;
  hooks.trust_test_root = true;
  if (const char* offset = std::getenv("VIGIL_TEST_CLOCK_OFFSET_MS"); offset != nullptr && *offset != '\0') {
    hooks.clock_offset_ms = std::strtoll(offset, nullptr, 10);
  }
  return vigil::node::run_node(config, log_format, hooks);
#else
  return vigil::node::run_node(config, log_format);
#endif
}
