// marcpp against YAZ, MARC::Record and MARC4J over every file of the shared
// corpus's malformed/ folder: for each file, marcpp (lenient) must return at
// least as many complete fields as the best of the three returned when
// tests/tools/peers/peer_counts.py recorded their counts in
// tests/data/peer_counts.tsv. A complete field is defined in that script's
// docstring and in docs/malformed.md; the rule is computed here the same
// way, from the file's bytes, and the test first checks that it finds the
// same fields in each file as the script did (their number and
// fingerprint). Skipped, with a message, when the corpus is absent.
//
// With MARCPP_PEERS_DUMP=DIR set, the fields marcpp returns are written to
// DIR/<file>.fields in the script's form, for `peer_counts.py --marcpp DIR`.
#include "test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// A field as a reader gives it: its tag's bytes and its content written back
// as ISO 2709 (a control field's data; the indicators, then 0x1F, code and
// value for each subfield).
struct field_bytes {
  std::string tag, body;
};
using record_bytes = std::vector<field_bytes>;

// A field the file shows: its tag, or none when the bytes cannot say which
// tag is whose (then any tag is taken).
struct file_field {
  bool tag_known = true;
  std::string tag, body;
};

// ---- the fields the file shows (peer_counts.py: iso_fields, xml_fields) ----

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::vector<file_field> iso_fields(std::string_view data) {
  std::vector<file_field> out;
  std::size_t start = 0;
  while (start < data.size()) {
    std::size_t end = data.find('\x1d', start);
    const bool terminated = end != std::string_view::npos;
    if (!terminated) end = data.size();
    const std::string_view chunk = data.substr(start, end - start);
    const std::size_t first_ft = chunk.find('\x1e');
    if (first_ft != std::string_view::npos) {
      std::vector<std::string_view> runs;
      std::size_t p = first_ft + 1;
      for (;;) {
        std::size_t q = chunk.find('\x1e', p);
        if (q == std::string_view::npos) {
          // Ended by the record terminator, or by the end of the file.
          if (terminated && p < chunk.size()) runs.push_back(chunk.substr(p));
          break;
        }
        runs.push_back(chunk.substr(p, q - p));
        p = q + 1;
      }
      // The directory: from the 24th byte after the record's first digit to
      // the first field terminator.
      std::vector<std::string_view> tags;
      auto digit = std::find_if(chunk.begin(), chunk.end(), is_digit);
      if (digit != chunk.end()) {
        const auto first = static_cast<std::size_t>(digit - chunk.begin());
        if (first_ft >= first + 24) {
          const std::string_view directory = chunk.substr(first + 24, first_ft - first - 24);
          if (directory.size() % 12 == 0 && directory.size() / 12 == runs.size())
            for (std::size_t i = 0; i < directory.size(); i += 12) tags.push_back(directory.substr(i, 3));
        }
      }
      for (std::size_t i = 0; i < runs.size(); ++i)
        out.push_back({!tags.empty(), tags.empty() ? std::string() : std::string(tags[i]), std::string(runs[i])});
    }
    start = end + 1;
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_word(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_'; }
bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

void append_utf8(std::string& s, std::uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Entities and character references resolved; anything else left as it is.
std::string xml_unescape(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '&') {
      std::size_t j = i + 1;
      while (j < s.size() && (is_name_start(s[j]) || is_digit(s[j]) || s[j] == '#') && s[j] != '_') ++j;
      if (j > i + 1 && j < s.size() && s[j] == ';') {
        const std::string_view t = s.substr(i + 1, j - i - 1);
        const char* named = t == "lt" ? "<" : t == "gt" ? ">" : t == "amp" ? "&" : t == "quot" ? "\"" : t == "apos" ? "'" : nullptr;
        if (named) {
          out += named;
          i = j + 1;
          continue;
        }
        if (t[0] == '#') {
          const bool hex = t.size() > 1 && (t[1] == 'x' || t[1] == 'X');
          const std::string_view digits = t.substr(hex ? 2 : 1);
          std::uint64_t cp = 0;
          bool ok = !digits.empty();
          for (char c : digits) {
            int v = is_digit(c) ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (v < 0) ok = false;
            cp = std::min<std::uint64_t>(cp * (hex ? 16 : 10) + static_cast<std::uint64_t>(v < 0 ? 0 : v), 0x110000);
          }
          if (ok && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
            append_utf8(out, static_cast<std::uint32_t>(cp));
            i = j + 1;
            continue;
          }
        }
      }
    }
    out += s[i++];
  }
  return out;
}

std::map<std::string, std::string> xml_attrs(std::string_view s) {
  std::map<std::string, std::string> out;
  std::size_t p = 0;
  while (p < s.size()) {
    std::size_t q = p;
    if (!is_name_start(s[q])) {
      ++p;
      continue;
    }
    while (q < s.size() && (is_word(s[q]) || s[q] == '-' || s[q] == ':' || s[q] == '.')) ++q;
    const std::size_t name_end = q;
    while (q < s.size() && is_space(s[q])) ++q;
    if (q < s.size() && s[q] == '=') {
      ++q;
      while (q < s.size() && is_space(s[q])) ++q;
      if (q < s.size() && (s[q] == '"' || s[q] == '\'')) {
        const std::size_t close = s.find(s[q], q + 1);
        if (close != std::string_view::npos) {
          out[std::string(s.substr(p, name_end - p))] = std::string(s.substr(q + 1, close - q - 1));
          p = close + 1;
          continue;
        }
      }
    }
    ++p;
  }
  return out;
}

// Where the name `wanted`, after an optional prefix ("marc:"), starts at
// data[k]: the position after it, or npos.
std::size_t match_name(std::string_view data, std::size_t k, std::string_view wanted) {
  std::size_t name = k;
  if (k < data.size() && is_name_start(data[k])) {
    std::size_t m = k + 1;
    while (m < data.size() && (is_word(data[m]) || data[m] == '-' || data[m] == '.')) ++m;
    if (m < data.size() && data[m] == ':') name = m + 1;
  }
  if (data.substr(name, wanted.size()) != wanted) return std::string_view::npos;
  return name + wanted.size();
}

struct element {
  std::map<std::string, std::string> attrs;
  bool empty = false;  // self-closing
  std::string_view content;
};

std::vector<element> elements(std::string_view data, std::string_view wanted) {
  std::vector<element> out;
  std::size_t pos = 0;
  for (;;) {
    // The next opening tag: "<", the name, a blank, "/" or ">", attributes up to ">".
    std::size_t open = pos, attrs_start = 0, gt = std::string_view::npos;
    for (;; ++open) {
      open = data.find('<', open);
      if (open == std::string_view::npos) return out;
      std::size_t after = match_name(data, open + 1, wanted);
      if (after == std::string_view::npos || after >= data.size()) continue;
      if (!is_space(data[after]) && data[after] != '/' && data[after] != '>') continue;
      gt = data.find('>', after);
      if (gt == std::string_view::npos) continue;
      attrs_start = after;
      break;
    }
    std::string_view attrs = data.substr(attrs_start, gt - attrs_start);
    if (!attrs.empty() && attrs.back() == '/') {
      out.push_back({xml_attrs(attrs.substr(0, attrs.size() - 1)), true, {}});
      pos = gt + 1;
      continue;
    }
    // The closing tag: "</", the name, blanks, ">".
    std::size_t close = gt + 1, close_end = std::string_view::npos;
    for (;; ++close) {
      close = data.find("</", close);
      if (close == std::string_view::npos) return out;
      std::size_t after = match_name(data, close + 2, wanted);
      if (after == std::string_view::npos) continue;
      while (after < data.size() && is_space(data[after])) ++after;
      if (after < data.size() && data[after] == '>') {
        close_end = after + 1;
        break;
      }
    }
    out.push_back({xml_attrs(attrs), false, data.substr(gt + 1, close - gt - 1)});
    pos = close_end;
  }
}

std::string attr(const element& e, const char* name, const char* absent) {
  auto it = e.attrs.find(name);
  return it == e.attrs.end() ? std::string(absent) : it->second;
}

std::vector<file_field> xml_fields(std::string_view data) {
  std::vector<file_field> out;
  for (const auto& e : elements(data, "controlfield")) {
    if (e.content.find('<') != std::string_view::npos) continue;
    out.push_back({true, attr(e, "tag", ""), xml_unescape(e.content)});
  }
  for (const auto& e : elements(data, "datafield")) {
    std::string body = xml_unescape(attr(e, "ind1", " ") + attr(e, "ind2", " "));
    for (const auto& s : elements(e.content, "subfield")) {
      if (s.content.find('<') != std::string_view::npos) continue;
      body += '\x1f';
      body += xml_unescape(attr(s, "code", ""));
      body += xml_unescape(s.content);
    }
    out.push_back({true, attr(e, "tag", ""), std::move(body)});
  }
  return out;
}

std::string fingerprint(const std::vector<file_field>& fields) {
  std::uint64_t total = 0;
  for (const auto& f : fields) {
    std::uint64_t h = 0xCBF29CE484222325ull;
    auto add = [&](std::string_view s) {
      for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001B3ull;
      }
    };
    add(f.tag_known ? std::string_view(f.tag) : std::string_view("*"));
    add(std::string_view("\0", 1));
    add(f.body);
    total += h;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(total));
  return buf;
}

bool is_tag(std::string_view t) {
  return t.size() == 3 && std::all_of(t.begin(), t.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

// Each field of the file is taken by at most one field of the reader's
// output: first as (tag, body), else by body where the file's tag is not known.
std::size_t count_complete(const std::vector<file_field>& file, const std::vector<record_bytes>& records) {
  std::map<std::pair<std::string, std::string>, std::size_t> known;
  std::map<std::string, std::size_t> any_tag;
  for (const auto& f : file) {
    if (f.tag_known) ++known[{f.tag, f.body}];
    else ++any_tag[f.body];
  }
  std::size_t complete = 0;
  for (const auto& r : records)
    for (const auto& f : r) {
      if (!is_tag(f.tag)) continue;
      if (auto it = known.find({f.tag, f.body}); it != known.end() && it->second > 0) {
        --it->second;
        ++complete;
      } else if (auto jt = any_tag.find(f.body); jt != any_tag.end() && jt->second > 0) {
        --jt->second;
        ++complete;
      }
    }
  return complete;
}

// ---- the files and the recorded counts ---------------------------------------

enum class file_kind { iso2709, marcxml, json };

bool ends_with(const std::string& s, std::string_view e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

// As peer_counts.py chooses the readers: ISO 2709 when the file starts with
// five digits or has neither name.
file_kind kind_of(const std::string& name, std::string_view bytes) {
  if (bytes.size() >= 5 && std::all_of(bytes.begin(), bytes.begin() + 5, is_digit)) return file_kind::iso2709;
  if (ends_with(name, ".xml")) return file_kind::marcxml;
  if (ends_with(name, ".json")) return file_kind::json;
  return file_kind::iso2709;
}

struct counts {
  std::size_t records = 0, fields = 0, complete = 0;
};
struct recorded_file {
  std::size_t input_fields = 0;
  std::string fingerprint;
  std::map<std::string, counts> readers;
};

std::map<std::string, recorded_file> recorded() {
  std::map<std::string, recorded_file> out;
  std::istringstream in(test::slurp(test::data_dir() / "peer_counts.tsv"));
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {  // the column names
      header = false;
      continue;
    }
    std::vector<std::string> cols;
    std::istringstream l(line);
    for (std::string c; std::getline(l, c, '\t');) cols.push_back(c);
    REQUIRE_MESSAGE(cols.size() == 5, "bad line in peer_counts.tsv: " << line);
    auto& f = out[cols[0]];
    if (cols[1] == "input") {
      f.input_fields = std::stoul(cols[3]);
      f.fingerprint = cols[4];
    } else {
      f.readers[cols[1]] = {std::stoul(cols[2]), std::stoul(cols[3]), std::stoul(cols[4])};
    }
  }
  return out;
}

// ---- marcpp -----------------------------------------------------------------

// The tag as marcpp gives it: the tag, or for a field whose tag marcpp cannot
// hold, the original bytes the reader reports with the record.
std::string tag_of(const marcpp::record& rec, std::size_t i) {
  const auto& f = rec.fields()[i];
  if (f.tag().is_valid()) return f.tag().str();
  for (const auto& d : rec.diagnostics())
    if (d.code == marcpp::errc::invalid_tag && d.field_index == static_cast<std::int32_t>(i)) return d.original;
  return {};
}

record_bytes fields_of(const marcpp::record& rec, file_kind kind) {
  // Indicator bytes per data field in ISO 2709: leader/10 when it is a digit
  // 1-9 (at most two are held), otherwise two, as the reader reads them.
  std::size_t indicators = 2;
  const char l10 = rec.leader()[10];
  if (kind == file_kind::iso2709 && l10 >= '1' && l10 <= '9') indicators = std::min<std::size_t>(static_cast<std::size_t>(l10 - '0'), 2);
  record_bytes out;
  for (std::size_t i = 0; i < rec.fields().size(); ++i) {
    const auto& f = rec.fields()[i];
    std::string body;
    if (f.is_control()) {
      body = f.data();
    } else {
      body += f.ind1();
      if (indicators == 2) body += f.ind2();
      for (const auto& s : f.subfields()) {
        switch (s.shape()) {
          case marcpp::subfield_shape::normal: body += '\x1f'; body += s.code(); break;
          case marcpp::subfield_shape::no_code: body += '\x1f'; break;
          case marcpp::subfield_shape::unlabelled: break;
        }
        body += s.value();
      }
    }
    out.push_back({tag_of(rec, i), std::move(body)});
  }
  return out;
}

std::vector<record_bytes> read_with_marcpp(const std::filesystem::path& path, file_kind kind) {
  const auto fmt = kind == file_kind::iso2709   ? marcpp::format::iso2709
                   : kind == file_kind::marcxml ? marcpp::format::marcxml
                                                : marcpp::format::json;
  std::vector<record_bytes> out;
  marcpp::with_format_reader(path.string(), fmt, test::with(marcpp::error_policy::lenient), [&](auto& r) {
    marcpp::record rec;
    while (r.next(rec)) out.push_back(fields_of(rec, kind));
    return 0;
  });
  return out;
}

std::string hex(std::string_view s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

void dump(const std::string& dir, const std::string& name, const std::vector<record_bytes>& records) {
  std::ofstream out(std::filesystem::path(dir) / (name + ".fields"), std::ios::binary);
  for (const auto& r : records) {
    out << "R\n";
    for (const auto& f : r) out << "F " << hex(f.tag) << ' ' << hex(f.body) << '\n';
  }
}

}  // namespace

TEST_CASE("peers: the complete-field rule finds fields by the file's bytes, as peer_counts.py does") {
  // A record of two fields and one whose directory does not match its data:
  // the first's tags are checked, the second's are not.
  const std::string good = "00000nam  2200049   4500001000300000245000900003\x1e" "ab\x1e" "10\x1f" "aTit\x1e\x1d";
  auto f = iso_fields(good);
  REQUIRE(f.size() == 2);
  CHECK((f[0].tag_known && f[0].tag == "001" && f[0].body == "ab"));
  CHECK((f[1].tag_known && f[1].tag == "245" && f[1].body == std::string("10\x1f" "aTit")));
  // A stray terminator: three runs for two entries; and a run cut by the end of the file.
  const std::string stray = "00000nam  2200049   4500001000300000245000900003\x1e" "ab\x1e" "10\x1e" "aTit\x1e\x1d" "00000nam\x1e" "cut";
  f = iso_fields(stray);
  REQUIRE(f.size() == 3);
  CHECK(std::none_of(f.begin(), f.end(), [](const file_field& x) { return x.tag_known; }));
  CHECK(f[2].body == "aTit");
  // A fragment (part of a run) never counts, nor a field given twice, nor a bad tag.
  const std::vector<record_bytes> read = {{{"001", "ab"}, {"245", "10"}, {"245", "10"}, {"24", "aTit"}, {"245", "aTi"}}};
  CHECK(count_complete(f, read) == 2);
  // The checked tags of a matching directory must agree.
  CHECK(count_complete(iso_fields(good), {{{"001", "ab"}, {"246", std::string("10\x1f" "aTit")}}}) == 1);
  // MARCXML: prefixes, absent indicators and codes, references.
  const std::string xml =
      "<marc:record><marc:controlfield tag=\"001\">a&amp;b&#x41;</marc:controlfield>"
      "<marc:datafield tag='245' ind1=\"1\"><marc:subfield code=\"a\">T&lt;</marc:subfield>"
      "<marc:subfield>x</marc:subfield></marc:datafield><datafield tag=\"500\"/></marc:record>";
  auto x = xml_fields(xml);
  REQUIRE(x.size() == 3);
  CHECK((x[0].tag == "001" && x[0].body == "a&bA"));
  CHECK((x[1].tag == "245" && x[1].body == std::string("1 \x1f" "aT<\x1f" "x")));
  CHECK((x[2].tag == "500" && x[2].body == "  "));
}

TEST_CASE("peers: on every malformed file marcpp returns at least the complete fields of the best peer") {
  if (!test::have_corpus()) return;
  const auto table = recorded();
  const char* dump_dir = std::getenv("MARCPP_PEERS_DUMP");
  std::set<std::string> seen;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(test::corpus_dir() / "malformed"))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names.size() > 50);
  for (const auto& name : names) {
    CAPTURE(name);
    seen.insert(name);
    auto it = table.find(name);
    REQUIRE_MESSAGE(it != table.end(), name << " has no counts in tests/data/peer_counts.tsv: run tests/tools/peers/peer_counts.py");
    const auto& rec = it->second;
    const auto path = test::corpus_dir() / "malformed" / name;
    const std::string bytes = test::slurp(path);
    const auto kind = kind_of(name, bytes);
    const auto file = kind == file_kind::iso2709 ? iso_fields(bytes) : kind == file_kind::marcxml ? xml_fields(bytes) : std::vector<file_field>{};
    // The same fields as the script found, or the counts mean something else.
    CHECK(file.size() == rec.input_fields);
    CHECK(fingerprint(file) == rec.fingerprint);

    const auto records = read_with_marcpp(path, kind);
    if (dump_dir) dump(dump_dir, name, records);
    counts ours;
    ours.records = records.size();
    for (const auto& r : records) ours.fields += r.size();
    ours.complete = count_complete(file, records);

    std::string best_reader;
    counts best;
    for (const auto& [reader, c] : rec.readers)
      if (best_reader.empty() || c.complete > best.complete) {
        best_reader = reader;
        best = c;
      }
    REQUIRE(rec.readers.size() == 3);
    CHECK_MESSAGE(ours.complete >= best.complete,
                  name << ": marcpp returns " << ours.complete << " complete fields (" << ours.records << " records, "
                       << ours.fields << " fields), " << best_reader << " " << best.complete << " (" << best.records
                       << " records, " << best.fields << " fields)");
    MESSAGE(name << ": marcpp " << ours.records << " / " << ours.fields << " / " << ours.complete << ", best peer "
                 << best_reader << " " << best.records << " / " << best.fields << " / " << best.complete);
  }
  // Every recorded file is still in the corpus.
  for (const auto& entry : table)
    CHECK_MESSAGE(seen.count(entry.first), entry.first << " is in peer_counts.tsv but not in the corpus");
}
