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

inline CliRun run_cli(const std::string& args) {
  FILE* pipe = popen((std::string(VIGIL_CLI_PATH) + " " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), pipe)) > 0;) out.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace vigil::cli::test
