// Rows of text read from a user's file for labelling (build/bin/predict): TSV, CSV or JSON
// Lines, each row a set of named string fields.
//
//   tsv    a header line of column names, then one row per line, fields split on '\t' with no
//          quote handling (as GLUE's files: sentences hold stray quotes);
//   csv    RFC 4180: a header line, fields separated by ',', a field in double quotes may hold
//          commas, newlines and "" for a quote;
//   jsonl  one JSON object per non-blank line; the columns are the first object's keys, and a
//          string, number or boolean value is taken as text.
// A trailing '\r' and a UTF-8 byte-order mark at the start are dropped. Errors name the source
// and the line: a row with another number of fields than the header, an unterminated quote,
// a line that is not a JSON object, a missing key, an empty input.
#pragma once
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace tt::data {

enum class TableFormat { tsv, csv, jsonl };

// The format a file name's extension says (.tsv, .csv, .jsonl or .json); an error naming the
// name and the extensions known otherwise.
TableFormat table_format_of(const std::string& path);
TableFormat parse_table_format(const std::string& name);  // "tsv", "csv", "jsonl"

struct TextTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each as long as columns
  std::vector<int64_t> lines;                  // the 1-based line each row starts on

  // The index of the column `name`; an error naming `source`, the name and the columns.
  size_t column(const std::string& name, const std::string& source) const;
};

// `source` names the input in messages (a path, or "<stdin>").
TextTable read_text_table(std::istream& in, TableFormat format, const std::string& source);

}  // namespace tt::data
