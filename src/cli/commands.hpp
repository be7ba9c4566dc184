// The subcommands of the elvis command; each parses its own options and returns the exit status.
#pragma once

namespace elvis::cli {

int filter_command(int argc, char** argv);
int count_command(int argc, char** argv);

}  // namespace elvis::cli
