// Writes the seed corpora in fuzz/corpus/<target>/: valid encodings of what
// each fuzz target decodes, so that fuzzing starts past the first checks.
// Deterministic (a seeded RNG and the project's own vectors), so a rerun
// rewrites the same files:
//   build/asan/fuzz/vigil_fuzz_seeds fuzz/corpus
// DCAP quotes and collateral are not copied here: the fuzz_dcap test reads
// them from ../shared/vectors/dcap as a second seed folder.
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cluster_entry.h"
#include "cluster_file.h"
#include "deal_file.h"
#include "node/config.h"
#include "node/peers/frame.h"
#include "proto/audit.h"
#include "proto/ceremony.h"
#include "proto/codec.h"
#include "proto/protected_secrets.h"
#include "vigil/client.h"
#include "vigil/dealer.h"
#include "vigil/dkg.h"
#include "vigil/random.h"
#include "vigil/x25519.h"

namespace {

namespace fs = std::filesystem;
using namespace vigil;

class Corpus {
 public:
  explicit Corpus(fs::path root) : root_(std::move(root)) {}

  void add(const std::string& target, const std::string& name, ByteSpan bytes) {
    const fs::path dir = root_ / target;
    fs::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    ++written_;
  }
  void add(const std::string& target, const std::string& name, std::string_view text) {
    add(target, name, as_bytes(text));
  }
  int written() const { return written_; }

 private:
  fs::path root_;
  int written_ = 0;
};

nlohmann::json project_vectors(const std::string& name) {
  std::ifstream in(std::string(VIGIL_PROJECT_VECTORS) + "/" + name);
  return nlohmann::json::parse(in);
}

Bytes with_suffix(Bytes bytes, std::initializer_list<std::uint8_t> suffix) {
  bytes.insert(bytes.end(), suffix);
  return bytes;
}

Bytes serialized(const google::protobuf::MessageLite& m) { return proto::serialize(m); }

template <Curve C>
void group_and_codec_seeds(Corpus& corpus, Rng& rng) {
  const std::string curve(C::kName);
  for (int i = 1; i <= 3; ++i) {
    const auto k = Scalar<C>::random(rng);
    corpus.add("fuzz_group", curve + "-element-" + std::to_string(i), Element<C>::base_mult(k).encode());
    corpus.add("fuzz_group", curve + "-scalar-" + std::to_string(i), k.encode());
  }
  const auto dealt = deal<C>(rng, 5, 3).value();
  const auto key = Tdh2PublicKey<C>::create(dealt.group_public_key()).value();
  const auto ct = tdh2_encrypt<C>(rng, key, as_bytes("label"), as_bytes("a protected secret")).value();
  const auto share = tdh2_decryption_share<C>(rng, key, ct, dealt.shares[0].share(), dealt.shares[0].public_share);
  corpus.add("fuzz_proto_codec", curve + "-ciphertext", serialized(proto::to_proto(ct)));
  corpus.add("fuzz_proto_codec", curve + "-decryption-share", serialized(proto::to_proto(share.value())));

  // A DKG dealing and a justification, as a ceremony statement carries them.
  std::vector<X25519KeyPair> keys;
  std::vector<X25519PublicKey> publics;
  for (int i = 0; i < 3; ++i) {
    keys.push_back(x25519_generate(rng));
    publics.push_back(keys.back().public_key);
  }
  const DkgParameters params{SessionId{7}, 3, 2};
  auto participant = DkgParticipant<C>::create(params, 1, keys[0].secret_key.clone(), publics).value();
  const auto dealt_dkg = participant.deal(rng).value();
  corpus.add("fuzz_proto_codec", curve + "-dkg-dealing", serialized(proto::to_proto(dealt_dkg.dealing)));
  const DkgJustification<C> justification{1, 2, Scalar<C>::random(rng)};
  corpus.add("fuzz_proto_codec", curve + "-dkg-justification", serialized(proto::to_proto(justification)));

  // fuzz_tdh2 reads a share encoding from the front and, from the back, the
  // slot it replaces and then the case (0: ristretto255, 1: secp256k1).
  const std::uint8_t which = std::is_same_v<C, Ristretto255> ? 0 : 1;
  corpus.add("fuzz_tdh2", curve + "-honest-share", with_suffix(encode_decryption_share(share.value()), {0, which}));
}

void policy_seeds(Corpus& corpus) {
  const auto vectors = project_vectors("policies.json");
  int i = 0;
  for (const auto& good : vectors["good"]) {
    corpus.add("fuzz_policy", "canonical-" + std::to_string(i), from_hex(good["canonical"].get<std::string>()).value());
    corpus.add("fuzz_policy", "json-" + std::to_string(i), good["policy"].dump());
    ++i;
  }
}

void signed_message_seeds(Corpus& corpus, Rng& rng) {
  const auto enclave = ed25519_generate(rng);
  const auto requester = ed25519_generate(rng);
  Policy policy;
  policy.enclave_key = enclave.public_key;
  PolicyGroup group;
  group.silence_ms = 60'000;
  group.requester = Requesters{1, {requester.public_key}};
  policy.any_of.push_back(group);
  const Bytes canonical = encode_policy(policy);

  const auto dealt = deal<Ristretto255>(rng, 3, 2).value();
  const auto key = Tdh2PublicKey<Ristretto255>::create(dealt.group_public_key()).value();
  const auto digest = policy_digest(canonical);
  const auto ct = tdh2_encrypt<Ristretto255>(rng, key, digest, as_bytes("secret")).value();
  v1::Registration registration;
  registration.set_policy(std::string(canonical.begin(), canonical.end()));
  *registration.mutable_ciphertext() = proto::to_proto(ct);
  registration.set_registered_unix_ms(1'700'000'000'000);
  proto::sign_registration(registration, enclave);
  corpus.add("fuzz_signed_messages", "registration", serialized(registration));

  const auto key_id = proto::protected_key_id(digest, tdh2_ciphertext_digest(ct));
  v1::Heartbeat heartbeat;
  heartbeat.set_key_id(std::string(key_id.begin(), key_id.end()));
  heartbeat.set_counter(1);
  heartbeat.set_unix_ms(1'700'000'001'000);
  proto::sign_heartbeat(heartbeat, enclave);
  corpus.add("fuzz_signed_messages", "heartbeat", serialized(heartbeat));

  client::RecoveryRequest request;
  request.key_id = key_id;
  request.response_key = x25519_generate(rng).public_key;
  request.nonce = Bytes(16, 5);
  request.expires_at_unix_ms = 1'700'000'100'000;
  request.sign(requester);
  corpus.add("fuzz_signed_messages", "recovery-request.json", client::recovery_request_to_json(request));
  v1::RecoveryRequest wire;
  wire.set_key_id(std::string(key_id.begin(), key_id.end()));
  wire.set_response_key(std::string(request.response_key.begin(), request.response_key.end()));
  wire.set_nonce(std::string(request.nonce.begin(), request.nonce.end()));
  wire.set_expires_at_unix_ms(request.expires_at_unix_ms);
  proto::add_recovery_signature(wire, requester);
  corpus.add("fuzz_signed_messages", "recovery-request", serialized(wire));

  v1::AuditEntry entry;
  entry.set_seq(1);
  entry.set_previous(std::string(32, '\0'));
  entry.set_unix_ms(1'700'000'002'000);
  entry.set_key_id(std::string(key_id.begin(), key_id.end()));
  entry.set_outcome("granted");
  proto::sign_audit_entry(entry, enclave);
  corpus.add("fuzz_signed_messages", "audit-entry", serialized(entry));

  // The same messages as the API receives them.
  auto post = [&](const std::string& path, const google::protobuf::Message& m) {
    std::string body;
    (void)google::protobuf::util::MessageToJsonString(m, &body);
    return "POST " + path + " HTTP/1.1\r\nHost: node\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           body;
  };
  corpus.add("fuzz_api", "registration", post("/v1/registrations", registration));
  corpus.add("fuzz_api", "heartbeat", post("/v1/heartbeats", heartbeat));
  corpus.add("fuzz_api", "recovery", post("/v1/recoveries", wire));
  corpus.add("fuzz_api", "status", std::string_view("GET /v1/status HTTP/1.1\r\nHost: node\r\n\r\n"));
  corpus.add("fuzz_api", "audit", std::string_view("GET /v1/audit?from=1&limit=10 HTTP/1.1\r\nHost: node\r\n\r\n"));
  corpus.add("fuzz_api", "registration-by-id",
             "GET /v1/registrations?key_id=" + to_hex(key_id) + " HTTP/1.1\r\nHost: node\r\n\r\n");
  corpus.add("fuzz_api", "healthz", std::string_view("GET /healthz HTTP/1.1\r\nHost: node\r\n\r\n"));
}

void peer_seeds(Corpus& corpus) {
  v1::CeremonyPlan plan;
  plan.set_version(1);
  plan.set_session_id(std::string(32, '\x11'));
  plan.set_kind(v1::CEREMONY_KIND_DKG);
  plan.set_curve(v1::CURVE_RISTRETTO255);
  plan.set_parties(5);
  plan.set_threshold(3);
  corpus.add("fuzz_proto_codec", "ceremony-plan", serialized(plan));

  v1::PeerMessage hello;
  hello.mutable_hello()->set_index(2);
  v1::PeerMessage ping;
  ping.mutable_ping()->set_sequence(1);
  ping.mutable_ping()->set_sent_unix_ms(1'700'000'000'000);
  Bytes stream;
  for (const auto* m : {&hello, &ping}) {
    const auto frame = node::encode_frame(serialized(*m), 4096).value();
    stream.insert(stream.end(), frame.begin(), frame.end());
    corpus.add("fuzz_proto_codec", m == &hello ? "peer-hello" : "peer-ping", serialized(*m));
  }
  // fuzz_frame takes its cut points' length from the last byte (0: none).
  corpus.add("fuzz_frame", "hello-and-ping", with_suffix(stream, {0}));
}

void file_seeds(Corpus& corpus, Rng& rng) {
  node::NodeConfig config;
  config.index = 1;
  config.data_dir = "node1";
  config.peer_listen = {"127.0.0.1", 7101};
  config.api_listen = {"127.0.0.1", 8101};
  corpus.add("fuzz_files", "node.toml", node::render_node_config(config));
  corpus.add("fuzz_files", "endpoint", std::string_view("[::1]:7100"));

  const auto dealt = deal<Ristretto255>(rng, 3, 2).value();
  client::ClusterDescription description;
  description.curve = CurveId::kRistretto255;
  description.threshold = 2;
  description.key_epoch = 1;
  const auto group_key = dealt.group_public_key().encode();
  description.group_public_key.assign(group_key.begin(), group_key.end());
  for (const auto& s : dealt.shares) {
    const auto pub = s.public_share.encode();
    description.public_shares.emplace_back(pub.begin(), pub.end());
    description.nodes.push_back({s.index, "http://127.0.0.1:" + std::to_string(8100 + s.index)});
  }
  cli::ClusterFile file;
  file.description = description;
  file.processes.resize(description.nodes.size());
  // A resharing to four under way: node 4 has started but holds no share yet.
  file.joining.push_back({{4, "http://127.0.0.1:8104"}, {"127.0.0.1:7104", 4242, "node4"}});
  const auto dir = fs::temp_directory_path() / "vigil-fuzz-seeds";
  fs::create_directories(dir);
  if (cli::save_cluster(dir, file).ok()) {
    std::ifstream in(dir / "cluster.json");
    corpus.add("fuzz_files", "cluster.json", std::string(std::istreambuf_iterator<char>(in), {}));
  }
  fs::remove_all(dir);

  const auto identity = ed25519_generate(rng);
  nlohmann::json entry = {{"index", 1}, {"peer", "10.0.0.1:7100"}, {"identity", to_hex(identity.public_key)}};
  corpus.add("fuzz_files", "cluster-entry.json", entry.dump());
  std::vector<X25519PublicKey> recipients;
  for (int i = 0; i < 3; ++i) recipients.push_back(x25519_generate(rng).public_key);
  corpus.add("fuzz_files", "deal.json", cli::deal_file_to_json(cli::make_deal_file(rng, dealt, {}).value()).dump());
  corpus.add("fuzz_files", "sealed-deal.json",
             cli::deal_file_to_json(cli::make_deal_file(rng, dealt, recipients).value()).dump());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: vigil_fuzz_seeds CORPUS_DIR   (writes CORPUS_DIR/<fuzz target>/<seed>)\n";
    return 2;
  }
  Corpus corpus(argv[1]);
  SeededRng rng(2026);
  group_and_codec_seeds<Ristretto255>(corpus, rng);
  group_and_codec_seeds<Secp256k1>(corpus, rng);
  policy_seeds(corpus);
  signed_message_seeds(corpus, rng);
  peer_seeds(corpus);
  file_seeds(corpus, rng);
  std::cout << "wrote " << corpus.written() << " seeds under " << argv[1] << "\n";
  return 0;
}
