# axion_add_plugin_test(<kind> <name> SOURCES <files...>)
# A Catch2 test for one plugin, run against the SDK fakes. AXION_PLUGIN_SO is the built plugin's
# path, so the test can drive the real shared library through the C ABI.
function(axion_add_plugin_test kind name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target test-${kind}-${name})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE axion::sdk axion_warnings Catch2::Catch2WithMain ${ARG_LIBRARIES})
  target_compile_definitions(${target} PRIVATE
    AXION_PLUGIN_SO="$<TARGET_FILE:axion-${kind}-${name}>"
    AXION_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
  add_dependencies(${target} axion-${kind}-${name})
  if(AXION_SANITIZE)
    target_compile_options(${target} PRIVATE -O0)  # test code only, as in tests/CMakeLists.txt
  endif()
  catch_discover_tests(${target} TEST_PREFIX "${kind}/${name}: ")
endfunction()
