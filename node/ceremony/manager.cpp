#include "node/ceremony/manager.h"

#include <spdlog/spdlog.h>

#include <ctime>

namespace vigil::node {
namespace {

std::uint64_t process_cpu_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

std::string short_id(const SessionId& id) { return to_hex(ByteSpan(id).first(4)); }

}  // namespace

CeremonyManager::CeremonyManager(boost::asio::io_context& io, CeremonySettings settings, const Ed25519KeyPair& identity,
                                 Store& store, DecryptionService& service, Metrics& metrics, const Clock& clock,
                                 Rng& rng)
    : settings_(std::move(settings)),
      identity_(identity),
      store_(store),
      service_(service),
      metrics_(metrics),
      clock_(clock),
      rng_(rng),
      timer_(io) {}

CeremonyManager::~CeremonyManager() { stop(); }

void CeremonyManager::stop() {
  std::lock_guard lock(mutex_);
  timer_.cancel();
}

bool CeremonyManager::running() const { return ceremony_ && !finished_ && !ceremony_->over(); }

Result<std::unique_ptr<Ceremony>> CeremonyManager::build(CeremonyPlan plan, SecretBytes seed, std::int64_t accepted) {
  CeremonyInputs in;
  in.self = settings_.self;
  in.identity = &identity_;
  in.identities = settings_.peer_identities;
  in.identities.emplace(settings_.self, identity_.public_key);
  if (plan.reshare && plan.is_dealer(settings_.self)) {
    VIGIL_ASSIGN_OR_RETURN(in.current_key, store_.latest_key());
  }
  in.plan = std::move(plan);
  in.seed = std::move(seed);
  in.accepted_unix_ms = accepted;
  return Ceremony::create(std::move(in));
}

Result<v1::CeremonyStatus> CeremonyManager::start(const v1::StartCeremonyRequest& request) {
  VIGIL_ASSIGN_OR_RETURN(CeremonyPlan plan,
                         proto::check_ceremony_request(request, settings_.operators, settings_.operator_quorum));
  const std::int64_t now = clock_.now_unix_ms();
  const std::int64_t expires = plan.message.expires_unix_ms();
  if (expires <= now) {
    return make_error(ErrorCode::kInvalidInput, "the plan expired " + std::to_string((now - expires) / 1000) +
                                                    " s ago (expires_unix_ms): make a new one");
  }
  if (expires - now > std::chrono::duration_cast<std::chrono::milliseconds>(proto::kMaxPlanLifetime).count()) {
    return make_error(ErrorCode::kInvalidInput, "the plan is valid for more than 24 hours (expires_unix_ms)");
  }
  if (plan.threshold * 100 <= plan.parties * settings_.threshold_floor_percent) {
    return make_error(ErrorCode::kInvalidInput, "threshold " + std::to_string(plan.threshold) + " of " +
                                                    std::to_string(plan.parties) +
                                                    " is below this node's floor: t must exceed " +
                                                    std::to_string(settings_.threshold_floor_percent) +
                                                    "% of n ([ceremonies] threshold_floor_percent)");
  }
  std::lock_guard lock(mutex_);
  if (auto current = status_locked(); current && std::ranges::equal(as_bytes(current->session_id()), plan.session_id)) {
    if (request.plan() != plan_bytes_) {
      return make_error(ErrorCode::kInvalidInput,
                        "session " + short_id(plan.session_id) + "… is already in use here with another plan");
    }
    return *current;
  }
  if (running()) {
    return make_error(ErrorCode::kInvalidInput, "a ceremony is already running on this node (session " +
                                                    short_id(ceremony_->plan().session_id) + "…)");
  }
  // Giving up a confirmed transcript is the operators' call, made in a
  // signed plan: were some nodes to give it up and others not, a late
  // certificate would complete only the latter.
  const bool abandons = ceremony_ && ceremony_->awaiting_certificate();
  if (abandons && !std::ranges::equal(as_bytes(plan.message.abandons_session()), ceremony_->plan().session_id)) {
    return make_error(ErrorCode::kInvalidInput,
                      "this node confirmed the key of session " + to_hex(ceremony_->plan().session_id) +
                          " and awaits its certificate; a plan that starts another must name that session in "
                          "abandons_session");
  }
  if (!plan.reshare && service_.has_key()) {
    return make_error(ErrorCode::kInvalidInput, "this node already holds a key (epoch " +
                                                    std::to_string(service_.key_epoch()) + "); reshare it instead");
  }
  SecretBytes seed(32);
  rng_.fill(seed.mutable_span());
  const std::int64_t accepted = clock_.now_unix_ms();
  const SessionId session = plan.session_id;
  const std::uint64_t cpu_at_start = process_cpu_us();
  VIGIL_ASSIGN_OR_RETURN(auto ceremony, build(std::move(plan), seed.clone(), accepted));
  // Deal first: nothing is sent before the plan and seed are durable, and a
  // node that cannot deal refuses the plan rather than run a ceremony it would fail.
  const CeremonyPhase before = ceremony->phase();
  VIGIL_RETURN_IF_ERROR(ceremony->start());
  if (abandons) {  // only now that the new plan can start; its pending share goes with it
    const CeremonyPlan& awaited = ceremony_->plan();
    v1::CeremonyStatus outcome = ceremony_->status();
    outcome.set_state("failed");
    outcome.set_error("abandoned by the operators' plan");
    outcome.set_finished_unix_ms(accepted);
    VIGIL_RETURN_IF_ERROR(store_.finish_ceremony(awaited.session_id, outcome, std::nullopt, false));
    spdlog::warn("{} {}: abandoned by the operators' plan", awaited.kind_name(), short_id(awaited.session_id));
    ceremony_.reset();
    finished_.reset();
  }
  VIGIL_RETURN_IF_ERROR(store_.begin_ceremony(session, as_bytes(request.SerializeAsString()), seed, accepted));
  plan_bytes_ = request.plan();
  ceremony_ = std::move(ceremony);
  finished_.reset();
  seq_ = 0;
  journal_broken_ = false;
  cpu_at_start_us_ = cpu_at_start;
  spdlog::info("{} {}: accepted ({}-of-{}, epoch {})", ceremony_->plan().kind_name(), short_id(session),
               ceremony_->plan().threshold, ceremony_->plan().parties, ceremony_->plan().epoch);
  send_ready();
  after_input(before);
  return ceremony_->status();
}

Status CeremonyManager::resume() {
  VIGIL_ASSIGN_OR_RETURN(auto stored, store_.latest_ceremony());
  if (!stored) return {};
  v1::StartCeremonyRequest request;
  if (!request.ParseFromArray(stored->request.data(), static_cast<int>(stored->request.size()))) {
    return make_error(ErrorCode::kInternal, "stored ceremony request does not parse");
  }
  VIGIL_ASSIGN_OR_RETURN(CeremonyPlan plan, proto::parse_ceremony_plan(as_bytes(request.plan())));
  std::lock_guard lock(mutex_);
  plan_bytes_ = request.plan();
  // What status reports of a ceremony that is over, when its outcome was not
  // stored (a resume that failed, or a database from before schema 3).
  auto outcome_of = [&](const std::string& state, const std::string& error, std::int64_t finished_unix_ms) {
    v1::CeremonyStatus s;
    s.set_session_id(plan.message.session_id());
    s.set_kind(plan.message.kind());
    s.set_state(state);
    s.set_phase(state);
    s.set_epoch(plan.epoch);
    s.set_parties(static_cast<std::uint32_t>(plan.parties));
    s.set_threshold(static_cast<std::uint32_t>(plan.threshold));
    s.set_error(error);
    s.set_started_unix_ms(stored->accepted_unix_ms);
    s.set_finished_unix_ms(finished_unix_ms);
    return s;
  };
  auto report_finished = [&](v1::CeremonyStatus s) {
    metrics_.set_ceremony_phase(plan.kind_name(), s.state() == "done" ? 5 : 6);
    finished_ = std::move(s);
  };
  // The node keeps serving its current key; the ceremony ends here.
  auto give_up = [&](const std::string& why) -> Status {
    spdlog::error("{} {}: cannot resume: {}", plan.kind_name(), short_id(plan.session_id), why);
    ceremony_.reset();
    v1::CeremonyStatus outcome = outcome_of("failed", "could not resume: " + why, clock_.now_unix_ms());
    VIGIL_RETURN_IF_ERROR(store_.finish_ceremony(plan.session_id, outcome, std::nullopt, false));
    report_finished(std::move(outcome));
    return {};
  };
  if (stored->state != "running" && stored->state != "awaiting") {
    v1::CeremonyStatus outcome;
    if (stored->outcome.empty() ||
        !outcome.ParseFromArray(stored->outcome.data(), static_cast<int>(stored->outcome.size()))) {
      outcome = outcome_of(stored->state, stored->error, stored->finished_unix_ms);
    }
    report_finished(std::move(outcome));
    return {};
  }
  auto ceremony = build(plan, std::move(stored->seed), stored->accepted_unix_ms);
  if (!ceremony) return give_up(ceremony.error().message);
  ceremony_ = std::move(ceremony).value();
  cpu_at_start_us_ = process_cpu_us();
  if (auto s = ceremony_->start(); !s) return give_up(s.error().message);
  for (const Bytes& bytes : stored->events) {
    v1::CeremonyEvent event;
    if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return give_up("the journal is corrupt");
    if (event.has_message()) {
      (void)ceremony_->receive(event.from(), event.message());
    } else {
      (void)ceremony_->tick(event.deadline_unix_ms());
    }
  }
  seq_ = static_cast<std::int64_t>(stored->events.size());
  spdlog::info("{} {}: resumed from {} journaled inputs in phase {}", plan.kind_name(), short_id(plan.session_id), seq_,
               ceremony_phase_name(ceremony_->phase()));
  send_ready();
  after_input(CeremonyPhase::kDeal);
  return {};
}

std::optional<v1::CeremonyStatus> CeremonyManager::status() const {
  std::lock_guard lock(mutex_);
  return status_locked();
}

std::optional<v1::CeremonyStatus> CeremonyManager::status_locked() const {
  if (!ceremony_) return finished_;
  v1::CeremonyStatus s = ceremony_->status();
  if (finished_) {
    s.set_state(finished_->state());
    s.set_finished_unix_ms(finished_->finished_unix_ms());
    s.set_cpu_us(finished_->cpu_us());
    if (!finished_->error().empty()) s.set_error(finished_->error());
  } else {
    s.set_cpu_us(process_cpu_us() - cpu_at_start_us_);
  }
  return s;
}

void CeremonyManager::on_message(ParticipantIndex from, const v1::CeremonyMessage& message) {
  std::lock_guard lock(mutex_);
  if (!ceremony_ || !std::ranges::equal(as_bytes(message.session_id()), ceremony_->plan().session_id)) {
    return;  // not (or not yet) this node's session: the peer resends when we say "ready"
  }
  if (message.has_ready()) {
    // A member behind (restarted, or its link back) gets everything sent
    // to it again; one saying "ready" over and over gets it a few times a
    // second at most, not once per message.
    if (ceremony_->plan().is_member(from) && resends_.try_emplace(from, kResendsPerSecond, kResendBurst)
                                                 .first->second.take(std::chrono::steady_clock::now())) {
      for (const auto& m : ceremony_->sent_to(from)) send_(from, m);
    }
    return;
  }
  if (!running()) {
    // A finished ceremony still hands out what it holds (a peer that is
    // behind may need a statement only this node kept), and one that failed
    // after confirming completes on a certificate from a node that is done.
    const bool late_certificate = message.has_certificate() && ceremony_->awaiting_certificate();
    if ((message.has_fetch() || late_certificate) && ceremony_->plan().is_member(from)) {
      if (auto r = ceremony_->receive(from, message); !r) spdlog::warn("ceremony: {}", r.error().message);
      flush();
      if (ceremony_->phase() == CeremonyPhase::kDone && finished_ && finished_->state() != "done") {
        spdlog::info("{} {}: completed by a certificate after failing on its deadline", ceremony_->plan().kind_name(),
                     short_id(ceremony_->plan().session_id));
        finished_.reset();
        conclude();
      }
    }
    return;
  }
  const CeremonyPhase before = ceremony_->phase();
  auto fresh = ceremony_->receive(from, message);
  if (!fresh) {
    spdlog::warn("ceremony: {}", fresh.error().message);
    metrics_.peer_failure(from, "protocol");
    return;
  }
  if (*fresh) {
    v1::CeremonyEvent event;
    event.set_from(from);
    *event.mutable_message() = message;
    journal(event);
  }
  after_input(before);
}

void CeremonyManager::on_link_up(ParticipantIndex peer) {
  std::lock_guard lock(mutex_);
  // Running, or awaiting a certificate that a peer which is done resends.
  if (!ceremony_ || !(running() || ceremony_->awaiting_certificate()) || !ceremony_->plan().is_member(peer)) return;
  v1::CeremonyMessage ready;
  ready.set_session_id(std::string(ceremony_->plan().session_id.begin(), ceremony_->plan().session_id.end()));
  ready.mutable_ready();
  send_(peer, ready);
}

void CeremonyManager::send_ready() {
  for (ParticipantIndex m : ceremony_->plan().members) {
    if (m == settings_.self) continue;
    v1::CeremonyMessage ready;
    ready.set_session_id(std::string(ceremony_->plan().session_id.begin(), ceremony_->plan().session_id.end()));
    ready.mutable_ready();
    send_(m, ready);
  }
}

void CeremonyManager::journal(const v1::CeremonyEvent& event) {
  if (auto s = store_.append_ceremony_event(ceremony_->plan().session_id, seq_++, as_bytes(event.SerializeAsString()));
      !s) {
    spdlog::critical("ceremony journal: {}", s.error().message);
    journal_broken_ = true;
  }
}

void CeremonyManager::flush() {
  auto outbox = ceremony_->take_outbox();
  // A complaint or a confirmation follows from what this node received; the
  // inputs it followed from are made durable before it leaves, so that a
  // replay after a power loss cannot sign a different one (a few fsyncs per
  // ceremony). A dealing and a justification follow from the seed alone.
  const ParticipantIndex self = settings_.self;
  auto depends_on_inputs = [self](const v1::CeremonyMessage& m) {
    auto own_view = [self](std::uint32_t author, v1::StatementKind kind) {
      return author == self && (kind == v1::STATEMENT_KIND_COMPLAINT || kind == v1::STATEMENT_KIND_CONFIRMATION);
    };
    if (m.has_statement()) return own_view(m.statement().author(), m.statement().kind());
    return m.has_echo() &&
           std::ranges::any_of(m.echo().statements(), [&](const auto& d) { return own_view(d.author(), d.kind()); });
  };
  if (!journal_broken_ &&
      std::ranges::any_of(outbox, [&](const CeremonyOutgoing& o) { return depends_on_inputs(o.message); })) {
    if (auto s = store_.sync_journal(); !s) {
      spdlog::critical("ceremony journal: {}", s.error().message);
      journal_broken_ = true;
    }
  }
  for (auto& out : outbox) {
    // With inputs missing from the journal, a restart could sign another
    // view: this node withholds its complaints and confirmations instead and
    // lets the ceremony end on its deadlines.
    if (journal_broken_ && depends_on_inputs(out.message)) continue;
    send_(out.to, out.message);
  }
  for (const auto& [peer, what] : ceremony_->take_faults()) {
    spdlog::warn("ceremony: node {}: {}", peer, what);
    metrics_.peer_failure(peer, "protocol");
  }
}

void CeremonyManager::after_input(CeremonyPhase before) {
  flush();
  const CeremonyPhase now = ceremony_->phase();
  if (now != before) {
    spdlog::info("{} {}: phase {}", ceremony_->plan().kind_name(), short_id(ceremony_->plan().session_id),
                 ceremony_phase_name(now));
  }
  metrics_.set_ceremony_phase(ceremony_->plan().kind_name(), static_cast<int>(now));
  if (ceremony_->over()) {
    conclude();
  } else {
    schedule();
  }
}

void CeremonyManager::schedule() {
  const std::int64_t wait = std::max<std::int64_t>(0, ceremony_->deadline_unix_ms() - clock_.now_unix_ms());
  timer_.expires_after(std::chrono::milliseconds(wait));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    std::lock_guard lock(mutex_);
    if (!running()) return;
    const CeremonyPhase before = ceremony_->phase();
    const std::int64_t now = clock_.now_unix_ms();
    if (ceremony_->tick(now)) {
      spdlog::warn("{} {}: phase {} ended on its deadline", ceremony_->plan().kind_name(),
                   short_id(ceremony_->plan().session_id), ceremony_phase_name(before));
      v1::CeremonyEvent event;
      event.set_deadline_unix_ms(now);
      journal(event);
    }
    after_input(before);
  });
}

void CeremonyManager::ask_for_certificate() {
  send_ready();
  timer_.expires_after(ceremony_->plan().phase_timeout);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    std::lock_guard lock(mutex_);
    if (ceremony_ && ceremony_->awaiting_certificate()) ask_for_certificate();
  });
}

void CeremonyManager::conclude() {
  if (finished_) return;
  timer_.cancel();
  const CeremonyPlan& plan = ceremony_->plan();
  const bool done = ceremony_->phase() == CeremonyPhase::kDone;
  const bool holds_key = ceremony_->key().has_value();
  v1::CeremonyStatus s = ceremony_->status();
  const std::int64_t now = clock_.now_unix_ms();
  s.set_finished_unix_ms(now);
  s.set_cpu_us(process_cpu_us() - cpu_at_start_us_);
  auto recorded = ceremony_->awaiting_certificate()
                      ? store_.await_certificate(plan.session_id, s.error(), now)
                      : store_.finish_ceremony(plan.session_id, s, ceremony_->key(), done);
  if (!recorded) {
    spdlog::critical("{} {}: recording the outcome failed: {}", plan.kind_name(), short_id(plan.session_id),
                     recorded.error().message);
    s.set_state("failed");
    s.set_error("recording the outcome failed: " + recorded.error().message);
  } else if (done) {
    if (auto loaded = service_.load_key(); !loaded) spdlog::critical("loading the new key: {}", loaded.error().message);
    if (key_listener_) key_listener_(service_.key_epoch());
  }
  finished_ = s;
  // Stored: nothing of it needs to stay in memory (the ceremony object
  // still answers status and fetches).
  if (recorded && !ceremony_->awaiting_certificate()) ceremony_->erase_secrets();
  if (ceremony_->awaiting_certificate()) ask_for_certificate();
  metrics_.ceremony_finished(plan.kind_name(), s.state());
  if (s.state() == "done") {
    spdlog::info("{} {}: done in {} ms; epoch {}, {} dealers excluded{}", plan.kind_name(), short_id(plan.session_id),
                 now - s.started_unix_ms(), plan.epoch, s.excluded_size(),
                 holds_key ? "" : "; this node left the committee and erased its share");
  } else {
    spdlog::error("{} {}: failed: {}", plan.kind_name(), short_id(plan.session_id), s.error());
  }
}

}  // namespace vigil::node
