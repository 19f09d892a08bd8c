// vigild as a function, so that vigild and vigild-test (which may also
// trust a test root for DCAP quotes) are one compiled program with two
// small mains.
#pragma once

#include <string>

namespace vigil::node {

// kAllowed only in vigild-test, built with the tests and never installed:
// [attestation] test_root_ca is then trusted beside Intel's root.
enum class TestRoots { kRefused, kAllowed };

// Runs the node of `config_path` until SIGINT or SIGTERM; the process's
// exit code (2 for a configuration that does not load, 1 for a failure).
// `log_format` ("text" or "json") overrides the configuration's when set.
int run_node(const std::string& config_path, const std::string& log_format, TestRoots test_roots);

}  // namespace vigil::node
