// Emscripten 3.1.6's libc++ has no floating-point std::to_chars. The web build
// (web/web.mk) includes this first: the shortest %g form that reads back as the same
// value, as to_chars gives (its choice of fixed or exponent form may differ; the
// number does not).
#pragma once
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace std {

template <typename T>
to_chars_result moelabShortest(char* first, char* last, T v, int maxDigits) {
    char buf[40];
    int n = 0;
    for (int digits = 1; digits <= maxDigits; ++digits) {
        n = snprintf(buf, sizeof buf, "%.*g", digits, double(v));
        if (T(strtod(buf, nullptr)) == v) break;
    }
    if (n > last - first) return {last, errc::value_too_large};
    for (int i = 0; i < n; ++i) first[i] = buf[i];
    return {first + n, errc()};
}

inline to_chars_result to_chars(char* first, char* last, float v) { return moelabShortest(first, last, v, 9); }
inline to_chars_result to_chars(char* first, char* last, double v) { return moelabShortest(first, last, v, 17); }

}  // namespace std
