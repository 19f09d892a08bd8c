// A node's data folder read the way someone holding its disk would: every
// file's raw bytes, and values straight from the SQLite database.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace vigil::test {

// Every file of the folder (not its subfolders), as raw bytes.
inline std::vector<std::pair<std::string, std::string>> folder_bytes(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    out.emplace_back(entry.path().filename().string(), std::string(std::istreambuf_iterator<char>(in), {}));
  }
  return out;
}

// The names of the folder's files that hold `needle` anywhere in their bytes.
inline std::vector<std::string> files_containing(const std::filesystem::path& dir, const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& [file, bytes] : folder_bytes(dir)) {
    if (bytes.find(needle) != std::string::npos) found.push_back(file);
  }
  return found;
}

// The first column of the first row `sql` yields, as SQLite stores it.
inline std::string raw_value(const std::filesystem::path& db, const char* sql) {
  sqlite3* handle = nullptr;
  std::string value;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(handle, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value.assign(static_cast<const char*>(sqlite3_column_blob(stmt, 0)),
                   static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(handle);
  return value;
}

}  // namespace vigil::test
