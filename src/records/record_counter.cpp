// RecordCounter (counter.hpp): TagFramer's records into a RecordTally, whose df is the count.
#include "elvis/counter.hpp"

#include "records/record_tally.hpp"
#include "records/tag_framer.hpp"

namespace elvis {

struct RecordCounter::Framing {
    Framing(const Matcher& terms, const Matcher& markers, Counting counting)
        : tally(terms, counting, false), framer(markers, tally) {}
    detail::RecordTally tally;
    detail::TagFramer framer;
};

RecordCounter::RecordCounter(const Matcher& terms, const Matcher& markers, Counting counting)
    : framing_(std::make_unique<Framing>(terms, markers, counting)) {}
RecordCounter::~RecordCounter() = default;

void RecordCounter::feed(std::string_view chunk) { framing_->framer.feed(chunk); }
void RecordCounter::finish() { framing_->framer.finish(); }
std::span<const std::uint64_t> RecordCounter::counts() const { return framing_->tally.documents(); }
std::uint64_t RecordCounter::records() const { return framing_->tally.records(); }

}  // namespace elvis
