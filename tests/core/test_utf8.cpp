// The one UTF-8 validator (core/utf8.h) used by the GLUE reader, tokenizers and checkpoints.
#include <doctest/doctest.h>

#include "tinytune/core/utf8.h"

using tt::find_invalid_utf8;

TEST_CASE("utf8: the validator refuses overlongs, surrogates, truncation and stray bytes") {
  CHECK(find_invalid_utf8("plain ascii") == -1);
  CHECK(find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == -1);  // é € 😀
  CHECK(find_invalid_utf8("ab\x80") == 2);              // lone continuation byte
  CHECK(find_invalid_utf8("a\xC0\xAF") == 1);           // overlong '/'
  CHECK(find_invalid_utf8("\xED\xA0\x80") == 0);        // surrogate U+D800
  CHECK(find_invalid_utf8("\xF4\x90\x80\x80") == 0);    // past U+10FFFF
  CHECK(find_invalid_utf8("xy\xE2\x82") == 2);          // truncated sequence
  CHECK(find_invalid_utf8("\xFF") == 0);
}
