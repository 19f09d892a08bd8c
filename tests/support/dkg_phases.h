// Phases 2 and 3 of the DKG / resharing state machine for in-process tests:
// every participant's complaints go to everyone, then every accused dealer's
// justifications (which `tamper` may alter, or `silent` suppress) go to everyone.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "vigil/dkg.h"

namespace vigil::test {

template <Curve C>
void run_dispute_phases(std::vector<DkgParticipant<C>>& parts, const std::function<bool(std::size_t)>& silent = nullptr,
                        const std::function<void(std::size_t, DkgJustification<C>&)>& tamper = nullptr) {
  std::vector<DkgComplaint> complaints;
  for (auto& p : parts) {
    auto c = p.complaints();
    complaints.insert(complaints.end(), c.begin(), c.end());
  }
  for (auto& p : parts) {
    for (const auto& c : complaints) EXPECT_TRUE(p.receive_complaint(c).ok());
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (silent && silent(i)) continue;
    for (auto& j : parts[i].justifications()) {
      if (tamper) tamper(i, j);
      for (auto& q : parts) (void)q.receive_justification(j);  // a wrong one answers nothing: finish() excludes
    }
  }
}

}  // namespace vigil::test
