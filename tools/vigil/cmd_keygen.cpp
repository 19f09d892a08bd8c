// vigil keygen: an X25519 key pair for receiving sealed shares.
#include "cli.h"
#include "files.h"

namespace vigil::cli {

void register_keygen(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("keygen",
                                 "Create an X25519 key pair: FILE holds the secret key (mode 0600),\n"
                                 "FILE.pub the public key that a dealer seals shares to.");
  auto out = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("--out", *out, "Path of the secret key file; the public key goes to FILE.pub")->required();
  cmd->add_flag("--force", *force, "Replace existing files");
  cmd->callback([out, force, &exit_code] {
    auto kp = x25519_generate(system_rng());
    const std::string secret_line = to_hex(kp.secret_key.span()) + "\n";
    const std::string public_line = to_hex(kp.public_key) + "\n";
    if (!*force && std::filesystem::exists(*out + ".pub")) {
      exit_code = fail("keygen", *out + ".pub already exists (use --force to replace it)");
      return;
    }
    if (auto s = write_file(*out, secret_line, FileMode::kSecret, *force); !s) {
      exit_code = fail("keygen", s.error());
      return;
    }
    if (auto s = write_file(*out + ".pub", public_line, FileMode::kPublic, true); !s) {
      exit_code = fail("keygen", s.error());
      return;
    }
    std::cout << "wrote " << *out << " (secret key, mode 0600) and " << *out << ".pub\n"
              << "public key " << to_hex(kp.public_key) << "\n";
  });
}

}  // namespace vigil::cli
