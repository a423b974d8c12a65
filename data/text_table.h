// The one reader of users' text files: TSV, CSV or JSON Lines, each a table of named string
// columns. predict reads its input with it, train_glue's own data (data/text_dataset.h) its
// --train-file, --validation-file and --test-file.
//
//   tsv    a header line of column names, then one row per line, fields split on '\t'. No
//          quoting: a '"' is an ordinary character and a field cannot hold a tab or a line
//          break (the IANA text/tab-separated-values rule, and GLUE's files, whose sentences
//          hold stray quotes, need it).
//   csv    RFC 4180: a header line, fields separated by ','. A field that starts with '"' is
//          quoted: it may hold commas, line breaks and "" for a quote, and ends at the next lone
//          '"', which must be followed by ',' or the line's end. A quote anywhere else is an
//          error. A line break inside a quoted field is read as "\n" (CRLF included).
//   jsonl  one JSON object per line; its header is the first object's keys. A value is taken
//          as text: a string as it is, a number or a boolean as JSON writes it.
// Every format: a UTF-8 byte-order mark at the start and a '\r' before each '\n' are dropped,
// blank lines are skipped (before the header too; JSONL: lines of spaces as well), column names
// are unique, and every kept field must be valid UTF-8.
//
// Errors start "SOURCE:LINE: " and say what was expected: a row with another number of fields
// than the header, a malformed quote ("field N: ..."), a line that is not a JSON object, a key
// missing from a later object, invalid UTF-8 ("column 'x': ..."), an empty input.
#pragma once
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace tt::data {

enum class TableFormat { tsv, csv, jsonl };

// The format a file name's extension says (.tsv, .csv, .jsonl or .json, in any case); an error
// naming the name and the extensions known otherwise.
TableFormat table_format_of(const std::string& path);
TableFormat parse_table_format(const std::string& name);  // "tsv", "csv", "jsonl"

struct TextTable {
  std::string source;                  // the name messages give the input
  int64_t header_line = 0;             // the header's line (JSONL: the first object's)
  std::vector<std::string> header;     // every column the input names, in its order
  std::vector<std::string> columns;    // the columns kept (see read_text_table), in that order
  std::vector<std::vector<std::string>> rows;  // each as long as columns
  std::vector<int64_t> lines;                  // the 1-based line each row starts on

  bool has_column(const std::string& name) const;
  // The index of the kept column `name`; else an error "SOURCE:LINE: no column 'name'" listing
  // the header's columns.
  size_t column(const std::string& name) const;
};

// `source` names the input in messages (a path, or "<stdin>"). `keep`, when not empty, keeps
// only those of its columns the header has: their values alone are checked and stored, and a
// JSON object needs only those keys (those of the first object). Empty: every column is kept.
TextTable read_text_table(std::istream& in, TableFormat format, const std::string& source,
                          const std::vector<std::string>& keep = {});

}  // namespace tt::data
