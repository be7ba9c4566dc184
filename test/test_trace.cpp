// Trace: the --stats summary and the Chrome Trace Event JSON of --trace.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "pipeline/trace.hpp"

using namespace elvis;

TEST_CASE("Trace::summary: a line per thread, writes taken out of scans, dropped events counted") {
    Trace trace;
    TraceRecorder* busy = trace.add_thread("busy", 4);
    trace.add_thread("idle", 4);
    TraceRecorder* full = trace.add_thread("full", 1);
    busy->record(TraceKind::scan, 0, 2'000'000);
    busy->record(TraceKind::write, 500'000, 1'000'000);  // inside the scan
    busy->record(TraceKind::read_wait, 2'000'000, 2'250'000);
    busy->record(TraceKind::open_batch, 3'000'000, 3'100'000);
    full->record(TraceKind::scan, 0, 1'000'000);
    full->record(TraceKind::scan, 1'000'000, 3'000'000);  // dropped, but still counted
    CHECK(trace.summary() ==
          "busy: scan 1.5 ms, waiting for reads 0.2 ms, writing 0.5 ms, batched opens 0.1 ms\n"
          "idle: scan 0.0 ms, waiting for reads 0.0 ms, writing 0.0 ms, batched opens 0.0 ms\n"
          "full: scan 3.0 ms, waiting for reads 0.0 ms, writing 0.0 ms, batched opens 0.0 ms\n");
}

TEST_CASE("Trace::write_json: a track per thread, its events, and what was dropped") {
    Trace trace;
    TraceRecorder* one = trace.add_thread("one", 1);
    trace.add_thread("two", 1);
    one->record(TraceKind::scan, 1'000, 3'000);
    one->record(TraceKind::write, 3'000, 4'000);  // dropped
    std::FILE* out = std::tmpfile();
    REQUIRE(out != nullptr);
    trace.write_json(out);
    std::rewind(out);
    std::string json;
    for (int c; (c = std::fgetc(out)) != EOF;) json += static_cast<char>(c);
    std::fclose(out);
    CHECK(json.find(R"("args":{"name":"one"})") != std::string::npos);
    CHECK(json.find(R"("args":{"name":"two"})") != std::string::npos);
    CHECK(json.find(R"({"name":"scan","ph":"X","pid":1,"tid":1,"ts":0.000,"dur":2.000})") != std::string::npos);
    CHECK(json.find(R"("name":"write")") == std::string::npos);
    CHECK(json.find(R"({"name":"1 events dropped")") != std::string::npos);
}
