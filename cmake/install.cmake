# Install rules and the CMake package (included from the top CMakeLists.txt):
#   <prefix>/lib/libtinytune_{core,nn,data,peft,train,dist}.so   the layers
#   <prefix>/include/tinytune/...                          their headers, tinytune.h on top
#   <prefix>/bin/train_glue, eval_adapter, ...             the tools (TINYTUNE_BUILD_TOOLS)
#   <prefix>/lib/cmake/tinytune/                            find_package(tinytune CONFIG)
include(CMakePackageConfigHelpers)
set(TINYTUNE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tinytune)

install(TARGETS tinytune_core tinytune_nn tinytune_data tinytune_peft tinytune_train tinytune_dist tinytune
        EXPORT tinytune-targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Headers keep the source tree's layout under include/tinytune/; the tools' sources stay out.
install(DIRECTORY core nn data peft train dist
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tinytune
        FILES_MATCHING PATTERN "*.h"
        PATTERN "tools" EXCLUDE)
install(FILES tinytune.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tinytune)
if(TINYTUNE_BUILD_TOOLS)
  install(TARGETS ${TINYTUNE_TOOLS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT tinytune-targets NAMESPACE tinytune:: FILE tinytune-targets.cmake
        DESTINATION ${TINYTUNE_CMAKE_DIR})
configure_package_config_file(cmake/tinytuneConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/tinytuneConfig.cmake
                              INSTALL_DESTINATION ${TINYTUNE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tinytuneConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tinytuneConfig.cmake
              ${PROJECT_BINARY_DIR}/tinytuneConfigVersion.cmake
        DESTINATION ${TINYTUNE_CMAKE_DIR})
