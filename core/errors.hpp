#pragma once
// Typed errors: InputError is the user's fault (CLI exit code 2, a message in the
// app), everything else is ours (exit code 1).
#include <new>
#include <stdexcept>
#include <string>

namespace moe {

class InputError : public std::runtime_error {
public:
    // field: the flag, file or tensor at fault; message says what was wrong.
    InputError(std::string field, const std::string& message)
        : std::runtime_error(field + ": " + message), m_field(std::move(field)) {}
    const std::string& field() const { return m_field; }

private:
    std::string m_field;
};

// What to show for an exception: its message, except that running out of memory says so
// in words ("std::bad_alloc" does not).
inline std::string errorText(const std::exception& e) {
    if (dynamic_cast<const std::bad_alloc*>(&e))
        return "out of memory: the model or the text is too large for this computer's memory";
    return e.what();
}

}  // namespace moe
