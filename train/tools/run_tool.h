// The command-line contract of tinytune's tools, in one place: parse the flags, run, and map the
// outcome to an exit code (0 done; 2 bad flags, CLI11's message; 1 a runtime error, its message
// on stderr after the tool's name).
#pragma once
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

namespace tt::tools {

template <class Run>
int parse_and_run(CLI::App& app, int argc, char** argv, const char* tool, Run run) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << tool << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace tt::tools
