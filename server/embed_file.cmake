# Turns one file into a C string constant named NAME (run at build time), so the binary
# serves it without reading the disk.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
set(out "/* generated from ${IN}; do not edit */\nconst char ${NAME}[] = {${bytes}0};\n")
file(WRITE "${OUT}.tmp" "${out}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
