// UTF-8 validation, strict as Python's decoder: overlong forms, surrogates, code points past
// U+10FFFF and truncated sequences are invalid. Shared by the GLUE reader, the tokenizers and
// the checkpoint writer, so they agree on what "valid UTF-8" means.
#pragma once
#include <cstdint>
#include <string_view>

namespace tt {

// Byte offset of the first invalid sequence in `text`, or -1 when it is all valid.
int64_t find_invalid_utf8(std::string_view text);

}  // namespace tt
