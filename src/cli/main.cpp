// elvis: entry point; picks the subcommand.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "commands.hpp"
#include "io/syscalls.hpp"
#include "options.hpp"

namespace {

// `elvis cuont`: a first argument that is no file but is close to a subcommand's name is
// reported with the subcommand, instead of as a file that does not exist.
bool misspelt_subcommand(const char* first) {
    struct stat st;
    if (first[0] == '-' || ::stat(first, &st) == 0 || errno != ENOENT) return false;
    for (const char* command : {"count", "merge", "help"}) {
        if (elvis::cli::edit_distance(first, command) <= 2) {
            elvis::cli::report(first, std::string("no such file, nor a command; did you mean 'elvis ") + command + "'?");
            return true;
        }
    }
    return false;
}

int run(int argc, char** argv) {
    try {
        // Subcommands come first; anything else is the filter (whose FILE may not be named "count").
        if (argc > 1 && std::strcmp(argv[1], "count") == 0) return elvis::cli::count_command(argc - 1, argv + 1);
        if (argc > 1 && std::strcmp(argv[1], "merge") == 0) return elvis::cli::merge_command(argc - 1, argv + 1);
        if (argc > 1 && std::strcmp(argv[1], "help") == 0) {  // elvis help [count|merge]
            char help[] = "--help";
            char* args[] = {argv[0], help, nullptr};
            if (argc > 2 && std::strcmp(argv[2], "count") == 0) return elvis::cli::count_command(2, args);
            if (argc > 2 && std::strcmp(argv[2], "merge") == 0) return elvis::cli::merge_command(2, args);
            if (argc > 2) {
                elvis::cli::report(std::string("no help on '") + argv[2] + "' (subcommands: count, merge)");
                return elvis::cli::exit_trouble;
            }
            return elvis::cli::filter_command(2, args);
        }
        if (argc > 1 && misspelt_subcommand(argv[1])) return elvis::cli::exit_trouble;
        return elvis::cli::filter_command(argc, argv);
    } catch (const std::exception& e) {
        elvis::cli::report(e.what());
        return elvis::cli::exit_trouble;
    }
}

}  // namespace

int main(int argc, char** argv) {
    // With stdin closed, the io_uring ring took descriptor 0 and the filter waited forever
    // reading its own ring.
    elvis::sys::hold_standard_fds();
    // Help and count's tables go through stdio. With a buffer larger than any help text, a
    // failed write shows up in check_stdout's own flush, errno and all, not in an earlier flush
    // whose errno is gone (the filter's help outgrew /dev/full's 4 KiB block and lost it).
    static char stdout_buffer[1 << 16];
    if (!::isatty(STDOUT_FILENO)) std::setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);
    return elvis::cli::check_stdout(run(argc, argv));
}
