#include "vigil/group.h"

namespace vigil {

Result<CurveId> parse_curve_name(std::string_view name) {
  if (name == Ristretto255::kName) return CurveId::kRistretto255;
  if (name == Secp256k1::kName) return CurveId::kSecp256k1;
  return make_error(ErrorCode::kInvalidInput,
                    "unknown curve '" + std::string(name) + "' (expected ristretto255 or secp256k1)");
}

std::string_view curve_name(CurveId id) {
  switch (id) {
    case CurveId::kRistretto255: return Ristretto255::kName;
    case CurveId::kSecp256k1: return Secp256k1::kName;
  }
  return "unknown";
}

}  // namespace vigil
