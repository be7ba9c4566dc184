// filter_files: the filter job as a library call, each input through the way that suits it.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "elvis/filter.hpp"
#include "support/io.hpp"

using namespace elvis;
using namespace elvis::testing;

namespace {

FilterSettings rules(std::vector<Rule> rules) {
    FilterSettings settings;
    settings.rules = std::move(rules);
    return settings;
}

}  // namespace

TEST_CASE("filter_files rewrites each input in order; a failed input is reported and the next follows") {
    TempFile one("elvis one\n"), two("two elvis\n"), out("");
    for (IoMode io : {IoMode::posix, IoMode::automatic})
        for (std::size_t buffer : {1u, 7u, 4096u}) {
            CAPTURE(buffer);
            FilterSettings settings;
            settings.rules = {{"elvis", "The King"}};
            settings.buffer_size = buffer;
            settings.io = io;
            const int fd = ::open(out.path().c_str(), O_WRONLY | O_TRUNC);
            std::vector<FilterError> errors;
            const FilterReport report = filter_files(settings, {one.path(), "/no/such/file", two.path()}, fd,
                                                     [&](const FilterError& e) { errors.push_back(e); });
            ::close(fd);
            CHECK(read_file(out.path()) == "The King one\ntwo The King\n");
            CHECK(report.replacements == 2);
            CHECK(report.bytes_in == 20);
            CHECK(report.bytes_out == 26);
            CHECK(report.failed_inputs == 1);
            REQUIRE(errors.size() == 1);
            CHECK(errors[0].input == "/no/such/file");
            CHECK(errors[0].reason == std::strerror(ENOENT));
        }
}

TEST_CASE("filter_files refuses an input that is its own output, as cat does") {
    TempFile file("elvis\n");
    const int fd = ::open(file.path().c_str(), O_WRONLY | O_APPEND);
    std::vector<FilterError> errors;
    const FilterReport report =
        filter_files(rules({{"elvis", "Elvis"}}), {file.path()}, fd, [&](const FilterError& e) { errors.push_back(e); });
    ::close(fd);
    CHECK(read_file(file.path()) == "elvis\n");
    CHECK(report.failed_inputs == 1);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].reason == "input file is output file");
}

TEST_CASE("filter_files reports invalid rules before reading anything") {
    CHECK_THROWS_AS(filter_files(rules({{"", "x"}}), {"-"}, STDOUT_FILENO), RuleError);
}
