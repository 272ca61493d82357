# Shared compile settings and the helpers every module, test, benchmark and fuzz target uses.

add_library(entente_options INTERFACE)
target_compile_options(entente_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wimplicit-fallthrough -Wformat=2)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++ 12 reports false positives for these on std::variant/optional in optimised builds.
  target_compile_options(entente_options INTERFACE -Wno-maybe-uninitialized -Wno-stringop-overflow)
endif()
if(ENTENTE_WERROR)
  target_compile_options(entente_options INTERFACE -Werror)
endif()
if(ENTENTE_SANITIZE)
  target_compile_options(entente_options INTERFACE -fsanitize=${ENTENTE_SANITIZE}
                         -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(entente_options INTERFACE -fsanitize=${ENTENTE_SANITIZE})
  target_compile_definitions(entente_options INTERFACE ENTENTE_SANITIZED=1)
  if(ENTENTE_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ warns that std::atomic_thread_fence (used inside Asio) is invisible to TSan; Asio's
    # fences pair with atomics TSan does see, so the warning is noise here.
    target_compile_options(entente_options INTERFACE -Wno-tsan)
  endif()
endif()

# entente_module(NAME SOURCES ... DEPS ... [PRIVATE_DEPS ...])
# One static library per module: public headers in src/NAME/include/entente/NAME/,
# everything else private. DEPS states the layering; a wrong include fails to build.
function(entente_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(entente_${name} STATIC ${M_SOURCES})
  add_library(entente::${name} ALIAS entente_${name})
  target_include_directories(entente_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                             PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(entente_${name} PUBLIC ${M_DEPS} PRIVATE entente_options ${M_PRIVATE_DEPS})
endfunction()

# entente_test(NAME SOURCES ... DEPS ... [LABELS ...] [PROPERTIES prop value ...])
# One GoogleTest binary per module; each TEST is its own ctest case. PROPERTIES are set on
# every case (e.g. FIXTURES_REQUIRED, ENVIRONMENT).
function(entente_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS;PROPERTIES" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  target_link_libraries(${name} PRIVATE ${T_DEPS} entente_options GTest::gtest GTest::gtest_main
                        GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    ENTENTE_DATA_DIR="${ENTENTE_DATA_DIR}" ENTENTE_SHARED_DIR="${ENTENTE_SHARED_DIR}"
    ENTENTE_BINARY_DIR="${CMAKE_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60)
  # Properties go on the discovered cases from a file ctest includes after the discovery one
  # (which lists them in ${name}_TESTS): gtest_discover_tests' own PROPERTIES flattens list
  # values, so several LABELS would shift every name/value pair after them.
  set(labels unit ${T_LABELS})
  set(script "foreach(t IN LISTS ${name}_TESTS)\n  set_tests_properties(\"\${t}\" PROPERTIES")
  string(APPEND script " LABELS \"${labels}\"")
  list(LENGTH T_PROPERTIES n)
  if(n GREATER 0)
    math(EXPR last "${n} - 1")
    foreach(i RANGE 0 ${last} 2)
      math(EXPR j "${i} + 1")
      list(GET T_PROPERTIES ${i} key)
      list(GET T_PROPERTIES ${j} value)
      string(APPEND script " ${key} \"${value}\"")
    endforeach()
  endif()
  string(APPEND script ")\nendforeach()\n")
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/${name}_properties.cmake "${script}")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES
               ${CMAKE_CURRENT_BINARY_DIR}/${name}_properties.cmake)
endfunction()

# entente_bench(NAME SOURCES ... DEPS ...): a Google Benchmark executable.
function(entente_bench name)
  cmake_parse_arguments(B "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${B_SOURCES})
  target_link_libraries(${name} PRIVATE ${B_DEPS} entente_options benchmark::benchmark)
  target_compile_definitions(${name} PRIVATE
    ENTENTE_DATA_DIR="${ENTENTE_DATA_DIR}" ENTENTE_SHARED_DIR="${ENTENTE_SHARED_DIR}")
endfunction()

# entente_fuzz(NAME SOURCES ... DEPS ...): a libFuzzer target (clang, ENTENTE_FUZZ=ON).
function(entente_fuzz name)
  cmake_parse_arguments(F "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE ${F_DEPS} entente_options)
endfunction()
