// The io_uring byte source. Exits 77 (skipped) only when the kernel refuses io_uring.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "source_cases.hpp"

using namespace elvis;
using namespace elvis::testing;

namespace {
std::unique_ptr<Uring> ring;
}

TEST_CASE("io_uring source") {
    for (unsigned depth : {2u, 4u}) {
        CAPTURE(depth);
        run_source_cases([depth](std::size_t size) { return make_uring_source(*ring, size, depth); });
    }
}

TEST_CASE("io_uring source and posix source read the same bytes") {
    std::string content = random_bytes(1 << 20, 9);
    TempFile file(content);
    auto uring = make_uring_source(*ring, 65536, 4);
    auto posix = make_posix_source(65536);
    int a = file.open(), b = file.open();
    uring->open(a);
    posix->open(b);
    CHECK(drain(*uring) == drain(*posix));
    ::close(a);
    ::close(b);
}

int main(int argc, char** argv) {
    std::string why_not;
    ring = Uring::create(16, why_not);
    if (!ring) {
        std::printf("skipped: the kernel refuses io_uring: %s\n", why_not.c_str());
        return 77;
    }
    doctest::Context context(argc, argv);
    int status = context.run();
    ring.reset();
    return status;
}
