// The database schema, every version of it, in one place: entry i migrates
// schema version i to i + 1, and Store::open applies what is missing.
#pragma once

#include <span>

namespace vigil::node {

std::span<const char* const> schema_migrations();

}  // namespace vigil::node
