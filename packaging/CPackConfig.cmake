# Desktop integration and the Debian package (included at the end of the root CMakeLists.txt).
#   cmake --install build --prefix /usr      # or: cd build && cpack -G DEB
# The .deb depends on Debian 12's runtime packages of the libraries we link (no bundled copies).
include(GNUInstallDirs)

if(TUNEBENCH_GUI)
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/io.github.tunebench.Tunebench.desktop
    DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES ${CMAKE_CURRENT_LIST_DIR}/io.github.tunebench.Tunebench.metainfo.xml
    DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/tunebench.svg
    DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
    RENAME io.github.tunebench.Tunebench.svg)
endif()

# The documentation folder the About panel links to (<prefix>/share/doc/tunebench).
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME "tunebench")
set(CPACK_PACKAGE_VENDOR "tunebench")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "LLM fine-tuning workbench (LoRA/QLoRA, evaluation, GUI)")
set(CPACK_PACKAGE_CONTACT "tunebench maintainers <tunebench@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_GENERATOR "DEB")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "amd64")
# Debian 12 (bookworm) runtime packages.
set(_tb_deb_depends
  "libtorch1.13"
  "libyaml-cpp0.7"
  "libsentencepiece0"
  "libsqlite3-0"
  "libstdc++6"
  "libc6")
if(TUNEBENCH_GUI)
  list(APPEND _tb_deb_depends "libqt6widgets6" "libqt6printsupport6" "libqt6svg6"
    "libqcustomplot2.1-qt6" "qt6-qpa-plugins")
endif()
string(JOIN ", " CPACK_DEBIAN_PACKAGE_DEPENDS ${_tb_deb_depends})
include(CPack)
