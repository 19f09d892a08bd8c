// vigil keygen: an X25519 key pair for receiving sealed shares, or an
// Ed25519 signing key for a requester or an operator.
#include "cli.h"
#include "files.h"
#include "vigil/ed25519.h"

namespace vigil::cli {

void register_keygen(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("keygen",
                                 "Create a key pair: FILE holds the secret key (mode 0600), FILE.pub the public\n"
                                 "key. x25519 (default): a key a dealer seals shares to. ed25519: a signing key\n"
                                 "for an enclave, a requester a policy names, or an operator (describe-cluster).");
  auto out = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("--out", *out, "Path of the secret key file; the public key goes to FILE.pub")->required();
  cmd->add_flag("--force", *force, "Replace existing files");
  auto type = std::make_shared<std::string>("x25519");
  cmd->add_option("--type", *type, "x25519 (default) or ed25519")->check(CLI::IsMember({"x25519", "ed25519"}));
  cmd->callback([out, force, type, &exit_code] {
    std::string secret_line, public_line;
    if (*type == "ed25519") {
      auto kp = ed25519_generate(system_rng());
      secret_line = to_hex(kp.seed.span()) + "\n";
      public_line = to_hex(kp.public_key) + "\n";
    } else {
      auto kp = x25519_generate(system_rng());
      secret_line = to_hex(kp.secret_key.span()) + "\n";
      public_line = to_hex(kp.public_key) + "\n";
    }
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
    secure_wipe(secret_line.data(), secret_line.size());
    std::cout << "wrote " << *out << " (" << *type << " secret key, mode 0600) and " << *out << ".pub\n"
              << "public key " << public_line;
  });
}

}  // namespace vigil::cli
