// elvis: entry point; picks the subcommand.
#include <cstdio>
#include <cstring>
#include <exception>

#include "commands.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
    try {
        return elvis::cli::filter_command(argc, argv);
    } catch (const std::exception& e) {
        elvis::cli::report(e.what());
        return elvis::cli::exit_trouble;
    }
}
