#pragma once
// Fast JSON text for large outputs (a 10 MB input is ten million token objects):
// appends to a buffer that the caller flushes, numbers in shortest round-trip form.
#include <string>
#include <string_view>

namespace moe::cli {

void appendFloat(std::string& out, float v);  // non-finite values are written as 0: never NaN
void appendDouble(std::string& out, double v);
void appendInt(std::string& out, long long v);
// A JSON string literal; invalid UTF-8 bytes become U+FFFD.
void appendString(std::string& out, std::string_view s);

}  // namespace moe::cli
