// filter_files: opens each input, picks its way through (ranges or the stream), and feeds the
// rewriter; the command line only parses flags and prints.
#include "elvis/filter.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "elvis/errors.hpp"
#include "elvis/matcher.hpp"
#include "elvis/rewriter.hpp"
#include "io/fd.hpp"
#include "io/gzip_sink.hpp"
#include "io/gzip_source.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"
#include "io/write_behind_sink.hpp"
#include "pipeline/range_rewrite.hpp"
#include "pipeline/trace.hpp"
#include "records/warc_rewriter.hpp"

namespace elvis {

namespace {

using detail::Fd;

// Batches in flight to a regular file; to a pipe or terminal one, as its reader sets the pace
// and more only add context switches (DESIGN.md, "Write-behind").
constexpr unsigned write_behind_batches = 4;

constexpr const char* stdin_name = "(standard input)";

class Filter {
public:
    Filter(const FilterSettings& settings, int out, const std::function<void(const FilterError&)>& on_error)
        : settings_(settings),
          matcher_(RuleSet(settings.rules, settings.match)),
          out_(out),
          on_error_(on_error),
          regular_output_(::fstat(out, &out_stat_) == 0 && S_ISREG(out_stat_.st_mode)),
          io_(choose_source(settings.io, settings.buffer_size, 8, source_depth())),
          rewriter_(matcher_),
          sink_(out, settings.decompress || settings.warc.enabled ? gzip_.emplace(*io_.source, settings.buffer_size) : *io_.source, 1024,
                64 * 1024, 1 << 20, batches()) {
        if (settings.trace) {
            recorder_ = settings.trace->add_thread("filter");
            sink_.trace(recorder_, settings.trace->add_thread("writer"));
        }
        report_.io_backend = backend_name(io_.source->backend());
        report_.fallback_reason = io_.fallback_reason;
        if (settings.gzip_output) gzip_out_.emplace(plain_out_.emplace(out));
        // Records are written from their own buffers, whole: synchronously.
        if (settings.warc.enabled) {
            Sink& records_out = gzip_out_ ? static_cast<Sink&>(*gzip_out_) : plain_out_.emplace(out);
            warc_.emplace(matcher_, settings.warc, records_out, gzip_out_ ? &*gzip_out_ : nullptr);
        }
    }

    void run(const std::vector<std::string>& inputs) {
        // Larger pipes on both sides: fewer wake-ups.
        if (std::find(inputs.begin(), inputs.end(), "-") != inputs.end())
            sys::grow_pipe(STDIN_FILENO, sys::grown_pipe_bytes);
        sys::grow_pipe(out_, sys::grown_pipe_bytes);
        for (const std::string& name : inputs) {
            const std::string& shown = name == "-" ? std::string(stdin_name) : name;
            Fd in = open_input(name, shown);
            if (in.get() < 0) continue;
            if (!rewrite_in_ranges_if_planned(in.get())) stream(in.get(), name, shown);
        }
        report_.bytes_in += rewriter_.bytes_in();
        report_.bytes_out += plain_out_ ? plain_out_->bytes_written() : rewriter_.bytes_out();
        report_.replacements += rewriter_.replacements() + (warc_ ? warc_->replacements() : 0);
    }

    const FilterReport& report() const { return report_; }

private:
    unsigned batches() const { return regular_output_ ? write_behind_batches : 1; }
    // Buffers the source may lend at once. Records are copied out of a chunk before the next is
    // asked for, so two keep a read in flight; the write-behind sink holds its batches' too.
    unsigned source_depth() const { return settings_.warc.enabled ? 2 : std::max(batches() + 2, 4u); }

    void fail(const std::string& shown, const std::string& reason) {
        ++report_.failed_inputs;
        if (on_error_) on_error_({shown, reason});
    }

    // The input's descriptor, or -1 once its failure is reported: it cannot be opened, is a
    // directory, or is the output itself (which would read what it writes, forever).
    Fd open_input(const std::string& name, const std::string& shown) {
        Fd in = name == "-" ? Fd(STDIN_FILENO, false) : Fd(::open(name.c_str(), O_RDONLY | O_CLOEXEC), true);
        struct stat st;
        const int error = in.get() < 0                            ? errno
                          : sys::calls().fstat(in.get(), &st) != 0 ? errno
                          : S_ISDIR(st.st_mode)                   ? EISDIR
                                                                  : 0;
        if (error) {
            fail(shown, std::strerror(error));
            return {};
        }
        if (regular_output_ && S_ISREG(st.st_mode) && st.st_dev == out_stat_.st_dev && st.st_ino == out_stat_.st_ino) {
            fail(shown, "input file is output file");
            return {};
        }
        return in;
    }

    // A large regular file into a regular file, with same-length rules, on up to four cores at
    // once (range_rewrite.hpp). False when the input does not qualify, or when it failed other
    // than in a write and the output was given back as it was: then it is streamed, which
    // reports any error where it happens.
    bool rewrite_in_ranges_if_planned(int in) {
        const unsigned threads = std::min(4u, sys::usable_cpus());
        if (threads < 2 || settings_.decompress || settings_.gzip_output || settings_.warc.enabled) return false;
        const std::optional<RangeRewritePlan> plan = plan_range_rewrite(matcher_, in, out_, default_split_threshold);
        if (!plan) return false;
        RangeRewriteSettings range_settings;
        range_settings.threads = threads;
        range_settings.buffer_size = settings_.ranges_buffer_size;
        range_settings.io = settings_.io;
        range_settings.trace = settings_.trace;
        try {
            const RangeRewriteReport ranged = rewrite_in_ranges(matcher_, in, out_, *plan, range_settings);
            report_.bytes_in += ranged.bytes;
            report_.bytes_out += ranged.bytes;
            report_.replacements += ranged.replacements;
            return true;
        } catch (const WriteError&) {
            throw;
        } catch (const std::exception&) {
            return false;  // a read failed, the input shrank, or no thread could start: stream it
        }
    }

    void stream(int in, const std::string& name, const std::string& shown) {
        ByteSource& source = gzip_ ? static_cast<ByteSource&>(*gzip_) : *io_.source;
        if (gzip_) gzip_->set_mode(gzip_mode_for(name));
        if (warc_) {
            stream_records(source, in, shown);
            return;
        }
        Sink& sink = gzip_out_ ? static_cast<Sink&>(*gzip_out_) : sink_;
        source.open(in);
        try {
            // The writes inside the scans are spans of their own.
            for_each_traced_chunk(source, recorder_, [&](std::span<char> chunk) {
                rewriter_.feed(chunk, sink);
                return true;
            });
        } catch (const WriteError&) {
            throw;
        } catch (const IoError& e) {
            // Keep what was read: the output holds every input byte up to the failure, and
            // what is being written goes out before the message (same file, same order).
            drain();
            fail(shown, e.what());
        }
        rewriter_.finish(sink);
        if (gzip_out_) gzip_out_->finish_member();  // what was read of a failed input too
        drain();  // the last buffer goes back before the source closes
        source.close();
    }

    // WARC input: a malformed record is reported when the input is over, all of it copied.
    void stream_records(ByteSource& source, int in, const std::string& shown) {
        source.open(in);
        std::optional<std::string> error;
        try {
            for_each_traced_chunk(source, recorder_, [&](std::span<char> chunk) {
                report_.bytes_in += chunk.size();
                warc_->feed({chunk.data(), chunk.size()});
                return true;
            });
        } catch (const WriteError&) {
            throw;
        } catch (const IoError& e) {
            error = e.what();  // what was read of the record it cut is written by finish()
        }
        try {
            const std::optional<RecordError> record = warc_->finish();
            if (!error && record) error = detail::describe(*record, gzip_ && gzip_->inflating());
        } catch (const WriteError&) {
            throw;
        } catch (const IoError& e) {
            if (!error) error = e.what();
        }
        if (error) fail(shown, *error);
        source.close();
    }

    void drain() {
        if (gzip_out_) gzip_out_->flush();
        else sink_.drain();
    }

    const FilterSettings& settings_;
    const Matcher matcher_;
    const int out_;
    const std::function<void(const FilterError&)>& on_error_;
    struct stat out_stat_ {};
    const bool regular_output_;
    SourceChoice io_;
    std::optional<GzipSource> gzip_;  // over io_.source, when decompressing
    StreamRewriter rewriter_;
    std::optional<FdSink> plain_out_;     // under gzip_out_, which writes synchronously
    std::optional<GzipSink> gzip_out_;    // with gzip_output, instead of sink_
    std::optional<detail::WarcRewriter> warc_;  // WARC input: writes to gzip_out_ or plain_out_
    WriteBehindSink sink_;  // last: it hands buffers back to the source as it goes
    TraceRecorder* recorder_ = nullptr;
    FilterReport report_;
};

}  // namespace

FilterReport filter_files(const FilterSettings& settings, const std::vector<std::string>& inputs, int out,
                          const std::function<void(const FilterError&)>& on_error) {
    Filter filter(settings, out, on_error);
    filter.run(inputs);
    return filter.report();
}

}  // namespace elvis
