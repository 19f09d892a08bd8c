// vigil_bench: every benchmark registers itself from its feature file.
// Run with --benchmark_format=json (or --benchmark_out=FILE) for machine-
// readable results; targets appear in each row's label.
#include <benchmark/benchmark.h>

namespace vigil::bench {
void register_group_benchmarks();
void register_shamir_benchmarks();
void register_tdh2_benchmarks();
void register_dkg_benchmarks();
void register_dcap_benchmarks();
}  // namespace vigil::bench

int main(int argc, char** argv) {
  vigil::bench::register_group_benchmarks();
  vigil::bench::register_shamir_benchmarks();
  vigil::bench::register_tdh2_benchmarks();
  vigil::bench::register_dkg_benchmarks();
  vigil::bench::register_dcap_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
