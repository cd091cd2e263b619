# cmake -DINPUT=file -DOUTPUT=file.cpp -DSYMBOL=name -P EmbedText.cmake
# Writes a C++ source defining `extern const std::string_view SYMBOL` with the file's text, so a
# build artifact (the contracts' predeploy manifest) is compiled into the binary.
file(READ "${INPUT}" content)
# Raw string literals have a length limit in practice; split into chunks the compiler joins.
string(LENGTH "${content}" length)
set(chunks "")
set(offset 0)
while(offset LESS length)
    string(SUBSTRING "${content}" ${offset} 16000 chunk)
    string(APPEND chunks "R\"krnl_embed(${chunk})krnl_embed\"\n")
    math(EXPR offset "${offset} + 16000")
endwhile()
file(WRITE "${OUTPUT}.tmp" "#include <string_view>\nextern const std::string_view ${SYMBOL};\nconst std::string_view ${SYMBOL} =\n${chunks};\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
