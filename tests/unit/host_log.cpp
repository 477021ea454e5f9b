// Host implementation of log_vwrite(): formats with the kernel's own formatter
// and captures the line. Set COHORT_ECHO_LOG=1 to see the lines on stderr.
#include "host_log.h"
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include "format.h"
#include "log.h"

namespace {
std::mutex mu;
std::vector<std::string> lines;
const char* prefix(LogLevel l) {
    switch (l) {
    case LogLevel::Error: return "ERROR: ";
    case LogLevel::Warn: return "WARN: ";
    default: return "";
    }
}
}  // namespace

void log_vwrite(LogLevel level, const char* fmt, va_list ap) {
    char buf[512];
    kvsnprintf(buf, sizeof buf, fmt, ap);
    std::string line = std::string(prefix(level)) + buf;
    std::lock_guard<std::mutex> g(mu);
    // A stub's LABnn-TODO line is always shown: the grader reads it to say "not implemented".
    if (std::getenv("COHORT_ECHO_LOG") || line.find("-TODO: ") != std::string::npos)
        std::fprintf(stderr, "log: %s\n", line.c_str());
    lines.push_back(line);
}

void log_vreport(const char* fmt, va_list ap) { log_vwrite(LogLevel::Info, fmt, ap); }  // no tag, as in the kernel

std::vector<std::string>& captured_log() { return lines; }
void clear_log() { std::lock_guard<std::mutex> g(mu); lines.clear(); }
bool log_contains(const std::string& n) { return log_count(n) > 0; }
size_t log_count(const std::string& n) {
    std::lock_guard<std::mutex> g(mu);
    size_t c = 0;
    for (auto& l : lines) if (l.find(n) != std::string::npos) ++c;
    return c;
}
