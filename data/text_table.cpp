// The TSV, CSV and JSON Lines reader; the rules are in text_table.h.
#include "tinytune/data/text_table.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tinytune/core/error.h"
#include "tinytune/core/join.h"
#include "tinytune/core/utf8.h"
#include "tinytune/data/glue.h"

namespace tt::data {

namespace {


// Reads lines, dropping a '\r' before '\n' and a byte-order mark at the very start.
class LineReader {
 public:
  explicit LineReader(std::istream& in) : in_(in) {}
  bool next(std::string& line) {
    if (!std::getline(in_, line)) return false;
    ++number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number_ == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    return true;
  }
  int64_t number() const { return number_; }

 private:
  std::istream& in_;
  int64_t number_ = 0;
};

std::string at(const std::string& source, int64_t line) { return detail::concat(source, ":", line, ": "); }

// A quoted CSV field from line[i] (its opening quote), reading on while it spans lines; leaves
// i past the closing quote.
std::string quoted_csv_field(LineReader& lines, std::string& line, size_t& i, size_t field,
                             const std::string& source) {
  const int64_t opened = lines.number();
  std::string value;
  for (++i;;) {
    if (i == line.size()) {
      TT_CHECK(lines.next(line), at(source, opened), "field ", field, ": quoted field never closed "
               "(expected a closing '\"' before the end of the input)");
      value += '\n';
      i = 0;
      continue;
    }
    const char c = line[i++];
    if (c != '"') {
      value += c;
    } else if (i < line.size() && line[i] == '"') {
      value += '"';
      ++i;
    } else {
      return value;
    }
  }
}

// One RFC 4180 record starting at `line`, which grows by the lines a quoted field spans.
std::vector<std::string> csv_record(LineReader& lines, std::string line, const std::string& source) {
  std::vector<std::string> fields;
  for (size_t i = 0;;) {
    const size_t field = fields.size() + 1;
    if (i < line.size() && line[i] == '"') {
      fields.push_back(quoted_csv_field(lines, line, i, field, source));
      TT_CHECK(i == line.size() || line[i] == ',', at(source, lines.number()), "field ", field,
               ": text after a closing quote (expected ',' or the end of the line; a quote inside "
               "a quoted field is written \"\")");
    } else {
      const size_t end = std::min(line.find(',', i), line.size());
      TT_CHECK(line.find('"', i) >= end, at(source, lines.number()), "field ", field, ": a quote "
               "inside an unquoted field (expected the whole field quoted, with each quote doubled: "
               "RFC 4180)");
      fields.push_back(line.substr(i, end - i));
      i = end;
    }
    if (i == line.size()) return fields;
    ++i;  // the ','
  }
}

std::vector<std::string> tsv_record(const std::string& line) {
  std::vector<std::string> out;
  for (std::string_view f : split_tabs(line)) out.emplace_back(f);
  return out;
}

void check_utf8(const std::string& text, const std::string& where, const std::string& what) {
  const int64_t bad = find_invalid_utf8(text);
  TT_CHECK(bad < 0, where, what, ": invalid UTF-8 at byte ", bad + 1, " (expected UTF-8 text)");
}

// The header: names checked, the kept columns chosen (`keep` empty: all).
std::vector<size_t> set_header(TextTable& table, std::vector<std::string> names, int64_t line,
                               const std::vector<std::string>& keep) {
  table.header_line = line;
  for (size_t i = 0; i < names.size(); ++i) {
    check_utf8(names[i], at(table.source, line), "the header");
    for (size_t j = 0; j < i; ++j)
      TT_CHECK(names[i] != names[j], at(table.source, line), "column '", names[i],
               "' appears twice in the header (expected unique column names)");
  }
  table.header = std::move(names);
  std::vector<size_t> kept;
  for (size_t i = 0; i < table.header.size(); ++i)
    if (keep.empty() || std::find(keep.begin(), keep.end(), table.header[i]) != keep.end()) {
      kept.push_back(i);
      table.columns.push_back(table.header[i]);
    }
  return kept;
}

void read_delimited(LineReader& lines, TableFormat format, TextTable& table,
                    const std::vector<std::string>& keep) {
  const bool csv = format == TableFormat::csv;
  std::string line;
  std::vector<size_t> kept;
  while (lines.next(line)) {
    if (line.empty()) continue;  // a blank line (a quoted field's empty lines are read inside it)
    const int64_t number = lines.number();
    std::vector<std::string> fields = csv ? csv_record(lines, line, table.source) : tsv_record(line);
    if (table.header_line == 0) {
      kept = set_header(table, std::move(fields), number, keep);
      continue;
    }
    TT_CHECK(fields.size() == table.header.size(), at(table.source, number), "expected ",
             table.header.size(), csv ? " comma" : " tab", "-separated fields (as the header: ",
             join(table.header), "), got ", fields.size());
    std::vector<std::string> row;
    for (size_t k : kept) {
      check_utf8(fields[k], at(table.source, number), "column '" + table.header[k] + "'");
      row.push_back(std::move(fields[k]));
    }
    table.rows.push_back(std::move(row));
    table.lines.push_back(number);
  }
}

std::string json_text(const nlohmann::json& v, const std::string& key, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  TT_CHECK(v.is_number() || v.is_boolean(), where, "column '", key, "': expected a string, a number "
           "or a boolean, got ", v.type_name());
  return v.dump();
}

nlohmann::json json_object(const std::string& line, const std::string& where) {
  check_utf8(line, where, "the line");
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(detail::concat(where.substr(0, where.size() - 1), e.byte, ": not valid JSON (expected "
                               "one JSON object per line): ", e.what()));
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond a double's range
    throw Error(detail::concat(where, "not valid JSON (expected one JSON object per line): ", e.what()));
  }
  TT_CHECK(object.is_object(), where, "expected a JSON object, got ", object.type_name());
  return object;
}

void read_jsonl(LineReader& lines, TextTable& table, const std::vector<std::string>& keep) {
  std::string line;
  while (lines.next(line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = at(table.source, lines.number());
    const nlohmann::json object = json_object(line, where);
    if (table.header_line == 0) {
      std::vector<std::string> keys;
      for (const auto& item : object.items()) keys.push_back(item.key());
      set_header(table, std::move(keys), lines.number(), keep);
    }
    std::vector<std::string> row;
    for (const std::string& key : table.columns) {
      const auto it = object.find(key);
      TT_CHECK(it != object.end(), where, "no key '", key, "' (expected it in every line, as in the "
               "first, line ", table.header_line, ")");
      row.push_back(json_text(*it, key, where));
    }
    table.rows.push_back(std::move(row));
    table.lines.push_back(lines.number());
  }
}

}  // namespace

TableFormat parse_table_format(const std::string& name) {
  if (name == "tsv") return TableFormat::tsv;
  if (name == "csv") return TableFormat::csv;
  if (name == "jsonl" || name == "json") return TableFormat::jsonl;
  throw Error(detail::concat("unknown table format '", name, "' (expected tsv, csv or jsonl)"));
}

TableFormat table_format_of(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* known : {"tsv", "csv", "jsonl", "json"})
    if (ext == std::string(".") + known) return parse_table_format(known);
  throw Error(detail::concat(path, ": cannot tell the format from the name (expected a .tsv, .csv "
                             "or .jsonl file)"));
}

bool TextTable::has_column(const std::string& name) const {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

size_t TextTable::column(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  TT_CHECK(it != columns.end(), at(source, header_line), "no column '", name, "' (the columns are: ",
           join(header), ")");
  return static_cast<size_t>(it - columns.begin());
}

TextTable read_text_table(std::istream& in, TableFormat format, const std::string& source,
                          const std::vector<std::string>& keep) {
  LineReader lines(in);
  TextTable table;
  table.source = source;
  if (format == TableFormat::jsonl)
    read_jsonl(lines, table, keep);
  else
    read_delimited(lines, format, table, keep);
  TT_CHECK(table.header_line > 0, source, ": empty file (expected ",
           format == TableFormat::jsonl ? "one JSON object per line" : "a header line of column names, then rows",
           ")");
  return table;
}

}  // namespace tt::data
