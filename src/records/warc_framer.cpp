// WarcFramer: WarcReader's events, for the records selected, as RecordHandler's.
#include "records/warc_framer.hpp"

namespace elvis::detail {

void WarcFramer::on_header(const WarcHeader& header) {
    selected_ = warc_selects(options_, header);
    if (selected_) handler_.on_record_begin(header.target_uri, header.record_id);
}

void WarcFramer::on_block(std::string_view bytes, bool payload) {
    if (selected_ && payload) handler_.on_content(bytes);
}

void WarcFramer::on_record_end(std::string_view) {
    if (!selected_) return;
    selected_ = false;
    handler_.on_record_end();
}

void WarcFramer::finish() {
    try {
        reader_.finish();
    } catch (...) {
        abandon();
        throw;
    }
    reader_.reset();
}

void WarcFramer::abandon() {
    if (selected_) handler_.on_record_dropped(), selected_ = false;
    reader_.reset();
}

}  // namespace elvis::detail
