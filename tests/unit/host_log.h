// Host stand-in for the kernel log: captures every line so tests can check the
// exact warning that a bad input produced.
#pragma once
#include <string>
#include <vector>

/// Every line logged since the last clear, without prefixes ("WARN: " etc. kept).
std::vector<std::string>& captured_log();
/// Forget captured lines.
void clear_log();
/// True when some captured line contains @p needle.
bool log_contains(const std::string& needle);
/// How many captured lines contain @p needle.
size_t log_count(const std::string& needle);
