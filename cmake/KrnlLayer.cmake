# krnl_layer(NAME DEPS...): a layer library from every .cpp in the folder except *_test.cpp, and one
# ctest-registered GoogleTest executable per *_test.cpp beside the code. A test that needs more than
# the layer names its extra libraries in KRNL_TEST_LIBS_<test name> before the call.
function(krnl_layer name)
    file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
    file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
    if(tests)
        list(REMOVE_ITEM sources ${tests})
    endif()
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name} PUBLIC ${ARGN})
    foreach(test_src ${tests})
        get_filename_component(test_name ${test_src} NAME_WE)
        add_executable(${test_name} ${test_src})
        target_link_libraries(${test_name} PRIVATE ${name} ${KRNL_TEST_LIBS_${test_name}} GTest::gtest_main)
        target_compile_definitions(${test_name} PRIVATE KRNL_FIXTURES="${KRNL_FIXTURES}"
                                                        KRNL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
        gtest_discover_tests(${test_name} DISCOVERY_TIMEOUT 120 PROPERTIES LABELS unit)
    endforeach()
endfunction()
