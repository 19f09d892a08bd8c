#include "node/release/attestation.h"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>

namespace vigil::node {
namespace {

namespace fs = std::filesystem;

Result<std::string> read_collateral_file(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return make_error(ErrorCode::kNotFound, "cannot read it: " + ec.message());
  if (size > dcap::kMaxCollateralBytes) return make_error(ErrorCode::kBadEncoding, "larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return make_error(ErrorCode::kNotFound, "cannot read it");
  return text.str();
}

PolicyFacts::Attestation facts_of(const dcap::Quote& quote, const dcap::Verdict& verdict) {
  PolicyFacts::Attestation a;
  a.status = static_cast<std::uint32_t>(verdict.status);
  a.debug = quote.debug();
  if (const auto* td = std::get_if<dcap::TdReport>(&quote.report)) {
    a.tee = AttestedTee::kTdx;
    a.mr_td = td->mr_td;
    a.rtmr = td->rtmr;
  } else {
    const auto& sgx = std::get<dcap::EnclaveReport>(quote.report);
    a.tee = AttestedTee::kSgx;
    a.mr_enclave = sgx.mr_enclave;
    a.mr_signer = sgx.mr_signer;
    a.isv_prod_id = sgx.isv_prod_id;
    a.isv_svn = sgx.isv_svn;
  }
  return a;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

std::string utc_text(std::int64_t unix_s) {
  const auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

}  // namespace

AttestationVerifier::AttestationVerifier(fs::path dir, std::optional<Bytes> test_root) : dir_(std::move(dir)) {
  roots_.emplace_back(dcap::intel_sgx_root_ca().begin(), dcap::intel_sgx_root_ca().end());
  if (test_root) roots_.push_back(std::move(*test_root));
}

std::vector<AttestationVerifier::FileOutcome> AttestationVerifier::reload() {
  std::vector<FileOutcome> outcomes;
  std::vector<dcap::CheckedCollateral> loaded;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    FileOutcome outcome{file.filename().string(), {}, {}};
    auto checked = [&]() -> Result<dcap::CheckedCollateral> {
      VIGIL_ASSIGN_OR_RETURN(std::string text, read_collateral_file(file));
      VIGIL_ASSIGN_OR_RETURN(dcap::Collateral collateral, dcap::parse_collateral_json(text));
      // Under Intel's root (the only one, but in tests); the first error
      // names what is wrong with the file.
      Result<dcap::CheckedCollateral> under_intel = dcap::CheckedCollateral::check(collateral, roots_.front());
      for (std::size_t i = 1; !under_intel && i < roots_.size(); ++i) {
        if (auto other = dcap::CheckedCollateral::check(collateral, roots_[i])) return other;
      }
      return under_intel;
    }();
    if (checked) {
      outcome.summary = std::string(dcap::tee_name(checked->tee())) + ", FMSPC " + to_hex(checked->fmspc()) +
                        ", valid until " + utc_text(checked->valid_until());
      loaded.push_back(std::move(*checked));
    } else {
      outcome.error = checked.error().message;
    }
    outcomes.push_back(std::move(outcome));
  }
  std::lock_guard lock(mutex_);
  collateral_ = std::move(loaded);
  return outcomes;
}

AttestationVerifier::Outcome AttestationVerifier::verify(ByteSpan quote_bytes, std::int64_t unix_s,
                                                         const dcap::ReportData& expected) const {
  Outcome out;
  auto quote = dcap::parse_quote(quote_bytes);
  if (!quote) {
    out.error = quote.error().message;
    return out;
  }
  // The binding first: it costs nothing, and a quote that does not speak
  // for this request is not worth a signature check.
  if (!equal_ct(quote->report_data(), expected)) {
    out.error =
        "report_data: the quote does not bind this request (its key id, response key, nonce, expiry and "
        "epoch, and this cluster's group key)";
    return out;
  }
  std::vector<dcap::CheckedCollateral> candidates;
  {
    std::lock_guard lock(mutex_);
    for (const auto& c : collateral_) {
      if (c.tee() == quote->tee) candidates.push_back(c);
    }
  }
  if (candidates.empty()) {
    out.error = "collateral_missing: this node holds no " + std::string(dcap::tee_name(quote->tee)) +
                " collateral (docs/attestation.md)";
    return out;
  }
  // The collateral for the quote's platform (its root, FMSPC, PCE-ID and
  // PCK CA), newest first: an older file for the platform must not decide
  // while a newer one (perhaps with a worse status or a revocation) holds.
  std::stable_sort(
      candidates.begin(), candidates.end(),
      [](const dcap::CheckedCollateral& a, const dcap::CheckedCollateral& b) { return a.issued() > b.issued(); });
  Result<dcap::Verdict> verdict = make_error(ErrorCode::kInternal, "");
  for (const auto& c : candidates) {
    verdict = dcap::verify_quote(*quote, c, unix_s);
    if (verdict || !starts_with(verdict.error().message, "collateral_mismatch:")) break;
  }
  if (!verdict) {
    out.error = verdict.error().message;
    out.collateral_expired = starts_with(out.error, "collateral_expired:");
    return out;
  }
  out.attestation = facts_of(*quote, *verdict);
  return out;
}

}  // namespace vigil::node
