// Where the recorded inputs of the host tests are (tests/data). Compiled into
// main.cpp alone: a path in every test's compile flags would make each copy
// of the tree (the labs' solved and student trees) compile every test anew.
#pragma once

/// Absolute path of tests/data in the tree these tests were built from.
const char* test_data_dir();
