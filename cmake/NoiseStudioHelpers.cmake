# Shared build helpers.

# ns_set_warnings(target): warnings on everywhere; -Werror when NOISESTUDIO_WERROR is ON (CI).
function(ns_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(NOISESTUDIO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# ns_add_test(name SOURCES a.cpp ... LIBS lib ... LABELS unit|gui|vulkan|slow [TIMEOUT s] [XVFB] [GUI])
# Test classes register with NS_REGISTER_TEST (tests/support/ns_test.h); GUI makes a QApplication.
# One Qt Test binary per module. XVFB runs it under xvfb-run (gui/vulkan tests need a display).
function(ns_add_test name)
  cmake_parse_arguments(T "XVFB;GUI" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES} "${PROJECT_SOURCE_DIR}/tests/support/test_main.cpp")
  target_link_libraries(${name} PRIVATE ${T_LIBS})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}")
  if(TARGET Qt6::Test)
    target_link_libraries(${name} PRIVATE Qt6::Test)
    target_compile_definitions(${name} PRIVATE NS_HAVE_QTEST)
  endif()
  if(T_GUI)
    target_link_libraries(${name} PRIVATE Qt6::Widgets)
    target_compile_definitions(${name} PRIVATE NS_TEST_GUI)
  endif()
  target_compile_definitions(${name} PRIVATE NS_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
                                             NS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  ns_set_warnings(${name})
  if(TARGET Qt6::Test)
    set_target_properties(${name} PROPERTIES AUTOMOC ON)
  endif()
  if(T_XVFB)
    find_program(XVFB_RUN xvfb-run REQUIRED)
    add_test(NAME ${name} COMMAND ${XVFB_RUN} -a -s "-screen 0 1600x1200x24" $<TARGET_FILE:${name}>)
  else()
    add_test(NAME ${name} COMMAND ${name})
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 900)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    # Qt Test aborts a test function after 5 minutes by default; slow tests get the CTest limit.
    ENVIRONMENT "OMP_WAIT_POLICY=PASSIVE;NS_LOG_LEVEL=warn;NS_SOURCE_DIR=${PROJECT_SOURCE_DIR};QTEST_FUNCTION_TIMEOUT=${T_TIMEOUT}000")
endfunction()
