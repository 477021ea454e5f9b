// The Boost.Test main for every host unit test suite.
#define BOOST_TEST_MODULE cohort
#include <boost/test/unit_test.hpp>

#include "test_data.h"
const char* test_data_dir() { return COHORT_TEST_DATA; }
