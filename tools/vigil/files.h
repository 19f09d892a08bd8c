// File helpers for the CLI: whole-file reads with a size cap, and writes
// that never leave a half-written file behind (temporary file, fsync, rename).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "vigil/bytes.h"
#include "vigil/result.h"

namespace vigil::cli {

inline constexpr std::size_t kMaxInputFileBytes = 64u << 20;

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes = kMaxInputFileBytes);

// A DCAP quote file: the raw quote, or its hex (as dstack's guest agent
// returns it) with surrounding whitespace.
Result<Bytes> read_quote_file(const std::filesystem::path& path);

enum class FileMode { kPublic, kSecret };  // 0644 or 0600

// Atomically replaces `path`. With overwrite = false an existing file is an error.
Status write_file(const std::filesystem::path& path, const std::string& contents, FileMode mode, bool overwrite);

}  // namespace vigil::cli
