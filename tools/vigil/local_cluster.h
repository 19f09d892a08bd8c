// Running vigild processes for a local cluster: locating the binary,
// starting a node detached with its log in its data folder, waiting for
// health, and stopping it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "vigil/result.h"

namespace vigil::cli {

// $VIGILD, else vigild beside this program or in the build tree's node/,
// else the first vigild on PATH.
Result<std::filesystem::path> find_vigild();

// A free TCP port on 127.0.0.1 below the kernel's ephemeral range (bound and
// released; another program could still take it before the node binds it).
Result<unsigned> free_port();

// Starts `vigild --config CONFIG` in its own session, output appended to LOG.
// A vigild already running CONFIG (one that a command cut short started and
// never recorded) is stopped first: it would hold the node's folder and
// ports, and answer for the new one.
Result<int> start_node(const std::filesystem::path& vigild, const std::filesystem::path& config,
                       const std::filesystem::path& log);

// Polls GET /healthz until it answers 200, the process dies, or `timeout`.
Status wait_healthy(const std::string& api, int pid, std::chrono::milliseconds timeout);

bool process_alive(int pid);

// SIGTERM, then SIGKILL after `grace`.
void stop_node(int pid, std::chrono::milliseconds grace);

// Stops every vigild running `--config CONFIG`, whatever its pid.
void stop_nodes_running(const std::filesystem::path& config, std::chrono::milliseconds grace);

}  // namespace vigil::cli
