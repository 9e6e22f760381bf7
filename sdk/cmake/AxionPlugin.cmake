# axion_add_plugin(<kind> <name> SOURCES <files...>)
# Builds axion-<kind>-<name>.so exactly as the host expects, in-tree and out of tree alike:
# hidden visibility and -fno-gnu-unique so the library can really be unloaded and reloaded,
# --no-undefined so a missing symbol fails at link time rather than at the first call.
function(axion_add_plugin kind name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target axion-${kind}-${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE axion::sdk ${ARG_LIBRARIES})
  if(TARGET axion_warnings)
    target_link_libraries(${target} PRIVATE axion_warnings)
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME ${target}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED AXION_PLUGIN_OUTPUT_DIR)
    # In-tree: next to the host's default search path, and installed with it.
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${AXION_PLUGIN_OUTPUT_DIR})
    install(TARGETS ${target} LIBRARY DESTINATION lib/axion/plugins)
  endif()
  target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-fno-gnu-unique>)
  target_link_options(${target} PRIVATE LINKER:--no-undefined)
endfunction()
