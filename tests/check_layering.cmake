# Layering check (issue 18 item 5), run by CTest as the `layering` test:
#   cmake -DSOURCE_DIR=<tree> -P tests/check_layering.cmake
# 1. A core module includes only its own headers and those of the modules its
#    ns_core_module(<name> DEPS ...) line in core/CMakeLists.txt names: the DEPS lines are the
#    declared dependency order, so a lower module including a higher one fails here before it
#    turns into a link-order or cycle problem.
# 2. ui/ and app/ reach the engine through its API header, core/engine/engine.h (the verbs, their
#    options and results), never through engine internals (engine_common.h, inversion_support.h, ...).
# Prints one line per violation and "layering: N violations"; exits non-zero when N > 0.
# tests/data/layering_violations/ is a small tree with planted violations that the
# `layering_detects_violations` test runs this script on.

cmake_minimum_required(VERSION 3.24)

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_layering.cmake: pass -DSOURCE_DIR=<source tree>")
endif()

# --- declared modules and their dependencies -------------------------------------------------
file(READ "${SOURCE_DIR}/core/CMakeLists.txt" core_cmake)
string(REGEX MATCHALL "\nns_core_module\\([a-z_]+[^)]*\\)" module_lines "${core_cmake}")
set(modules "")
foreach(line IN LISTS module_lines)
  string(REGEX REPLACE "^\nns_core_module\\(([a-z_]+).*$" "\\1" name "${line}")
  set(deps "")
  if(line MATCHES "DEPS([^)]*)\\)")
    string(REGEX MATCHALL "ns_core_[a-z_]+" dep_targets "${CMAKE_MATCH_1}")
    foreach(t IN LISTS dep_targets)
      string(REPLACE "ns_core_" "" d "${t}")
      list(APPEND deps "${d}")
    endforeach()
  endif()
  list(APPEND modules "${name}")
  set(allowed_${name} ${name} ${deps})
endforeach()
if(NOT modules)
  message(FATAL_ERROR "check_layering.cmake: no ns_core_module(...) lines in ${SOURCE_DIR}/core/CMakeLists.txt")
endif()
# Outside ns_core_module: farm links no LibTorch and uses util's header-only Result; media (its own
# CMake folder, OpenCV) sits above all of ns_core, which must not include it.
list(APPEND modules farm media)
set(allowed_farm farm util)
set(allowed_media media ${modules})
list(REMOVE_ITEM allowed_media media)
list(APPEND allowed_media media)

set(violations 0)
function(report msg)
  message("${msg}")
  math(EXPR n "${violations} + 1")
  set(violations ${n} PARENT_SCOPE)
endfunction()

# Lines `#include "core/<module>/<path>"` of a file, as "<module>/<path>" entries.
function(core_includes file out)
  file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"core/[^\"]+\"")
  set(result "")
  foreach(l IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"core/([^\"]+)\".*$" "\\1" inc "${l}")
    list(APPEND result "${inc}")
  endforeach()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# --- 1. core modules ----------------------------------------------------------------------------
file(GLOB core_dirs RELATIVE "${SOURCE_DIR}/core" "${SOURCE_DIR}/core/*")
foreach(dir IN LISTS core_dirs)
  if(NOT IS_DIRECTORY "${SOURCE_DIR}/core/${dir}")
    continue()
  endif()
  if(NOT dir IN_LIST modules)
    report("core/${dir}/: not a module declared in core/CMakeLists.txt (add an ns_core_module line with its DEPS)")
    continue()
  endif()
  file(GLOB_RECURSE srcs "${SOURCE_DIR}/core/${dir}/*.h" "${SOURCE_DIR}/core/${dir}/*.cpp")
  foreach(src IN LISTS srcs)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${src}")
    core_includes("${src}" incs)
    foreach(inc IN LISTS incs)
      string(REGEX REPLACE "/.*$" "" target_module "${inc}")
      if(NOT target_module IN_LIST allowed_${dir})
        report("${rel}: includes core/${inc}, but module '${dir}' may include only: ${allowed_${dir}}")
      endif()
    endforeach()
  endforeach()
endforeach()

# --- 2. ui/ and app/ use the engine's API header only --------------------------------------------
# Evaluation headers are their own API until they move out of core/engine (issue 18 item 6).
set(engine_api engine/engine.h engine/model_eval.h engine/layout_eval.h)
foreach(top ui app)
  file(GLOB_RECURSE srcs "${SOURCE_DIR}/${top}/*.h" "${SOURCE_DIR}/${top}/*.cpp")
  foreach(src IN LISTS srcs)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${src}")
    core_includes("${src}" incs)
    foreach(inc IN LISTS incs)
      if(inc MATCHES "^engine/" AND NOT inc IN_LIST engine_api)
        report("${rel}: includes engine internal core/${inc}; ${top}/ includes core/engine/engine.h (the engine API) instead")
      endif()
    endforeach()
  endforeach()
endforeach()

message("layering: ${violations} violations")
if(violations GREATER 0)
  message(FATAL_ERROR "layering check failed (see the lines above)")
endif()
