#include "tinytune/data/text_table.h"

#include <nlohmann/json.hpp>

#include "tinytune/core/error.h"
#include "tinytune/data/glue.h"

namespace tt::data {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "\"" : ", \"") + s + "\"";
  return out;
}

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

std::vector<std::string> tsv_fields(const std::string& line) {
  std::vector<std::string> out;
  for (std::string_view f : split_tabs(line)) out.emplace_back(f);
  return out;
}

// One CSV record, which may span lines (a quoted field holding newlines).
std::vector<std::string> csv_record(LineReader& lines, std::string line, const std::string& source) {
  const int64_t first = lines.number();
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0;; ++i) {
    if (i == line.size()) {
      if (!quoted) return fields;
      TT_CHECK(lines.next(line), source, ":", first, ": a quoted field is never closed (expected a "
               "closing '\"' before the end of the input)");
      fields.back() += '\n';
      i = static_cast<size_t>(-1);  // the loop's ++i starts the next line at 0
      continue;
    }
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"' && (quoted || fields.back().empty())) {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
}

std::string json_text(const nlohmann::json& v, const std::string& key, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  TT_CHECK(v.is_number() || v.is_boolean(), where, ": \"", key, "\" is ", v.type_name(),
           ", expected a string");
  return v.dump();
}

TextTable read_jsonl(LineReader& lines, const std::string& source) {
  TextTable table;
  std::string line;
  while (lines.next(line)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = source + ":" + std::to_string(lines.number());
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    TT_CHECK(j.is_object(), where, ": expected one JSON object per line");
    if (table.columns.empty())
      for (const auto& item : j.items()) table.columns.push_back(item.key());
    std::vector<std::string> row;
    for (const std::string& key : table.columns) {
      const auto it = j.find(key);
      TT_CHECK(it != j.end(), where, ": no key \"", key, "\" (the first line has ",
               join(table.columns), ")");
      row.push_back(json_text(*it, key, where));
    }
    table.rows.push_back(std::move(row));
    table.lines.push_back(lines.number());
  }
  return table;
}

TextTable read_delimited(LineReader& lines, TableFormat format, const std::string& source) {
  TextTable table;
  std::string line;
  auto record = [&](const std::string& text) {
    return format == TableFormat::tsv ? tsv_fields(text) : csv_record(lines, text, source);
  };
  if (!lines.next(line)) return table;
  table.columns = record(line);
  while (lines.next(line)) {
    const int64_t number = lines.number();
    if (line.empty()) continue;
    std::vector<std::string> row = record(line);
    TT_CHECK(row.size() == table.columns.size(), source, ":", number, ": expected ",
             table.columns.size(), " fields as the header has (", join(table.columns), "), got ",
             row.size());
    table.rows.push_back(std::move(row));
    table.lines.push_back(number);
  }
  return table;
}

}  // namespace

TableFormat parse_table_format(const std::string& name) {
  if (name == "tsv") return TableFormat::tsv;
  if (name == "csv") return TableFormat::csv;
  if (name == "jsonl" || name == "json") return TableFormat::jsonl;
  throw Error(detail::concat("unknown table format '", name, "' (expected tsv, csv or jsonl)"));
}

TableFormat table_format_of(const std::string& path) {
  for (const char* ext : {"tsv", "csv", "jsonl", "json"})
    if (ends_with(path, std::string(".") + ext)) return parse_table_format(ext);
  throw Error(detail::concat(path, ": cannot tell the format from the name (expected a .tsv, .csv "
                             "or .jsonl file)"));
}

size_t TextTable::column(const std::string& name, const std::string& source) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  throw Error(detail::concat(source, ": no column \"", name, "\" (the columns are ", join(columns), ")"));
}

TextTable read_text_table(std::istream& in, TableFormat format, const std::string& source) {
  LineReader lines(in);
  TextTable table = format == TableFormat::jsonl ? read_jsonl(lines, source)
                                                 : read_delimited(lines, format, source);
  TT_CHECK(!table.columns.empty(), source, ": empty input (expected a header line or a JSON object)");
  return table;
}

}  // namespace tt::data
