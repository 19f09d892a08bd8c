// One full DCAP quote verification (parse, PCK chain with CRLs, QE report,
// quote signature, QE identity and TCB levels) of the real quotes in
// ../shared/vectors/dcap, against collateral checked once and kept, as a
// node keeps it.
#include <fstream>
#include <optional>
#include <sstream>

#include "bench_support.h"
#include "vigil/dcap.h"

namespace vigil::bench {
namespace {

std::optional<std::string> read_vector(const std::string& name) {
  std::ifstream in(std::string(VIGIL_SHARED_VECTORS) + "/dcap/" + name, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void verify(benchmark::State& state, const std::string& tee) {
  const auto quote = read_vector(tee + "_quote");
  const auto collateral_json = read_vector(tee + "_quote_collateral.json");
  if (!quote || !collateral_json) {
    state.SkipWithError("../shared/vectors/dcap missing");
    return;
  }
  const auto collateral = dcap::CheckedCollateral::check(dcap::parse_collateral_json(*collateral_json).value());
  if (!collateral) {
    state.SkipWithError(collateral.error().message.c_str());
    return;
  }
  const std::int64_t at = 1751328000;  // inside both vectors' collateral windows
  for (auto _ : state) {
    auto q = dcap::parse_quote(as_bytes(*quote));
    auto verdict = dcap::verify_quote(q.value(), *collateral, at);
    if (!verdict) {
      state.SkipWithError(verdict.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(verdict);
  }
}

}  // namespace

void register_dcap_benchmarks() {
  for (const char* tee : {"tdx", "sgx"}) {
    add(std::string("BM_DcapVerify/") + tee, "<= 2 ms", [tee](benchmark::State& s) {
      verify(s, tee);
    })->Unit(benchmark::kMillisecond);
  }
}

}  // namespace vigil::bench
