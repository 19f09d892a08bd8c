include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/vigil DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# vigil::crypto (the core), vigil::attest (DCAP verification) and vigil::client (what applications link; it
# brings vigil_proto and protobuf along, and nothing of the node).
install(TARGETS vigil_crypto vigil_attest vigil_proto vigil_client EXPORT vigilTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(program vigil vigild)
  if(TARGET ${program})
    install(TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
install(EXPORT vigilTargets NAMESPACE vigil:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vigil)

configure_package_config_file(cmake/vigilConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/vigilConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vigil)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/vigilConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/vigilConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/vigilConfigVersion.cmake
              cmake/VigilDependencies.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/vigil)
