#!/usr/bin/env bash
# Installs the build tree into a scratch prefix and builds a consumer project
# against it with find_package(vigil), then runs the consumer.
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
"$scratch/build/consumer"
