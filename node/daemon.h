// vigild as a function, so that vigild and vigild-test (which may also
// trust a test root for DCAP quotes) are one compiled program with two
// small mains.
#pragma once

#include <cstdint>
#include <string>

namespace vigil::node {

// What vigild-test, built with the tests and never installed, may do that
// vigild may not.
struct TestHooks {
  // [attestation] test_root_ca is trusted beside Intel's root.
  bool trust_test_root = false;
  // Added to the system clock: a node whose clock is wrong, for the tests of
  // clock faults (VIGIL_TEST_CLOCK_OFFSET_MS in vigild-test's environment).
  std::int64_t clock_offset_ms = 0;
};

// Runs the node of `config_path` until SIGINT or SIGTERM; the process's
// exit code (2 for a configuration that does not load, 1 for a failure).
// `log_format` ("text" or "json") overrides the configuration's when set.
int run_node(const std::string& config_path, const std::string& log_format, const TestHooks& hooks = {});

}  // namespace vigil::node
