# `cmake --install` of a built tree into a scratch prefix, then a check of the layout.
#   cmake -DBUILD_DIR=<build> -DPREFIX=<scratch> -DWITH_CONSOLE=ON|OFF -P InstallLayout.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${result}):\n${output}")
endif()

set(expected
    bin/switchboard-server
    bin/switchboard-agent
    etc/switchboard/switchboard.conf
    etc/switchboard/qtlogging.ini
    share/doc/Switchboard/OBSERVABILITY.md
    lib/systemd/system/switchboard-server.service
    share/doc/Switchboard/SECURITY.md
    share/doc/Switchboard/CONFIGURATION.md
    share/doc/Switchboard/DEPLOYMENT.md
    share/doc/Switchboard/switchboard-replica.conf)
if(WITH_CONSOLE)
    list(APPEND expected bin/switchboard-console share/applications/switchboard-console.desktop)
endif()
foreach(path ${expected})
    if(NOT EXISTS "${PREFIX}/${path}")
        message(FATAL_ERROR "missing after install: ${path}\n${output}")
    endif()
endforeach()
foreach(program switchboard-server switchboard-agent)
    if(NOT IS_DIRECTORY "${PREFIX}/bin/${program}" AND EXISTS "${PREFIX}/bin/${program}")
        execute_process(COMMAND test -x "${PREFIX}/bin/${program}" RESULT_VARIABLE notExecutable)
        if(notExecutable)
            message(FATAL_ERROR "${program} is not executable")
        endif()
    endif()
endforeach()

# Nothing outside the prefix layout we document (e.g. no stray absolute paths).
file(GLOB_RECURSE installed RELATIVE "${PREFIX}" "${PREFIX}/*")
foreach(path ${installed})
    if(NOT path MATCHES "^(bin|etc/switchboard|lib/systemd/system|share/doc/Switchboard|share/applications)/")
        message(FATAL_ERROR "unexpected file installed: ${path}")
    endif()
endforeach()

# The installed server reads the installed configuration without complaint (every setting is
# commented out, so this is the defaults) and the unit starts the installed binary.
execute_process(COMMAND "${PREFIX}/bin/switchboard-server" --config "${PREFIX}/etc/switchboard/switchboard.conf"
                        --data-dir "${PREFIX}/state" agent list
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0 OR output MATCHES "unknown key")
    message(FATAL_ERROR "the installed server does not accept the installed configuration:\n${output}")
endif()
file(READ "${PREFIX}/lib/systemd/system/switchboard-server.service" unit)
foreach(directive "DynamicUser=yes" "ProtectSystem=strict" "StateDirectory=switchboard" "NoNewPrivileges=yes"
                  "ExecStart=/usr/bin/switchboard-server --config /etc/switchboard/switchboard.conf")
    string(FIND "${unit}" "${directive}" found)
    if(found LESS 0)
        message(FATAL_ERROR "the systemd unit lacks ${directive}")
    endif()
endforeach()
message(STATUS "install layout ok: ${PREFIX}")
