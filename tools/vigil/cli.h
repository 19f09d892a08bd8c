// Shared pieces of the vigil command line: exit codes, error printing,
// key files, and dispatch from a runtime curve name to the generic code.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <string>

#include "keys.h"
#include "vigil/group.h"

namespace vigil::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,  // the command ran and something did not verify or failed
  kExitUsage = 2,    // bad arguments
};

// Prints "vigil <command>: error: <message>" to stderr and returns `code`.
int fail(const std::string& command, const std::string& message, int code = kExitFailure);
inline int fail(const std::string& command, const Error& error, int code = kExitFailure) {
  return fail(command, error.message, code);
}

// Runs f(C{}) for the curve `id` names (vigil::visit_curve) and returns
// its exit code; an id that names no curve fails the command.
template <class F>
int run_for_curve(const std::string& command, CurveId id, F&& f) {
  auto code = visit_curve(id, [&](auto curve) -> Result<int> { return f(curve); });
  return code ? *code : fail(command, code.error());
}

// Registers the subcommands; each sets `exit_code` when it runs.
void register_deal(CLI::App& app, int& exit_code);
void register_keygen(CLI::App& app, int& exit_code);
void register_tdh2(CLI::App& app, int& exit_code);
void register_cluster(CLI::App& app, int& exit_code);
void register_decrypt(CLI::App& app, int& exit_code);
// vigil protect, heartbeat, recover (cmd_protect.cpp).
void register_protected_secrets(CLI::App& app, int& exit_code);
// vigil audit verify (cmd_audit.cpp).
void register_audit(CLI::App& app, int& exit_code);
// vigil attest verify (cmd_attest.cpp).
void register_attest(CLI::App& app, int& exit_code);
// vigil demo (cmd_demo.cpp).
void register_demo(CLI::App& app, int& exit_code);
void register_init(CLI::App& app, int& exit_code);
void register_ceremonies(CLI::App& app, int& exit_code);
void register_doctor(CLI::App& app, int& exit_code);
// vigil bench dkg, under the `bench` command.
void register_bench_ceremonies(CLI::App& bench, int& exit_code);
// vigil bench flood (cmd_bench_flood.cpp).
void register_bench_flood(CLI::App& bench, int& exit_code);
// vigil bench soak (cmd_bench_soak.cpp).
void register_bench_soak(CLI::App& bench, int& exit_code);

}  // namespace vigil::cli
