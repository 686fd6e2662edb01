# Installs the build into a scratch prefix, builds tests/cmake against it and runs the result.
set(prefix ${BUILD_DIR}/consumer/prefix)
set(build ${BUILD_DIR}/consumer/build)
file(REMOVE_RECURSE ${prefix} ${build})

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/cmake -B ${build} -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${build})
run(${build}/quickstart ${prefix}/share/custhealth/sample)
# The signals example prints every catalogue signal of the first account: check one is there.
execute_process(COMMAND ${build}/account_signals ${prefix}/share/custhealth/sample OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "usage.events_30d [0-9]+\n.*account.seats ")
  message(FATAL_ERROR "account_signals failed (${rc}): ${out}")
endif()
