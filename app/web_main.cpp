// The browser build's entry points (.ci/web): main opens the app (index.html passes
// --code from the page's #CODE), and moelab_route answers window.moelab.route(flags)
// with the JSON `moelab route FLAGS --json` prints.
#include <emscripten.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "atomic_file.hpp"
#include "errors.hpp"
#include "gui/gui_main.hpp"

namespace {

int lastStatus = 0;

// Splits a flag string as a shell would for plain words: spaces separate, '...' and
// "..." quote (a backslash escapes the next character outside single quotes).
std::vector<std::string> splitFlags(const std::string& s) {
    std::vector<std::string> out;
    std::string word;
    bool inWord = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            else if (c == '\\' && quote == '"' && i + 1 < s.size())
                word += s[++i];
            else
                word += c;
        } else if (c == '\'' || c == '"') {
            quote = c;
            inWord = true;
        } else if (c == '\\' && i + 1 < s.size()) {
            word += s[++i];
            inWord = true;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            if (inWord) out.push_back(word);
            word.clear();
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (quote) throw moe::InputError("flags", "a quote is not closed");
    if (inWord) out.push_back(word);
    return out;
}

// Points file descriptor `fd` at `path` until restore(); route writes with fwrite and
// std::cout alike, so the descriptor is what catches all of it.
struct Redirect {
    Redirect(int fd, const char* path) : fd(fd), saved(dup(fd)) {
        const int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(f, fd);
        close(f);
    }
    void restore() {
        std::cout.flush();
        std::cerr.flush();
        std::fflush(nullptr);
        dup2(saved, fd);
        close(saved);
    }
    int fd, saved;
};

// Runs `moelab route ARGS --json`, its output and error text caught; sets lastStatus.
std::string routeJson(const std::string& flags) {
    std::fflush(nullptr);
    Redirect out(1, "/tmp/route.out"), err(2, "/tmp/route.err");
    try {
        std::vector<std::string> args = splitFlags(flags);
        args.push_back("--json");
        lastStatus = moe::cli::cmdRoute(args);
    } catch (const moe::InputError& e) {
        std::cerr << "moelab: " << e.what() << "\n";
        lastStatus = 2;
    } catch (const std::exception& e) {
        std::cerr << "moelab: internal error: " << e.what() << "\n";
        lastStatus = 1;
    }
    out.restore();
    err.restore();
    return moe::readFile(lastStatus == 0 ? "/tmp/route.out" : "/tmp/route.err", uint64_t(1) << 31);
}

}  // namespace

extern "C" {
// The JSON text (status 0), or the error line (status 1 or 2); the caller frees it.
EMSCRIPTEN_KEEPALIVE char* moelab_route(const char* flags) { return strdup(routeJson(flags).c_str()); }
// The exit code `moelab route` would have returned for the last call.
EMSCRIPTEN_KEEPALIVE int moelab_route_status() { return lastStatus; }
}

int main(int argc, char** argv) {
    setenv("MOELAB_DATA", "/share/moelab", 0);  // moelab.data puts assets/ there
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        return moe::gui::guiMain(args);
    } catch (const std::exception& e) {
        std::cerr << "moelab: " << e.what() << "\n";
        return 2;
    }
}
