// Protobuf logs each string field with invalid UTF-8 that it refuses; the
// fuzz targets hand it such bytes millions of times. Included by the
// targets that parse protobuf, this silences it once per process.
#pragma once

#include <google/protobuf/stubs/logging.h>

namespace vigil::fuzz {

struct QuietProtobuf {
  QuietProtobuf() { google::protobuf::SetLogHandler(nullptr); }
};
inline const QuietProtobuf quiet_protobuf;

}  // namespace vigil::fuzz
