// Trace: preallocated per-thread recorders and the Chrome Trace Event JSON writer.
#include "pipeline/trace.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "elvis/errors.hpp"

namespace elvis {

namespace {
const char* kind_name(TraceKind kind) {
    switch (kind) {
        case TraceKind::read_wait: return "read wait";
        case TraceKind::scan: return "scan";
        case TraceKind::write: return "write";
        case TraceKind::open_batch: return "open+read batch";
        case TraceKind::file: return "file";
        case TraceKind::idle: return "idle";
    }
    return "?";
}
}  // namespace

TraceRecorder::TraceRecorder(std::string thread_name, std::size_t capacity)
    : name_(std::move(thread_name)), events_(capacity) {}

TraceRecorder* Trace::add_thread(std::string name, std::size_t capacity) {
    auto recorder = std::make_unique<TraceRecorder>(std::move(name), capacity);
    std::lock_guard lock(mutex_);
    recorders_.push_back(std::move(recorder));
    return recorders_.back().get();
}

void Trace::write_json(std::FILE* out) const {
    std::lock_guard lock(mutex_);
    std::uint64_t origin = UINT64_MAX;
    for (const auto& r : recorders_)
        for (std::size_t i = 0; i < r->count_; ++i) origin = std::min(origin, r->events_[i].begin_ns);
    std::fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n", out);
    bool first = true;
    for (std::size_t tid = 0; tid < recorders_.size(); ++tid) {
        const TraceRecorder& r = *recorders_[tid];
        std::fprintf(out, "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%zu,\"args\":{\"name\":\"%s\"}}",
                     first ? "" : ",\n", tid + 1, r.name_.c_str());
        first = false;
        for (std::size_t i = 0; i < r.count_; ++i) {
            const auto& e = r.events_[i];
            std::fprintf(out, ",\n{\"name\":\"%s\",\"ph\":\"X\",\"pid\":1,\"tid\":%zu,\"ts\":%.3f,\"dur\":%.3f}",
                         kind_name(e.kind), tid + 1, static_cast<double>(e.begin_ns - origin) / 1e3,
                         static_cast<double>(e.end_ns - e.begin_ns) / 1e3);
        }
        if (r.dropped_)
            std::fprintf(out, ",\n{\"name\":\"%llu events dropped\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%zu,\"ts\":0}",
                         static_cast<unsigned long long>(r.dropped_), tid + 1);
    }
    std::fputs("\n]}\n", out);
}

std::string Trace::summary() const {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const auto& r : recorders_) {
        char line[256];
        // Writes happen inside scan spans (the rewriter flushes its sink), so they are taken out.
        const std::uint64_t scan = r->total_ns(TraceKind::scan) - std::min(r->total_ns(TraceKind::scan), r->total_ns(TraceKind::write));
        std::snprintf(line, sizeof line, "%s: scan %.1f ms, waiting for reads %.1f ms, writing %.1f ms, batched opens %.1f ms\n",
                      r->name_.c_str(), static_cast<double>(scan) / 1e6,
                      static_cast<double>(r->total_ns(TraceKind::read_wait)) / 1e6,
                      static_cast<double>(r->total_ns(TraceKind::write)) / 1e6,
                      static_cast<double>(r->total_ns(TraceKind::open_batch)) / 1e6);
        text += line;
    }
    return text;
}

}  // namespace elvis
