#include "test_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.hpp"

namespace moe::test {

std::string shellQuote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

RunResult runMoelab(const std::vector<std::string>& args, const RunOptions& o) {
    static int n = 0;
    const auto dir = std::filesystem::temp_directory_path();
    const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(n++);
    const std::string out = o.stdoutFile.empty() ? (dir / ("moelab_run_out_" + tag)).string() : o.stdoutFile;
    const std::string err = (dir / ("moelab_run_err_" + tag)).string();
    std::string cmd;
    for (const std::string* prefix : {&o.env, &o.wrapper})
        if (!prefix->empty()) cmd.append(*prefix).append(" ");
    cmd.append(shellQuote(MOELAB_BIN));
    for (const std::string& a : args) cmd.append(" ").append(shellQuote(a));
    cmd.append(" >").append(shellQuote(out)).append(" 2>").append(shellQuote(err)).append(" </dev/null");
    const int status = std::system(cmd.c_str());
    RunResult r{WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), "", ""};
    if (o.stdoutFile.empty()) {  // big outputs: o.stdoutFile
        r.out = readFile(out);
        std::filesystem::remove(out);
    }
    r.err = readFile(err);
    std::filesystem::remove(err);
    return r;
}

bool haveXvfb() { return std::system("command -v xvfb-run >/dev/null 2>&1") == 0; }

std::pair<int, nlohmann::json> runAppLayoutReport(const std::string& flags) {
    static int n = 0;
    const auto out = std::filesystem::temp_directory_path() /
                     ("moelab_app_report_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    const std::string cmd = "xvfb-run -a -s '-screen 0 1280x800x24' '" + std::string(MOELAB_BIN) +
                            "' gui --frames 3 --screenshot '" + out.string() + ".png' --layout-report " + flags +
                            " > '" + out.string() + "' 2>/dev/null";
    const int status = std::system(cmd.c_str());
    const std::string text = std::filesystem::exists(out) ? readFile(out.string()) : "";
    std::filesystem::remove(out);
    std::filesystem::remove(out.string() + ".png");
    const size_t last = text.find_last_of('\n', text.size() > 1 ? text.size() - 2 : 0);
    const std::string line = text.substr(last == std::string::npos ? 0 : last + 1);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, nlohmann::json::parse(line, nullptr, false)};
}

}  // namespace moe::test
