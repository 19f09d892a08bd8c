#include "cluster_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "client/cluster_json.h"
#include "files.h"
#include "keys.h"
#include "vigil/shamir.h"

namespace vigil::cli {

using nlohmann::json;

Result<ClusterFile> load_cluster(const std::filesystem::path& dir) {
  const auto path = dir / "cluster.json";
  VIGIL_ASSIGN_OR_RETURN(std::string text, read_file(path, kMaxClusterFileBytes));
  return parse_cluster_file(text, path.string());
}

Result<ClusterFile> parse_cluster_file(std::string_view text, const std::string& where) {
  if (text.size() > kMaxClusterFileBytes) {
    return make_error(ErrorCode::kBadEncoding,
                      where + ": larger than " + std::to_string(kMaxClusterFileBytes) + " bytes");
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(ErrorCode::kBadEncoding, where + ": not valid JSON");
  ClusterFile c;
  VIGIL_ASSIGN_OR_RETURN(c.description, client::cluster_description_from_json(j, where));
  try {
    c.requester_key = j.value("requester_key", std::string());
    c.operator_key = j.value("operator_key", std::string());
    auto process = [](const json& n) -> LocalProcess {
      return {n.value("peer", std::string()), n.value("pid", 0), n.value("dir", std::string())};
    };
    for (const auto& n : j.at("nodes")) c.processes.push_back(process(n));
    const json joining = j.value("joining", json::array());
    if (!joining.is_array() || joining.size() > kMaxParticipants) {
      return make_error(ErrorCode::kBadEncoding, where + ": joining: must be an array of nodes");
    }
    for (const auto& n : joining) {
      const auto index = n.at("index").get<std::uint64_t>();
      if (index == 0 || index > kMaxParticipants || c.process_of(static_cast<ParticipantIndex>(index)) != nullptr) {
        return make_error(ErrorCode::kBadEncoding,
                          where + ": joining: index " + std::to_string(index) + " is 0, too large or repeated");
      }
      c.joining.push_back({{static_cast<ParticipantIndex>(index), n.at("api").get<std::string>()}, process(n)});
    }
  } catch (const json::exception& e) {
    return make_error(ErrorCode::kBadEncoding, where + ": " + e.what());
  }
  return c;
}

Status save_cluster(const std::filesystem::path& dir, const ClusterFile& c) {
  json j = client::cluster_description_to_json(c.description);
  for (std::size_t i = 0; i < c.processes.size() && i < j["nodes"].size(); ++i) {
    const auto& p = c.processes[i];
    j["nodes"][i].update({{"peer", p.peer}, {"pid", p.pid}, {"dir", p.dir}});
  }
  for (const auto& [endpoint, p] : c.joining) {
    j["joining"].push_back(
        {{"index", endpoint.index}, {"api", endpoint.api}, {"peer", p.peer}, {"pid", p.pid}, {"dir", p.dir}});
  }
  if (!c.requester_key.empty()) j["requester_key"] = c.requester_key;
  if (!c.operator_key.empty()) j["operator_key"] = c.operator_key;
  return write_file(dir / "cluster.json", j.dump(2) + "\n", FileMode::kPublic, true);
}

Status update_cluster(const std::filesystem::path& dir, const std::function<Status(ClusterFile&)>& change) {
  const auto lock_path = dir / "cluster.json.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorCode::kInternal, lock_path.string() + ": " + std::strerror(errno));
  int locked;
  do {
    locked = ::flock(fd, LOCK_EX);
  } while (locked != 0 && errno == EINTR);
  if (locked != 0) {
    const int err = errno;
    ::close(fd);
    return make_error(ErrorCode::kInternal, lock_path.string() + ": " + std::strerror(err));
  }
  Status result = [&]() -> Status {
    VIGIL_ASSIGN_OR_RETURN(ClusterFile cluster, load_cluster(dir));
    VIGIL_RETURN_IF_ERROR(change(cluster));
    return save_cluster(dir, cluster);
  }();
  ::close(fd);  // releases the lock
  return result;
}

Result<Ed25519KeyPair> load_requester_key(const std::filesystem::path& dir, const ClusterFile& cluster,
                                          const std::string& given) {
  if (!given.empty()) return read_signing_key_file(given);
  if (cluster.requester_key.empty()) {
    return make_error(ErrorCode::kInvalidInput,
                      (dir / "cluster.json").string() +
                          " names no requester key (vigil dkg describes the cluster, not who may recover): "
                          "pass --requester-key FILE (vigil keygen --type ed25519)");
  }
  return read_signing_key_file(dir / cluster.requester_key);
}

}  // namespace vigil::cli
