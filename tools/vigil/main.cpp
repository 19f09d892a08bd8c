// vigil: the command line tool for vigil's threshold cryptography.
#include "cli.h"

#include "vigil/shamir.h"

namespace vigil::cli {

int fail(const std::string& command, const std::string& message, int code) {
  std::cerr << "vigil " << command << ": error: " << message << "\n";
  return code;
}

}  // namespace vigil::cli

int main(int argc, char** argv) {
  CLI::App app{
      "vigil: threshold cryptography for keys that must outlive their enclave.\n"
      "Split keys t-of-n with verifiable shares on ristretto255 or secp256k1,\n"
      "and encrypt to them with TDH2 threshold decryption.\n"
      "Participants: at most " +
      std::to_string(vigil::kMaxParticipants) + "."};
  app.name("vigil");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  int exit_code = vigil::cli::kExitOk;
  vigil::cli::register_deal(app, exit_code);
  vigil::cli::register_keygen(app, exit_code);
  vigil::cli::register_tdh2(app, exit_code);
  vigil::cli::register_cluster(app, exit_code);
  vigil::cli::register_decrypt(app, exit_code);
  vigil::cli::register_protected_secrets(app, exit_code);
  vigil::cli::register_audit(app, exit_code);
  vigil::cli::register_attest(app, exit_code);
  vigil::cli::register_demo(app, exit_code);
  vigil::cli::register_init(app, exit_code);
  vigil::cli::register_ceremonies(app, exit_code);
  vigil::cli::register_doctor(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : vigil::cli::kExitUsage;
  } catch (const std::exception& e) {
    // Commands return errors as values; this is the last line for what a
    // library below them throws (a file system error on a strange path).
    return vigil::cli::fail(app.get_subcommands().empty() ? "vigil" : app.get_subcommands().front()->get_name(),
                            e.what());
  }
  return exit_code;
}
