#!/usr/bin/env bash
# Installs the build tree into a scratch prefix and builds a consumer project
# against it with find_package(vigil), linking only vigil::client, then runs it.
set -euo pipefail
build_dir=$1
consumer_src=$2
compiler=$3
instrument=${4:-}  # a sanitized (or coverage-instrumented) library needs a consumer built the same way
flags=(-DCMAKE_CXX_COMPILER="$compiler")
[ -n "$instrument" ] && flags+=(-DCMAKE_CXX_FLAGS="$instrument")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
# The README's library example, exactly as printed there.
readme=$(dirname "$0")/../../README.md
awk '$0 == "<!-- library example -->" { armed = 1; next }
     armed && /^```cpp$/ { inside = 1; armed = 0; next }
     inside && /^```$/ { exit }
     inside { print }' "$readme" >"$scratch/readme_example.cpp"
[ -s "$scratch/readme_example.cpp" ] || { echo "check_install: README.md has no library example" >&2; exit 1; }
cmake -S "$consumer_src" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" \
  -DREADME_EXAMPLE="$scratch/readme_example.cpp" "${flags[@]}" >/dev/null
cmake --build "$scratch/build" >/dev/null
# vigil::client carries none of the node's dependencies.
if grep -Eio 'sqlite|spdlog|tomlplusplus|boost_[a-z]+' "$scratch/build/build.ninja" | sort -u | grep .; then
  echo "check_install: the consumer of vigil::client links node dependencies (above)" >&2
  exit 1
fi
"$scratch/build/consumer"
example_output=$("$scratch/build/readme_example")
[ "$example_output" = "the secret" ] || { echo "check_install: the README example printed '$example_output'" >&2; exit 1; }
echo "README library example: deal, encrypt, three shares, combine: $example_output"
