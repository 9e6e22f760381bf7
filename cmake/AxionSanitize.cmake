# Sanitizer and fuzz builds (scripts/sanitize.sh, scripts/fuzz.sh). Included by the top-level
# CMakeLists.txt before any target exists, so the flags reach every target: core, host,
# plugins, tests and fixtures alike.
#
# AXION_SANITIZE=address,undefined  ASan + UBSan (build-asan)
# AXION_SANITIZE=thread             TSan (build-tsan)
# AXION_FUZZ=ON                     libFuzzer targets under fuzz/ (clang; fuzz/CMakeLists.txt
#                                   instruments only the code under test)
#
# Both use -O1 and line tables only (-g1): fast enough to build and run the suite, and stack
# traces still name file:line. NDEBUG is undefined again so library assertions (nlohmann's
# JSON_ASSERT) report misuse instead of running into undefined behaviour.
set(AXION_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined | thread | empty (off)")

if(AXION_SANITIZE OR AXION_FUZZ)
  add_compile_options(-O1 -g1 -UNDEBUG -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_compile_options(-Wno-unknown-warning-option)  # GCC's -Wshadow=local
  endif()
endif()

if(AXION_SANITIZE)
  if(NOT AXION_SANITIZE MATCHES "^(address|undefined|address,undefined|undefined,address|thread)$")
    message(FATAL_ERROR "AXION_SANITIZE='${AXION_SANITIZE}': use address,undefined or thread "
                        "(TSan cannot be combined with ASan)")
  endif()
  if(AXION_FUZZ)
    message(FATAL_ERROR "AXION_FUZZ instruments its own targets; leave AXION_SANITIZE empty")
  endif()
  # Undefined behaviour aborts like a memory error does, so a test cannot pass over it.
  add_compile_options(-fsanitize=${AXION_SANITIZE} -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${AXION_SANITIZE})
  if(AXION_SANITIZE MATCHES "address")
    # Bounds checks in libstdc++'s inline code (operator[], front(), …): ASan cannot see an
    # index past size() that stays inside a vector's capacity. No ABI change.
    add_compile_definitions(_GLIBCXX_ASSERTIONS)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # GCC links the sanitizer runtime into every shared object; clang only into executables,
    # which plugins' --no-undefined link refuses. The shared runtime serves both (found through
    # an rpath, as clang adds none).
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-runtime-dir
                    OUTPUT_VARIABLE _axion_rt_dir OUTPUT_STRIP_TRAILING_WHITESPACE)
    add_link_options(-shared-libsan LINKER:-rpath,${_axion_rt_dir})
  endif()
  message(STATUS "Axion: sanitizers ${AXION_SANITIZE} on every target (-O1 -g1)")
endif()
