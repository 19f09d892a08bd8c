// Runs the vigil command line as a user would: a child process, stdout and
// stderr together, its exit code.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace vigil::cli::test {

struct CliRun {
  int exit_code;
  std::string output;
};

// A shell command line, stdout and stderr together, and its exit code.
inline CliRun run_command(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), pipe)) > 0;) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline CliRun run_cli(const std::string& args) { return run_command(std::string(VIGIL_CLI_PATH) + " " + args); }

// `vigil args` stopped with SIGTERM after `seconds` (a loop like agent).
inline CliRun run_cli_for(double seconds, const std::string& args) {
  return run_command("timeout -s TERM " + std::to_string(seconds) + " " + std::string(VIGIL_CLI_PATH) + " " + args);
}

}  // namespace vigil::cli::test
