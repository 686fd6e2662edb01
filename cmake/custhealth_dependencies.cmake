# The C++ dependencies, each found quietly; one clear error at the end names the Debian packages of all
# that are missing (what `pip install .` on a bare machine should say, rather than a CMake backtrace).
set(CUSTHEALTH_MISSING_PACKAGES "")

# custhealth_require(<debian package> <find_package arguments...>)
macro(custhealth_require debian_package name)
  find_package(${name} ${ARGN} QUIET)
  if(NOT ${name}_FOUND)
    list(APPEND CUSTHEALTH_MISSING_PACKAGES ${debian_package})
  endif()
endmacro()

function(custhealth_check_dependencies)
  if(CUSTHEALTH_MISSING_PACKAGES)
    list(JOIN CUSTHEALTH_MISSING_PACKAGES " " packages)
    message(FATAL_ERROR "custhealth: C++ build dependencies not found: ${packages}\n"
      "On Debian or Ubuntu: sudo apt-get install ${packages}\n"
      "(or run scripts/bootstrap, which installs them; CMAKE_PREFIX_PATH points CMake at other installs)")
  endif()
endfunction()
