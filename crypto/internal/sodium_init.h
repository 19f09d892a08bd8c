#pragma once

namespace vigil::internal {

// Calls sodium_init() once per process; cheap after the first call.
void ensure_sodium_initialized();

}  // namespace vigil::internal
