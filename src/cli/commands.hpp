// The subcommands of the elvis command; each parses its own options and returns the exit status.
#pragma once

#include <string>
#include <vector>

#include "elvis/inplace.hpp"

namespace elvis::cli {

int filter_command(int argc, char** argv);
int count_command(int argc, char** argv);
int merge_command(int argc, char** argv);

// `elvis --in-place`: parsed by the filter's command line, run here.
struct InPlaceRun {
    InPlaceSettings settings;
    std::vector<std::string> paths;
    bool progress = false;
};
int in_place_command(const InPlaceRun& run);

}  // namespace elvis::cli
