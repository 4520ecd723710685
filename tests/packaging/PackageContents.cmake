# `cpack -G DEB` of a built tree (configured with -DCMAKE_INSTALL_PREFIX=/usr), then a check of
# the packages' files, dependencies and control files.
#   cmake -DBUILD_DIR=<build> -DOUT=<scratch> -DWITH_CONSOLE=ON|OFF -P PackageContents.cmake
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND cpack -G DEB -B "${OUT}" WORKING_DIRECTORY "${BUILD_DIR}"
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "cpack failed (${result}):\n${output}")
endif()

function(check_package name)
    cmake_parse_arguments(arg "" "" "FILES;ABSENT;DEPENDS;CONTROL" ${ARGN})
    file(GLOB deb "${OUT}/${name}_*.deb")
    list(LENGTH deb count)
    if(NOT count EQUAL 1)
        message(FATAL_ERROR "expected one ${name}_*.deb in ${OUT}, found: ${deb}\n${output}")
    endif()
    execute_process(COMMAND dpkg-deb -c "${deb}" OUTPUT_VARIABLE contents RESULT_VARIABLE result)
    execute_process(COMMAND dpkg-deb -f "${deb}" Depends OUTPUT_VARIABLE depends)
    execute_process(COMMAND dpkg-deb -I "${deb}" OUTPUT_VARIABLE info)
    foreach(path ${arg_FILES})
        if(NOT contents MATCHES " \\./${path}\n")
            message(FATAL_ERROR "${name}: ${path} is missing:\n${contents}")
        endif()
    endforeach()
    foreach(path ${arg_ABSENT})
        if(contents MATCHES "${path}")
            message(FATAL_ERROR "${name}: must not contain ${path}:\n${contents}")
        endif()
    endforeach()
    foreach(package ${arg_DEPENDS})
        if(NOT depends MATCHES "(^|, )${package}( |,|$)")
            message(FATAL_ERROR "${name}: Depends lacks ${package}: ${depends}")
        endif()
    endforeach()
    foreach(control ${arg_CONTROL})
        if(NOT info MATCHES " ${control}[ \n]")
            message(FATAL_ERROR "${name}: control file ${control} is missing:\n${info}")
        endif()
    endforeach()
    # Every file belongs under the prefix, /etc/switchboard or the unit directory.
    string(REGEX MATCHALL " \\./[^\n]*[^/]\n" files "${contents}")
    foreach(file ${files})
        if(NOT file MATCHES "^ \\./(usr/bin/|usr/share/doc/|usr/share/applications/|usr/lib/systemd/system/|etc/switchboard/)")
            message(FATAL_ERROR "${name}: unexpected file ${file}")
        endif()
    endforeach()
endfunction()

check_package(switchboard
    FILES usr/bin/switchboard-server usr/bin/switchboard-agent etc/switchboard/switchboard.conf
          usr/lib/systemd/system/switchboard-server.service usr/share/doc/Switchboard/SECURITY.md
    ABSENT switchboard-console switchboard-bench
    # shlibdeps found Qt; the SQLite driver is a plugin it cannot see.
    DEPENDS libqt6core6 libqt6websockets6 libqt6sql6 libqt6sql6-sqlite
    CONTROL conffiles postinst prerm postrm)
if(WITH_CONSOLE)
    check_package(switchboard-console
        FILES usr/bin/switchboard-console usr/share/applications/switchboard-console.desktop
        ABSENT switchboard-server switchboard.conf
        DEPENDS libqt6widgets6 libqt6charts6 libqt6svg6)
endif()
message(STATUS "packages ok: ${OUT}")
