// WordPiece as HF tokenizers' BertNormalizer + BertPreTokenizer + WordPiece model (see the
// header). Unicode data (categories, NFD, lower case) comes from utf8proc.
#include "tinytune/data/wordpiece.h"

#include <utf8proc.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tinytune/core/error.h"

namespace tt::data {
namespace {

// HF's max_input_chars_per_word: longer words become [UNK] without being split.
constexpr size_t kMaxCharsPerWord = 100;

// Where HF's Unicode data differs from utf8proc's (Unicode 15). tokenizers takes categories from
// the unicode_categories crate, frozen at Unicode 8.0, but lower case from Rust's std (current
// Unicode). So a mark or punctuation assigned after 8.0 is an ordinary letter to HF (kept, not
// split), the few characters whose category changed since keep their 8.0 class, and letters
// newer than utf8proc still lower-case (lower = c + lower_delta). Derived by comparing every code
// point c in "a" + c + "b" with HF (scripts/check_tokenizer_agreement.py --all-code-points, which
// reports any new difference after a utf8proc or tokenizers upgrade). Sorted, disjoint.
enum HfClass : uint8_t { kLetter, kPunctuation, kNonspacingMark };
struct HfOverride {
  int32_t first, last;
  HfClass cls;
  int32_t lower_delta = 0;
};
constexpr HfOverride kHfOverrides[] = {
    {0x61D, 0x61D, kLetter}, {0x7FD, 0x7FD, kLetter}, {0x890, 0x891, kLetter},
    {0x898, 0x89F, kLetter}, {0x8CA, 0x8E2, kLetter}, {0x9FD, 0x9FE, kLetter},
    {0xA76, 0xA76, kLetter}, {0xAFA, 0xAFF, kLetter}, {0xB55, 0xB55, kLetter},
    {0xC04, 0xC04, kLetter}, {0xC3C, 0xC3C, kLetter}, {0xC77, 0xC77, kLetter},
    {0xC84, 0xC84, kLetter}, {0xD00, 0xD00, kLetter}, {0xD3B, 0xD3C, kLetter},
    {0xD81, 0xD81, kLetter}, {0xEBA, 0xEBA, kLetter}, {0xECE, 0xECE, kLetter},
    {0x166D, 0x166D, kPunctuation}, {0x1734, 0x1734, kNonspacingMark}, {0x180F, 0x180F, kLetter},
    {0x1885, 0x1886, kLetter}, {0x1ABF, 0x1ACE, kLetter}, {0x1B7D, 0x1B7E, kLetter},
    {0x1C89, 0x1C89, kLetter, 1}, {0x1DF6, 0x1DFB, kLetter}, {0x2E43, 0x2E4F, kLetter},
    {0x2E52, 0x2E5D, kLetter}, {0xA7CB, 0xA7CB, kLetter, -42343}, {0xA7CC, 0xA7CC, kLetter, 1},
    {0xA7CE, 0xA7CE, kLetter, 1}, {0xA7D2, 0xA7D2, kLetter, 1}, {0xA7D4, 0xA7D4, kLetter, 1},
    {0xA7DA, 0xA7DA, kLetter, 1}, {0xA7DC, 0xA7DC, kLetter, -42561}, {0xA82C, 0xA82C, kLetter},
    {0xA8C5, 0xA8C5, kLetter}, {0xA8FF, 0xA8FF, kLetter}, {0xA9BD, 0xA9BD, kLetter},
    {0x10D24, 0x10D27, kLetter}, {0x10D50, 0x10D65, kLetter, 32}, {0x10EAB, 0x10EAD, kLetter},
    {0x10EFD, 0x10EFF, kLetter}, {0x10F46, 0x10F50, kLetter}, {0x10F55, 0x10F59, kLetter},
    {0x10F82, 0x10F89, kLetter}, {0x11070, 0x11070, kLetter}, {0x11073, 0x11074, kLetter},
    {0x110C2, 0x110C2, kLetter}, {0x110CD, 0x110CD, kLetter}, {0x111C9, 0x111C9, kPunctuation},
    {0x111CF, 0x111CF, kLetter}, {0x1123E, 0x1123E, kLetter}, {0x11241, 0x11241, kLetter},
    {0x1133B, 0x1133B, kLetter}, {0x11438, 0x1143F, kLetter}, {0x11442, 0x11444, kLetter},
    {0x11446, 0x11446, kLetter}, {0x1144B, 0x1144F, kLetter}, {0x1145A, 0x1145B, kLetter},
    {0x1145D, 0x1145E, kLetter}, {0x11660, 0x1166C, kLetter}, {0x116B9, 0x116B9, kLetter},
    {0x1182F, 0x11837, kLetter}, {0x11839, 0x1183B, kLetter}, {0x11938, 0x11938, kLetter},
    {0x1193B, 0x1193C, kLetter}, {0x1193E, 0x1193E, kLetter}, {0x11943, 0x11946, kLetter},
    {0x119D4, 0x119D7, kLetter}, {0x119DA, 0x119DB, kLetter}, {0x119E0, 0x119E0, kLetter},
    {0x119E2, 0x119E2, kLetter}, {0x11A01, 0x11A0A, kLetter}, {0x11A33, 0x11A38, kLetter},
    {0x11A3B, 0x11A47, kLetter}, {0x11A51, 0x11A56, kLetter}, {0x11A59, 0x11A5B, kLetter},
    {0x11A8A, 0x11A96, kLetter}, {0x11A98, 0x11A9C, kLetter}, {0x11A9E, 0x11AA2, kLetter},
    {0x11B00, 0x11B09, kLetter}, {0x11C30, 0x11C36, kLetter}, {0x11C38, 0x11C3D, kLetter},
    {0x11C3F, 0x11C3F, kLetter}, {0x11C41, 0x11C45, kLetter}, {0x11C70, 0x11C71, kLetter},
    {0x11C92, 0x11CA7, kLetter}, {0x11CAA, 0x11CB0, kLetter}, {0x11CB2, 0x11CB3, kLetter},
    {0x11CB5, 0x11CB6, kLetter}, {0x11D31, 0x11D36, kLetter}, {0x11D3A, 0x11D3A, kLetter},
    {0x11D3C, 0x11D3D, kLetter}, {0x11D3F, 0x11D45, kLetter}, {0x11D47, 0x11D47, kLetter},
    {0x11D90, 0x11D91, kLetter}, {0x11D95, 0x11D95, kLetter}, {0x11D97, 0x11D97, kLetter},
    {0x11EF3, 0x11EF4, kLetter}, {0x11EF7, 0x11EF8, kLetter}, {0x11F00, 0x11F01, kLetter},
    {0x11F36, 0x11F3A, kLetter}, {0x11F40, 0x11F40, kLetter}, {0x11F42, 0x11F4F, kLetter},
    {0x11FFF, 0x11FFF, kLetter}, {0x12FF1, 0x12FF2, kLetter}, {0x13430, 0x13440, kLetter},
    {0x13447, 0x13455, kLetter}, {0x16E97, 0x16E9A, kLetter}, {0x16EA0, 0x16EB8, kLetter, 27},
    {0x16F4F, 0x16F4F, kLetter}, {0x16FE2, 0x16FE2, kLetter}, {0x16FE4, 0x16FE4, kLetter},
    {0x1CF00, 0x1CF2D, kLetter}, {0x1CF30, 0x1CF46, kLetter}, {0x1E000, 0x1E006, kLetter},
    {0x1E008, 0x1E018, kLetter}, {0x1E01B, 0x1E021, kLetter}, {0x1E023, 0x1E024, kLetter},
    {0x1E026, 0x1E02A, kLetter}, {0x1E08F, 0x1E08F, kLetter}, {0x1E130, 0x1E136, kLetter},
    {0x1E2AE, 0x1E2AE, kLetter}, {0x1E2EC, 0x1E2EF, kLetter}, {0x1E4EC, 0x1E4EF, kLetter},
    {0x1E944, 0x1E94A, kLetter}, {0x1E95E, 0x1E95F, kLetter},
};

// HF's NFD (the unicode-normalization-alignments crate) is Unicode 9.0. Characters assigned
// later that have a combining class or a decomposition in utf8proc are plain starters to it:
// class 0, no decomposition (found as above, with "a" + U+1D165 + c + U+1D165 + "b" rows).
struct CodeRange {
  int32_t first, last;
};
constexpr CodeRange kNewerThanHfNfd[] = {
    {0x7FD, 0x7FD}, {0x898, 0x89F}, {0x8CA, 0x8D3}, {0x9FE, 0x9FE}, {0xC3C, 0xC3C},
    {0xD3B, 0xD3C}, {0xEBA, 0xEBA}, {0x1715, 0x1715}, {0x1ABF, 0x1ACE}, {0x1DF6, 0x1DFA},
    {0xA82C, 0xA82C}, {0x10D24, 0x10D27}, {0x10EAB, 0x10EAC}, {0x10EFD, 0x10EFF},
    {0x10F46, 0x10F50}, {0x10F82, 0x10F85}, {0x11070, 0x11070}, {0x1133B, 0x1133B},
    {0x1145E, 0x1145E}, {0x11839, 0x1183A}, {0x11938, 0x11938}, {0x1193D, 0x1193E},
    {0x11943, 0x11943}, {0x119E0, 0x119E0}, {0x11A34, 0x11A34}, {0x11A47, 0x11A47},
    {0x11A99, 0x11A99}, {0x11D42, 0x11D42}, {0x11D44, 0x11D45}, {0x11D97, 0x11D97},
    {0x11F41, 0x11F42}, {0x16FF0, 0x16FF1}, {0x1E08F, 0x1E08F}, {0x1E130, 0x1E136},
    {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF}, {0x1E4EC, 0x1E4EF},
};

// The entry of a sorted, disjoint range table holding c, or nullptr.
template <typename Entry, size_t N>
const Entry* find_range(const Entry (&table)[N], int32_t c) {
  if (c < table[0].first) return nullptr;  // the common case: ASCII, Latin, Greek, ...
  auto it = std::upper_bound(std::begin(table), std::end(table), c,
                             [](int32_t v, const Entry& e) { return v < e.first; });
  --it;
  return c <= it->last ? &*it : nullptr;
}

const HfOverride* hf_override(int32_t c) { return find_range(kHfOverrides, c); }

// Decodes one code point at s[pos], advancing pos; -1 on an invalid sequence.
int32_t next_code_point(std::string_view s, size_t& pos) {
  int32_t cp = -1;
  auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + pos),
                            static_cast<utf8proc_ssize_t>(s.size() - pos), &cp);
  if (n <= 0) return -1;
  pos += static_cast<size_t>(n);
  return cp;
}

void append_utf8(std::string& out, int32_t cp) {
  utf8proc_uint8_t buf[4];
  auto n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

// Python can't hold invalid UTF-8 in a str, so HF never sees it: ours is an error.
void check_utf8(std::string_view text, const char* what) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t at = pos;
    TT_CHECK(next_code_point(text, pos) >= 0, "WordPieceTokenizer: ", what,
             " is not valid UTF-8 (bad byte 0x", std::hex,
             static_cast<int>(static_cast<unsigned char>(text[at])), std::dec, " at byte offset ",
             at, " of ", text.size(), "); expected UTF-8 text");
  }
}

// HF `_is_chinese_char`: the CJK Unified Ideographs blocks (not Japanese kana or Hangul), with
// tokenizers' ranges: its Rust copy starts Extension E at 0x2B920 where Python's has 0x2B820, so
// U+2B820..U+2B91F are ordinary letters to the fast tokenizer.
bool is_chinese_char(int32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// tokenizers' is_whitespace: \t \n \r and Rust's char::is_whitespace (the Unicode White_Space
// property; wider than the slow tokenizer's Zs, e.g. U+2028). U+000B, U+000C and U+0085 are
// White_Space too but never reach this test: clean_text drops them first as controls (Cc).
bool is_whitespace(int32_t c) {
  switch (c) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// tokenizers' is_control: category Cc, Cf, Co or Cs, except \t \n \r (which are whitespace).
bool is_control(int32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  if (hf_override(c)) return false;  // none of them is a control to HF
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

// BertPreTokenizer's punctuation: every non-alphanumeric ASCII printable (so $ + < = > ^ ` |
// ~ count, though Unicode calls them symbols) and Unicode category P*.
bool is_punctuation(int32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126))
    return true;
  if (const HfOverride* o = hf_override(c)) return o->cls == kPunctuation;
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

bool is_nonspacing_mark(int32_t c) {
  if (const HfOverride* o = hf_override(c)) return o->cls == kNonspacingMark;
  return utf8proc_category(c) == UTF8PROC_CATEGORY_MN;
}

int32_t to_lower(int32_t c) {
  if (const HfOverride* o = hf_override(c)) return c + o->lower_delta;
  return utf8proc_tolower(c);
}

// Canonical combining class, as HF's NFD knows it.
int combining_class(int32_t c) {
  if (c < 0x300 || find_range(kNewerThanHfNfd, c)) return 0;
  return utf8proc_get_property(c)->combining_class;
}

// Appends c's full canonical decomposition (NFD before reordering).
void append_decomposition(int32_t c, std::vector<int32_t>& out) {
  if (c < 0xC0 || find_range(kNewerThanHfNfd, c)) {  // ASCII has none, nor HF's NFD for these
    out.push_back(c);
    return;
  }
  utf8proc_int32_t buf[8];  // canonical decompositions are at most 4 code points
  auto n = utf8proc_decompose_char(c, buf, 8, UTF8PROC_DECOMPOSE, nullptr);
  TT_CHECK(n > 0 && n <= 8, "WordPieceTokenizer: NFD of U+", std::hex, c, std::dec, " failed");
  out.insert(out.end(), buf, buf + n);
}

// BertNormalizer in its order: clean_text (always), handle_chinese_chars, strip_accents (NFD,
// then drop Mn), lowercase, each step only when `o` turns it on. Valid UTF-8 in, code points out.
std::vector<int32_t> normalize(std::string_view text, const WordPieceOptions& o) {
  const bool strip = o.strips_accents();
  std::vector<int32_t> chars;
  chars.reserve(text.size() + 8);
  // The decomposition half of NFD goes with the first pass when accents are stripped.
  auto add = [&](int32_t c) {
    if (strip) append_decomposition(c, chars);
    else chars.push_back(c);
  };
  for (size_t pos = 0; pos < text.size();) {
    int32_t c = next_code_point(text, pos);
    if (c == 0 || c == 0xFFFD || is_control(c)) continue;
    if (is_whitespace(c)) {
      chars.push_back(' ');
    } else if (o.tokenize_chinese_chars && is_chinese_char(c)) {
      chars.push_back(' ');
      add(c);  // compatibility ideographs have a decomposition
      chars.push_back(' ');
    } else {
      add(c);
    }
  }
  if (strip) {
    // NFD's canonical ordering: each run of combining marks stably sorted by combining class.
    for (size_t i = 1; i < chars.size(); ++i) {
      const int ccc = combining_class(chars[i]);
      for (size_t j = i; ccc != 0 && j > 0 && combining_class(chars[j - 1]) > ccc; --j)
        std::swap(chars[j - 1], chars[j]);
    }
  }
  // Strip accents (drop Mn), then lower-case per character, as tokenizers does (final sigma
  // stays σ). The one multi-character lower case, U+0130, reaches here only without NFD.
  std::vector<int32_t> out;
  out.reserve(chars.size());
  for (int32_t c : chars) {
    if (strip && is_nonspacing_mark(c)) continue;
    if (!o.lowercase) {
      out.push_back(c);
    } else if (c == 0x130) {
      out.push_back('i');
      out.push_back(0x307);
    } else {
      out.push_back(to_lower(c));
    }
  }
  return out;
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(const std::string& vocab_path, WordPieceOptions options)
    : vocab_path_(vocab_path), options_(options) {
  std::ifstream in(vocab_path, std::ios::binary);
  TT_CHECK(in, "WordPieceTokenizer: cannot open vocab file '", vocab_path,
           "'; expected a vocab.txt with one token per line");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string content = buffer.str();
  TT_CHECK(!content.empty(), "WordPieceTokenizer: vocab file '", vocab_path,
           "' is empty; expected one token per line");
  // Lines end in \n, \r\n or \r (Python's universal newlines); no line after a final newline.
  for (size_t pos = 0; pos < content.size();) {
    size_t end = content.find_first_of("\r\n", pos);
    if (end == std::string::npos) end = content.size();
    std::string token = content.substr(pos, end - pos);
    const int64_t id = static_cast<int64_t>(id_to_token_.size());
    try {
      check_utf8(token, "token");
    } catch (const Error& e) {
      throw Error(detail::concat(vocab_path, ":", id + 1, ": ", e.what()));
    }
    vocab_[token] = id;  // a repeated token keeps its last id, as HF's load_vocab
    id_to_token_.push_back(std::move(token));
    pos = end;
    if (pos < content.size() && content[pos] == '\r') ++pos;
    if (pos < content.size() && content[pos] == '\n') ++pos;
  }
  auto special = [&](const char* token) {
    int64_t id = token_to_id(token);
    TT_CHECK(id >= 0, "WordPieceTokenizer: vocab file '", vocab_path, "' has no ", token,
             " token; expected the BERT special tokens [PAD], [UNK], [CLS] and [SEP]");
    return id;
  };
  pad_id_ = special("[PAD]");
  unk_id_ = special("[UNK]");
  cls_id_ = special("[CLS]");
  sep_id_ = special("[SEP]");
  // HF also treats [MASK] as special; a vocab without it simply has no [MASK] to match.
  for (const char* token : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    if (int64_t id = token_to_id(token); id >= 0) specials_.emplace_back(token, id);
  }
}

int64_t WordPieceTokenizer::token_to_id(std::string_view token) const {
  auto it = vocab_.find(token);
  return it == vocab_.end() ? -1 : it->second;
}

const std::string& WordPieceTokenizer::id_to_token(int64_t id) const {
  TT_CHECK(id >= 0 && id < vocab_size(), "WordPieceTokenizer: id ", id,
           " out of range; expected [0, ", vocab_size(), ") for vocab '", vocab_path_, "'");
  return id_to_token_[static_cast<size_t>(id)];
}

std::vector<int64_t> WordPieceTokenizer::token_ids(const std::string& text) const {
  check_utf8(text, "input text");
  std::vector<int64_t> ids;
  // HF's added-token pass: the leftmost, then longest, literal special token splits the text.
  size_t start = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] != '[') continue;  // every BERT special token starts with '['
    const std::pair<std::string, int64_t>* best = nullptr;
    for (const auto& special : specials_) {
      if (text.compare(pos, special.first.size(), special.first) == 0 &&
          (!best || special.first.size() > best->first.size()))
        best = &special;
    }
    if (!best) continue;
    append_plain_ids(std::string_view(text).substr(start, pos - start), ids);
    ids.push_back(best->second);
    pos += best->first.size() - 1;
    start = pos + 1;
  }
  append_plain_ids(std::string_view(text).substr(start), ids);
  return ids;
}

std::vector<std::string> WordPieceTokenizer::tokenize(const std::string& text) const {
  std::vector<std::string> pieces;
  for (int64_t id : token_ids(text)) pieces.push_back(id_to_token(id));
  return pieces;
}

void WordPieceTokenizer::append_plain_ids(std::string_view text, std::vector<int64_t>& ids) const {
  if (text.empty()) return;
  // BertPreTokenizer over the normalized text: whitespace ends a word, punctuation is a word.
  std::string word;
  size_t n_chars = 0;
  auto flush = [&] {
    if (n_chars > 0) append_word_ids(word, n_chars, ids);
    word.clear();
    n_chars = 0;
  };
  for (int32_t c : normalize(text, options_)) {
    if (is_whitespace(c)) {
      flush();
    } else if (is_punctuation(c)) {
      flush();
      append_utf8(word, c);
      n_chars = 1;
      flush();
    } else {
      append_utf8(word, c);
      ++n_chars;
    }
  }
  flush();
}

void WordPieceTokenizer::append_word_ids(std::string_view word, size_t n_chars,
                                         std::vector<int64_t>& ids) const {
  if (n_chars > kMaxCharsPerWord) {
    ids.push_back(unk_id_);
    return;
  }
  const size_t first = ids.size();
  std::string candidate;  // "##" + the current substring, reused across lookups
  size_t start = 0;
  while (start < word.size()) {
    // Longest vocab entry starting at `start`: shrink the end one code point at a time.
    size_t end = word.size();
    int64_t found = -1;
    while (end > start) {
      std::string_view sub = word.substr(start, end - start);
      if (start == 0) {
        found = token_to_id(sub);
      } else {
        candidate.assign("##").append(sub);
        found = token_to_id(candidate);
      }
      if (found >= 0) break;
      do --end;  // back to the previous code point boundary (skip continuation bytes)
      while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
    }
    if (found < 0) {  // some rest can't be matched: the whole word is [UNK]
      ids.resize(first);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(found);
    start = end;
  }
}

Encoding WordPieceTokenizer::encode(const std::string& a, const std::string* b,
                                    int64_t max_length) const {
  std::vector<int64_t> ids_b;
  if (b) ids_b = token_ids(*b);
  return build_bert_encoding(token_ids(a), b ? &ids_b : nullptr, cls_id_, sep_id_, max_length);
}

}  // namespace tt::data
