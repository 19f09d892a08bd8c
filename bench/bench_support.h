// Registration helpers: benchmarks are named BM_<What>/<curve>/<params...>
// so that results compare across runs, and each one that an issue gives a
// target for carries that target as its label, printed beside the figure.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <string>

#include "vigil/group.h"

namespace vigil::bench {

inline benchmark::internal::Benchmark* add(const std::string& name, const std::string& target,
                                           std::function<void(benchmark::State&)> fn) {
  return benchmark::RegisterBenchmark(name.c_str(), [fn = std::move(fn), target](benchmark::State& state) {
    fn(state);
    state.SetLabel(target.empty() ? "no target" : "target " + target);
  });
}

template <Curve C>
std::string name(const std::string& what) {
  return what + "/" + std::string(C::kName);
}

}  // namespace vigil::bench
