// The Boost.Test main for every host unit test suite.
#define BOOST_TEST_MODULE cohort
#include <boost/test/unit_test.hpp>
