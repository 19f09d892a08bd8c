# Locates the system libraries vigil builds on (Debian packages; see
# scripts/install-deps). Also included by the installed vigilConfig.cmake, so
# a consumer of find_package(vigil) resolves the same imported targets.
include(CMakeFindDependencyMacro)
find_package(PkgConfig REQUIRED)
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto SSL)
if(NOT TARGET PkgConfig::sodium)
  pkg_check_modules(sodium REQUIRED IMPORTED_TARGET GLOBAL libsodium>=1.0.18)
endif()
if(NOT TARGET PkgConfig::secp256k1)
  pkg_check_modules(secp256k1 REQUIRED IMPORTED_TARGET GLOBAL libsecp256k1)
endif()
if(NOT TARGET PkgConfig::gmp)
  pkg_check_modules(gmp REQUIRED IMPORTED_TARGET GLOBAL gmp)
endif()
# vigil::client's wire schema (vigil_proto) is protobuf.
if(NOT TARGET protobuf::libprotobuf)
  find_package(Protobuf 3.21 REQUIRED)
endif()
