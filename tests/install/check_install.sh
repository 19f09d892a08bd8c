#!/usr/bin/env bash
# Installs the build tree into a scratch prefix and builds a consumer project
# against it with find_package(vigil), linking only vigil::client, then runs it.
set -euo pipefail
build_dir=$1
consumer_src=$2
sanitize=${3:-}  # a sanitized library needs a consumer linked with the same runtime
flags=()
[ -n "$sanitize" ] && flags=(-DCMAKE_CXX_FLAGS="-fsanitize=$sanitize")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
cmake -S "$consumer_src" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" "${flags[@]}" >/dev/null
cmake --build "$scratch/build" >/dev/null
# vigil::client carries none of the node's dependencies.
if grep -Eio 'sqlite|spdlog|tomlplusplus|boost_[a-z]+' "$scratch/build/build.ninja" | sort -u | grep .; then
  echo "check_install: the consumer of vigil::client links node dependencies (above)" >&2
  exit 1
fi
"$scratch/build/consumer"
