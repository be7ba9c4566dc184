// hs_count: the Hyperscan peer of bench/manyterms.sh. Counts, per term, the match events
// Hyperscan reports for the literals of TERMS_FILE over FILE (block mode, the whole file in
// memory), and prints TERM<TAB>COUNT in the file's order, as `elvis count --terms-file` does.
// A literal reports every occurrence, overlapping ones of one term included, so for a term that
// cannot overlap itself the count is elvis's. Compile and scan times go to standard error; FILE
// is mapped (MAP_POPULATE), not copied.
//
//   hs_count TERMS_FILE FILE
//
// Built by bench/manyterms.sh alone (c++ -O2 bench/hs_count.cpp -lhs), never by meson: Hyperscan
// is a peer, not a dependency. TERMS_FILE: one term per line, taken as bytes (no escapes; the
// script writes identifiers only).
#include <hs/hs.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::string slurp(const char* path) {
    std::FILE* in = std::fopen(path, "rb");
    if (!in) {
        std::fprintf(stderr, "hs_count: %s: cannot open\n", path);
        std::exit(2);
    }
    std::string data;
    char buffer[1 << 16];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, in)) > 0;) data.append(buffer, n);
    std::fclose(in);
    return data;
}

int on_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* context) {
    ++(*static_cast<std::vector<unsigned long long>*>(context))[id];
    return 0;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: hs_count TERMS_FILE FILE\n");
        return 2;
    }
    std::vector<std::string> terms;
    std::istringstream lines(slurp(argv[1]));
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) terms.push_back(line);
    // The file mapped, as ripgrep reads a single large file, rather than copied into memory.
    const int fd = ::open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        std::fprintf(stderr, "hs_count: %s: cannot open\n", argv[2]);
        return 2;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    void* mapped = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : nullptr;
    if (mapped == MAP_FAILED) return 2;
    const std::string_view data(static_cast<const char*>(mapped), size);

    std::vector<const char*> expressions;
    std::vector<std::size_t> lengths;
    std::vector<unsigned> flags(terms.size(), 0), ids;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        expressions.push_back(terms[i].data());
        lengths.push_back(terms[i].size());
        ids.push_back(static_cast<unsigned>(i));
    }
    const auto compile_start = std::chrono::steady_clock::now();
    hs_database_t* database = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_compile_lit_multi(expressions.data(), flags.data(), ids.data(), lengths.data(),
                             static_cast<unsigned>(terms.size()), HS_MODE_BLOCK, nullptr, &database,
                             &error) != HS_SUCCESS) {
        std::fprintf(stderr, "hs_count: compile failed: %s\n", error ? error->message : "?");
        return 2;
    }
    const double compile_seconds = seconds_since(compile_start);
    hs_scratch_t* scratch = nullptr;
    if (hs_alloc_scratch(database, &scratch) != HS_SUCCESS) return 2;

    std::vector<unsigned long long> counts(terms.size(), 0);
    const auto scan_start = std::chrono::steady_clock::now();
    if (hs_scan(database, data.data(), static_cast<unsigned>(data.size()), 0, scratch, on_match, &counts) !=
        HS_SUCCESS) {
        std::fprintf(stderr, "hs_count: scan failed\n");
        return 2;
    }
    const double scan_seconds = seconds_since(scan_start);
    std::string out;
    for (std::size_t i = 0; i < terms.size(); ++i) out.append(terms[i]).append("\t").append(std::to_string(counts[i])).append("\n");
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fprintf(stderr, "hs_count: compile %.3f s, scan %.3f s (%.0f MB/s)\n", compile_seconds, scan_seconds,
                 static_cast<double>(data.size()) / scan_seconds / 1e6);
    hs_free_scratch(scratch);
    hs_free_database(database);
    return 0;
}
