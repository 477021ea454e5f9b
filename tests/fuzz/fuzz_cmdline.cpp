// libFuzzer target for the kernel command line (cmdline.cpp): any string
// GRUB could pass. Oracles: the test names and the token stay NUL-terminated
// within their arrays, the counts within their capacities, and the options
// print back (format_options) within the buffer it is given.
#include <string>
#include "cmdline.h"
#include "fuzz_log.h"
#include "fuzz_oracles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string s(reinterpret_cast<const char*>(data), size);  // GRUB hands over one C string
    BootOptions o;
    parse_cmdline(s.c_str(), o);
    ORACLE(o.test_count <= BootOptions::kMaxTests, "%u tests", o.test_count);
    for (uint32_t i = 0; i < o.test_count; ++i)
        ORACLE(std::memchr(o.tests[i], 0, sizeof o.tests[i]) != nullptr && o.tests[i][0], "test name %u", i);
    ORACLE(std::memchr(o.token, 0, sizeof o.token) != nullptr, "token not terminated");
    char out[600];
    format_options(o, out, sizeof out);
    ORACLE(std::memchr(out, 0, sizeof out) != nullptr, "format_options did not terminate");
    return 0;
}
