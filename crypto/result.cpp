#include "vigil/result.h"

namespace vigil {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput: return "invalid_input";
    case ErrorCode::kBadEncoding: return "bad_encoding";
    case ErrorCode::kVerificationFailed: return "verification_failed";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kResourceExhausted: return "resource_exhausted";
    case ErrorCode::kProtocolAbort: return "protocol_abort";
    case ErrorCode::kTransport: return "transport";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string s = std::string(error_code_name(code)) + ": " + message;
  if (party) s += " (party " + std::to_string(*party) + ")";
  return s;
}

}  // namespace vigil
