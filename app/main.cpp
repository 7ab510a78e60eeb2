// moelab: the desktop app and its command line (docs/contract.md).
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "errors.hpp"
#include "settings_schema.hpp"
#include "gui/gui_main.hpp"

namespace {

void printHelp() {
    std::cout
        << "moelab " MOELAB_VERSION
           " - a Mixture-of-Experts layer you can watch\n\n"
           "usage: moelab [gui] [flags]          open the desktop app\n"
           "       moelab route [flags] [--json [--outputs] | --csv] [--max-rows N]\n"
           "                    [--lesson FILE|builtin --chapter N | --code CODE]   the chapter's or code's\n"
           "                                        settings first, then the flags given\n"
           "       moelab route --model tiny-lm|FILE [routing flags] [--text T] [--json [--logprobs]]\n"
           "                                        the little MoE language model: every layer's routing,\n"
           "                                        the next byte and bits per byte (as trained unless\n"
           "                                        routing flags are given: they apply to every layer)\n"
           "                    [--trace-out FILE]   also writes every layer's router logits as a trace\n"
           "       moelab route --trace FILE [--layer L] [routing and cluster flags] [--json]   replays a\n"
           "                                        router trace's layer under the flags given\n"
           "       moelab import-trace --from vllm|sglang IN --out FILE [--num-experts E] [--model NAME]\n"
           "                                        an engine's routed-experts array as a trace\n"
           "       moelab generate --model tiny-lm|FILE --text PROMPT [--bytes N] [--sample-temperature X]\n"
           "                    [--sample-seed S] [--json]   continues the prompt (X = 0: greedy)\n"
           "       moelab export-weights --out FILE [flags]\n"
           "       moelab export-astra --out DIR [--astra-collective] [flags]   the all-to-all as ASTRA-sim 2.0\n"
           "                                        input (DIR/run.sh; then route --json --astra-log FILE)\n"
           "       moelab bench [--backend eigen|opencl|both] [--shape NAME] [--min-time S] [--json]\n"
           "       moelab info [--json]\n"
           "       moelab code [flags] [--page P] [--lesson L --chapter N] [--hide LIST] [--a \"FLAGS\"]\n"
           "                    [--model M [--layer N]]   a lesson code for moelab gui --code (--a: the A of\n"
           "                                        A/B; --model: the language model shown, at layer N)\n"
           "       moelab lesson check FILE|builtin  every problem of a lesson file as FILE:LINE: message\n"
           "       moelab train [flags] [--corpus PATH] [--steps N] [--batch B] [--seq-len L] [--lr X]\n"
           "                    [--aux-coef A] [--z-coef Z] [--bias-rate G] [--out FILE] [--log FILE]\n"
           "       moelab analyze --model tiny-lm|FILE --text T|--text-file PATH [routing flags] [--window N]\n"
           "                    [--json]   per layer: adjacent bytes on the same experts vs chance, load,\n"
           "                                        co-activation, byte specialisation, layer-to-layer flow,\n"
           "                                        drop rate at capacity factors 1 to 2\n"
           "                    [--trace-out FILE]   also writes the run as a router trace\n"
           "       moelab analyze --trace FILE [--json]   the same for a router trace\n\n"
           "app flags (moelab gui):\n"
           "  --lang en|zh --theme dark|light --scale X|fit   language, theme, UI scale (default: saved)\n"
           "  --page routing|journey|parallel|training|compare --lesson FILE|builtin --chapter N\n"
           "  --code CODE --session FILE --hide VIEWS,KEYS   open a lesson code or a session; hide from students\n"
           "  --width W --height H --screenshot FILE.png [--frames N] [--frame-report] [--layout-report] [--train]\n"
           "  --export-view NAME --out FILE.png|FILE.svg  one view alone: PNG at 2x, or SVG with text as text\n"
           "  --model tiny-lm|FILE [--layer N]   the little MoE language model, every routing view on layer N\n"
           "                                   (0-based; [ and ] step it); as trained unless routing flags are "
           "given\n\n"
           "model, routing and cluster flags (README.md has every formula; docs/contract.md the names):\n\n"
        << moe::settingsHelp();
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string cmd = "gui";
    if (!args.empty() && args[0].rfind("--", 0) != 0) {
        cmd = args[0];
        args.erase(args.begin());
    }
    if (cmd == "help" || (!args.empty() && (args[0] == "--help" || args[0] == "-h"))) {
        printHelp();
        return 0;
    }
    try {
        if (cmd == "route") return moe::cli::cmdRoute(args);
        if (cmd == "analyze") return moe::cli::cmdAnalyze(args);
        if (cmd == "import-trace") return moe::cli::cmdImportTrace(args);
        if (cmd == "export-weights") return moe::cli::cmdExportWeights(args);
        if (cmd == "export-astra") return moe::cli::cmdExportAstra(args);
        if (cmd == "bench") return moe::cli::cmdBench(args);
        if (cmd == "info") return moe::cli::cmdInfo(args);
        if (cmd == "train") return moe::cli::cmdTrain(args);
        if (cmd == "generate") return moe::cli::cmdGenerate(args);
        if (cmd == "code") return moe::cli::cmdCode(args, moe::gui::lessonNames());
        if (cmd == "lesson") return moe::cli::cmdLesson(args, moe::gui::lessonNames());
        if (cmd == "gui") return moe::gui::guiMain(args);
        std::cerr << "moelab: unknown command '" << cmd
                  << "' (route, generate, analyze, import-trace, export-weights, export-astra, bench, info, train, "
                     "code, lesson, gui)\n";
        return 2;
    } catch (const moe::InputError& e) {
        std::cerr << "moelab: " << e.what() << "\n";
        return 2;
    } catch (const std::bad_alloc& e) {
        std::cerr << "moelab: " << moe::errorText(e) << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "moelab: internal error: " << e.what() << "\n";
        return 1;
    }
}
