# Builds the manual page: moelab.1.in with `moelab --help` as its OPTIONS, escaped for
# troff, then gzip-compressed as Debian installs manual pages.
# cmake -DBIN=moelab -DIN=moelab.1.in -DOUT=moelab.1 -DVERSION=x -P man_page.cmake
execute_process(COMMAND ${BIN} --help OUTPUT_VARIABLE help ERROR_VARIABLE help_err RESULT_VARIABLE rc)
string(APPEND help "${help_err}")
if(NOT help)
  message(FATAL_ERROR "moelab --help printed nothing (exit ${rc})")
endif()
string(REPLACE "\\" "\\e" help "${help}")
string(REPLACE "-" "\\-" help "${help}")
# A line starting with . or ' would be a troff request.
string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
set(HELP "${help}")
configure_file(${IN} ${OUT} @ONLY)
