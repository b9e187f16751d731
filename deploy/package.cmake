# The Debian package (`cpack -G DEB` in the build tree): gigcxd and gigcx-loadtest in
# /usr/bin, the browser clients in /usr/share/gigcx/static, the systemd unit, and the
# example configuration in /etc/gigcx as conffiles. Only the .deb is described here; the
# unit and the files it reads are deploy/'s. /etc and /lib/systemd are absolute on purpose:
# they are where Debian looks, whatever the install prefix.
include(GNUInstallDirs)

install(TARGETS gigcxd gigcx-loadtest RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/static/ DESTINATION ${CMAKE_INSTALL_DATADIR}/gigcx/static)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/loadtest/scenarios/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/gigcx/scenarios)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/gigcxd.service DESTINATION /lib/systemd/system)
# The package makes gigcxd.conf root:gigcx in postinst; the secrets stay root's alone.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/gigcxd.conf DESTINATION /etc/gigcx
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/gigcxd.env DESTINATION /etc/gigcx
        PERMISSIONS OWNER_READ OWNER_WRITE)

set(GX_DEB_MAINTAINER "gigcx maintainers <maintainers@gigcx.invalid>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gigcx)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "real-time GigCX marketplace server (gigcxd)")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "gigcxd pushes customer inquiries as offers to connected experts, in waves, best\n"
       "reputation first; one claims it and chats live with the customer in a widget on\n"
       "the brand's site. WebSocket and HTTP on one port, Redis as the source of truth.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${GX_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# stripped, as Debian ships binaries (a quarter of the size; RelWithDebInfo keeps the symbols
# in the build tree)
set(CPACK_STRIP_FILES TRUE)
# Named by hand, not by dpkg-shlibdeps: lws loads its libuv event library with dlopen, so
# no tool sees it. deb_package checks this list against what the binaries link.
string(CONCAT CPACK_DEBIAN_PACKAGE_DEPENDS
       "adduser, libc6, libwebsockets17, libwebsockets-evlib-uv, libuv1, libhiredis0.14, "
       "libjansson4, libssl3, liburing2")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS redis-server)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/deb/conffiles ${CMAKE_CURRENT_LIST_DIR}/deb/postinst
    ${CMAKE_CURRENT_LIST_DIR}/deb/prerm ${CMAKE_CURRENT_LIST_DIR}/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
