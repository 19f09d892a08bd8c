#include "ceremony_client.h"

#include <functional>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "client/node_api.h"
#include "http.h"
#include "proto/ceremony.h"
#include "proto/codec.h"

namespace vigil::cli {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kPoll{25};
constexpr milliseconds kRequestTimeout{5000};

std::string list(const std::set<ParticipantIndex>& s) {
  std::string out;
  for (ParticipantIndex i : s) out += (out.empty() ? "" : ",") + std::to_string(i);
  return out;
}

// Posts the plan to a node. A node that does not answer (restarting, or its
// response lost) is asked again until `patience` runs out: a node answers a
// plan it already took with that ceremony's status.
Status post_plan(const client::NodeEndpoint& node, const std::string& body, milliseconds patience) {
  const auto deadline = Clock::now() + patience;
  const std::string who = "node " + std::to_string(node.index);
  while (true) {
    auto r = http_request("POST", node.api + "/v1/ceremonies", body, kRequestTimeout);
    if (r) {
      if (r->status != 200)
        return make_error(ErrorCode::kInvalidInput, who + " did not take the plan: " + client::api_refusal(*r));
      return {};
    }
    if (Clock::now() > deadline) return make_error(r.error().code, who + ": " + r.error().message);
    std::this_thread::sleep_for(milliseconds(250));
  }
}

// The key a node serves, as a coordinator records it.
bool same_key(const v1::StatusResponse& a, const v1::StatusResponse& b) {
  return a.curve() == b.curve() && a.threshold() == b.threshold() && a.parties() == b.parties() &&
         a.key_epoch() == b.key_epoch() && a.group_public_key() == b.group_public_key() &&
         std::ranges::equal(a.commitments(), b.commitments()) &&
         std::ranges::equal(a.public_shares(), b.public_shares());
}

// The report of a ceremony every node in `statuses` has finished: each
// failure named, every recipient with one group key and transcript, and
// node 1 serving that key at `epoch`, described as every other recipient
// describes it (a coordinator records node 1's description, so one lying
// node 1 must not be able to have its own key recorded).
Result<CeremonyReport> conclude(const std::string& kind, std::map<ParticipantIndex, v1::CeremonyStatus> statuses,
                                const std::function<bool(ParticipantIndex)>& is_recipient, std::uint32_t epoch,
                                const std::vector<client::NodeEndpoint>& nodes, std::ostream& progress) {
  CeremonyReport report;
  report.nodes = std::move(statuses);
  std::string failures, group_key, transcript;
  std::int64_t first = INT64_MAX, last = 0;
  for (const auto& [index, c] : report.nodes) {
    first = std::min(first, c.started_unix_ms());
    last = std::max(last, c.finished_unix_ms());
    if (c.state() != "done") {
      failures += "; node " + std::to_string(index) + ": " + c.error();
      continue;
    }
    if (!is_recipient(index)) continue;
    if (c.group_public_key().empty() || c.transcript_digest().empty()) {
      failures += "; node " + std::to_string(index) + " reports no key or transcript";
      continue;
    }
    if (group_key.empty()) group_key = c.group_public_key(), transcript = c.transcript_digest();
    if (c.group_public_key() != group_key || c.transcript_digest() != transcript) {
      failures += "; node " + std::to_string(index) + " ended with a different transcript";
    }
  }
  if (!failures.empty()) return make_error(ErrorCode::kProtocolAbort, kind + " failed" + failures);
  if (auto it = report.nodes.find(nodes.front().index); it != report.nodes.end()) {
    for (const auto& why : it->second.exclusion_reasons()) progress << "  excluded " << why << "\n";
  }
  report.wall_ms = static_cast<double>(last - first);
  for (const auto& n : nodes) {
    if (n.index != 1) continue;
    VIGIL_ASSIGN_OR_RETURN(report.committee, fetch_status(n.api, kRequestTimeout));
  }
  if (report.committee.key_epoch() != epoch) {
    return make_error(ErrorCode::kInternal, "node 1 serves epoch " + std::to_string(report.committee.key_epoch()) +
                                                " after the ceremony, not " + std::to_string(epoch));
  }
  if (report.committee.group_public_key() != group_key) {
    return make_error(ErrorCode::kProtocolAbort, "node 1 serves a key other than the one the ceremony agreed on");
  }
  for (const auto& n : nodes) {
    if (n.index == 1 || !is_recipient(n.index)) continue;
    VIGIL_ASSIGN_OR_RETURN(v1::StatusResponse other, fetch_status(n.api, kRequestTimeout));
    if (!same_key(other, report.committee)) {
      return make_error(ErrorCode::kProtocolAbort,
                        "node " + std::to_string(n.index) + " describes the new key differently from node 1");
    }
  }
  return report;
}

}  // namespace

Result<v1::StatusResponse> fetch_status(const std::string& api, milliseconds timeout) {
  return client::fetch_status(http(), api, timeout);
}

Status wait_for_links(const std::vector<client::NodeEndpoint>& nodes, milliseconds timeout, std::ostream& progress) {
  const auto deadline = Clock::now() + timeout;
  std::size_t last = SIZE_MAX;
  while (true) {
    std::size_t missing = 0;
    std::string example;
    for (const auto& n : nodes) {
      auto s = fetch_status(n.api, kRequestTimeout);
      if (!s) {
        ++missing;
        example = s.error().message;
        continue;
      }
      for (const auto& p : s->peers()) {
        if (p.connected()) continue;
        ++missing;
        example = "node " + std::to_string(n.index) + " has no link to node " + std::to_string(p.index());
      }
    }
    if (missing == 0) return {};
    if (missing != last) {
      progress << "  waiting for peer links: " << missing << " missing\n" << std::flush;
      last = missing;
    }
    if (Clock::now() > deadline) return make_error(ErrorCode::kTimeout, "peer links not up: " + example);
    std::this_thread::sleep_for(milliseconds(100));
  }
}

v1::CeremonyPlan dkg_plan(CurveId curve, std::size_t parties, std::size_t threshold, milliseconds phase_timeout) {
  v1::CeremonyPlan p;
  p.set_version(1);
  std::string session(32, '\0');
  system_rng().fill(std::span(reinterpret_cast<std::uint8_t*>(session.data()), session.size()));
  p.set_session_id(session);
  p.set_kind(v1::CEREMONY_KIND_DKG);
  p.set_curve(proto::to_proto_curve(curve));
  p.set_parties(static_cast<std::uint32_t>(parties));
  p.set_threshold(static_cast<std::uint32_t>(threshold));
  p.set_phase_timeout_ms(static_cast<std::uint32_t>(phase_timeout.count()));
  p.set_expires_unix_ms(SystemClock().now_unix_ms() + kPlanValidity.count());
  return p;
}

Result<v1::CeremonyPlan> reshare_plan(const v1::StatusResponse& current, const std::vector<ParticipantIndex>& dealers,
                                      std::size_t parties, std::size_t threshold, milliseconds phase_timeout) {
  VIGIL_ASSIGN_OR_RETURN(CurveId curve, parse_curve_name(current.curve()));
  v1::CeremonyPlan p = dkg_plan(curve, parties, threshold, phase_timeout);
  p.set_kind(v1::CEREMONY_KIND_RESHARE);
  for (ParticipantIndex d : dealers) p.add_dealers(d);
  p.set_old_parties(current.parties());
  p.set_old_epoch(current.key_epoch());
  for (const auto& c : current.commitments()) p.add_old_commitments(c);
  return p;
}

Status record_key(ClusterFile& cluster, const v1::StatusResponse& status) {
  return client::describe_key(status, cluster.description);
}

Result<CeremonyReport> run_ceremony(const std::vector<client::NodeEndpoint>& nodes, const v1::CeremonyPlan& plan,
                                    std::span<const Ed25519KeyPair* const> operator_keys, std::ostream& progress) {
  VIGIL_ASSIGN_OR_RETURN(proto::CeremonyPlan checked, proto::parse_ceremony_plan(as_bytes(plan.SerializeAsString())));
  if (operator_keys.empty()) return make_error(ErrorCode::kInvalidInput, "no operator key to approve the plan");
  v1::StartCeremonyRequest request = proto::sign_ceremony_plan(plan, *operator_keys.front());
  for (const Ed25519KeyPair* key : operator_keys.subspan(1)) proto::approve_ceremony_plan(request, *key);
  const std::string body = client::to_json(request);
  const std::string kind = checked.reshare ? "resharing" : "DKG";
  progress << kind << " " << checked.threshold << "-of-" << checked.parties << " (epoch " << checked.epoch << ", "
           << nodes.size() << " nodes, session " << to_hex(ByteSpan(checked.session_id).first(4)) << "…)\n"
           << std::flush;
  // Every node accepts the plan (a durable write each) in parallel, a batch
  // at a time; one that does not answer is asked again for a phase.
  constexpr std::size_t kParallelPosts = 16;
  const milliseconds patience = std::max<milliseconds>(checked.phase_timeout, milliseconds(5000));
  for (std::size_t first = 0; first < nodes.size(); first += kParallelPosts) {
    std::vector<std::future<Status>> posts;
    for (std::size_t i = first; i < std::min(nodes.size(), first + kParallelPosts); ++i) {
      posts.push_back(std::async(std::launch::async, [&, i] { return post_plan(nodes[i], body, patience); }));
    }
    for (auto& post : posts) VIGIL_RETURN_IF_ERROR(post.get());
  }

  // Every phase can last at most phase_timeout; allow for all four and some slack.
  const auto deadline = Clock::now() + 4 * checked.phase_timeout + std::chrono::seconds(10);
  const auto started = Clock::now();
  std::string last_line;
  CeremonyReport report;
  while (true) {
    std::map<std::string, unsigned> phases;
    std::set<ParticipantIndex> awaited, unreachable;
    std::size_t finished = 0;
    for (const auto& n : nodes) {
      auto s = fetch_status(n.api, kRequestTimeout);
      if (!s || !std::ranges::equal(as_bytes(s->ceremony().session_id()), checked.session_id)) {
        unreachable.insert(n.index);
        continue;
      }
      const auto& c = s->ceremony();
      report.nodes[n.index] = c;
      ++phases[c.phase()];
      if (c.state() != "running") ++finished;
      awaited.insert(c.waiting_for().begin(), c.waiting_for().end());
    }
    std::ostringstream line;
    for (const char* p : {"deal", "complain", "justify", "confirm", "done", "failed"}) {
      if (phases.count(p)) line << " " << p << " " << phases[p];
    }
    if (!awaited.empty()) line << " | awaited: " << list(awaited);
    if (!unreachable.empty()) line << " | not answering: " << list(unreachable);
    if (line.str() != last_line) {
      const auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
      progress << "  [" << ms / 1000 << "." << (ms % 1000) / 100 << " s]" << line.str() << "\n" << std::flush;
      last_line = line.str();
    }
    if (finished == nodes.size()) break;
    if (Clock::now() > deadline) {
      return make_error(ErrorCode::kTimeout, kind + " did not finish; awaited: " + list(awaited) +
                                                 (unreachable.empty() ? "" : ", not answering: " + list(unreachable)));
    }
    // Polling costs every node a status render: poll big clusters less often.
    std::this_thread::sleep_for(std::max<milliseconds>(kPoll, milliseconds(2 * nodes.size())));
  }

  return conclude(
      kind, std::move(report.nodes), [&](ParticipantIndex i) { return checked.is_recipient(i); }, checked.epoch, nodes,
      progress);
}

Result<CeremonyReport> run_or_adopt_dkg(const std::vector<client::NodeEndpoint>& nodes, const v1::CeremonyPlan& plan,
                                        std::span<const Ed25519KeyPair* const> operator_keys, std::ostream& progress) {
  std::map<ParticipantIndex, v1::CeremonyStatus> finished;
  v1::StatusResponse held;  // the key the first node holds
  for (const auto& n : nodes) {
    auto s = fetch_status(n.api, kRequestTimeout);
    if (!s || s->key_epoch() != 1 || s->ceremony().kind() != v1::CEREMONY_KIND_DKG || s->ceremony().state() != "done" ||
        (!finished.empty() && s->ceremony().session_id() != finished.begin()->second.session_id())) {
      return run_ceremony(nodes, plan, operator_keys, progress);
    }
    if (finished.empty()) held = *s;
    finished[n.index] = s->ceremony();
  }
  auto asked = proto::from_proto_curve(plan.curve());
  if (!asked || held.curve() != curve_name(*asked) || held.threshold() != plan.threshold() ||
      held.parties() != plan.parties()) {
    return make_error(ErrorCode::kInvalidInput,
                      "the nodes already hold a " + std::to_string(held.threshold()) + "-of-" +
                          std::to_string(held.parties()) + " " + held.curve() + " key from a DKG; this asks for " +
                          std::to_string(plan.threshold()) + "-of-" + std::to_string(plan.parties()));
  }
  progress << "every node already finished DKG session "
           << to_hex(as_bytes(finished.begin()->second.session_id()).first(4)) << "…: recording its key\n";
  return conclude(
      "DKG", std::move(finished), [](ParticipantIndex) { return true; }, 1, nodes, progress);
}

}  // namespace vigil::cli
